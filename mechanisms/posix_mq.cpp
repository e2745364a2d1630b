#include "posix_mq.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "fault_point.hpp"
#include "naming.hpp"
#include "objects.hpp"
#include "sys.hpp"

namespace ipch {

namespace {

constexpr const char* kName = "posix-mq";
constexpr const char* kDir = "/proc/sys/fs/mqueue/";
// HARD_MSGMAX and HARD_MSGSIZEMAX in ipc/mqueue.c: the ceiling even for CAP_SYS_RESOURCE, and
// the most that msg_max and msgsize_max can be raised to.
constexpr long kHardMsgMax = 65536;
constexpr long kHardMsgSizeMax = 16L << 20;

std::string proc_file(const char* name) {
  return std::string(kDir) + name;
}
long proc_value(const char* name, long fallback) {
  return sys::read_long(proc_file(name)).value_or(fallback);
}

class MqChannel final : public Channel {
 public:
  MqChannel(mqd_t q, std::size_t msgsize) : q_(q), msgsize_(msgsize) {}
  ~MqChannel() override { close(); }

  // A message over mq_msgsize is still handed to mq_send: its EMSGSIZE is the answer.
  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned priority) override {
    if (q_ == static_cast<mqd_t>(-1)) return errno_error(EBADF);
    if (fault_point::fires(points_.send)) return errno_error(fault_point::error_number());
    return sys::mq_send(q_, msg, priority, d);
  }

  // The buffer is mq_msgsize bytes, since mq_receive refuses (EMSGSIZE) any smaller one.
  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override {
    if (q_ == static_cast<mqd_t>(-1)) return errno_error(EBADF);
    if (fault_point::fires(points_.receive)) return errno_error(fault_point::error_number());
    buf.resize(msgsize_);
    unsigned prio = 0;
    auto n = sys::mq_receive(q_, buf, &prio, d);
    if (!n) {
      buf.clear();
      return std::unexpected(n.error());
    }
    buf.resize(*n);
    return Received{*n, prio};
  }

  void close() override {
    if (q_ == static_cast<mqd_t>(-1)) return;
    (void)sys::mq_close(q_);
    q_ = static_cast<mqd_t>(-1);
  }
  MessageLimit limit() const override {
    return {msgsize_, "mq_msgsize=" + std::to_string(msgsize_) + " (mq_getattr of the queue)"};
  }

 private:
  mqd_t q_;
  std::size_t msgsize_;
  fault_point::ChannelPoints points_{kName};
};

class MqLink final : public Link {
 public:
  MqLink(std::string name, Settings s, std::size_t msgsize) : name_(std::move(name)), s_(s), msgsize_(msgsize) {}
  ~MqLink() override { remove(); }

  Result<std::unique_ptr<Channel>> open(Role role, Deadline) override {
    int flags = (role == Role::sender ? O_WRONLY : O_RDONLY) | (s_.blocking ? 0 : O_NONBLOCK);
    auto q = sys::mq_open(name_, flags);
    if (!q) return std::unexpected(q.error());
    auto a = sys::mq_getattr(*q);
    if (!a) {
      (void)sys::mq_close(*q);
      return std::unexpected(a.error());
    }
    return std::make_unique<MqChannel>(*q, static_cast<std::size_t>(a->mq_msgsize));
  }

  MessageLimit limit() const override {
    return {msgsize_, "mq_msgsize=" + std::to_string(msgsize_) + " (mq_getattr of the queue)"};
  }

  void remove() override {
    if (::getpid() != creator_ || removed_) return;
    removed_ = true;
    if (auto r = sys::mq_unlink(name_); r || r.error() == std::errc::no_such_file_or_directory) {
      objects::removed(objects::Kind::posix_mq, name_);
    }
  }
  std::string object() const override { return "/dev/mqueue/" + name_.substr(1); }

 private:
  std::string name_;
  Settings s_;
  std::size_t msgsize_;
  pid_t creator_ = ::getpid();
  bool removed_ = false;
};

// One line naming the setting the kernel refused and why. EINVAL comes from mq_attr_ok(): a
// process without CAP_SYS_RESOURCE is held to msg_max / msgsize_max, one with it to the hard
// limits. Which one applied is read off the kernel's answer, not guessed from our uid.
SetupError refused(const Settings& s, const mq_attr& a, std::error_code ec) {
  auto value = [](const std::optional<std::size_t>& set, long used, const char* def) {
    return set ? std::to_string(*set) : std::to_string(used) + " (the default, " + proc_file(def) + ")";
  };
  std::string cap = "capacity=" + value(s.capacity, a.mq_maxmsg, "msg_default");
  std::string size = "message_size=" + value(s.message_size, a.mq_msgsize, "msgsize_default");
  auto head = [&](const std::string& what) {
    return std::string(kName) + ": " + what + " refused by mq_open: " + describe(ec) + "; ";
  };
  if (ec == std::errc::invalid_argument) {
    struct Item {
      const std::string& text;
      const char* setting;
      long used;
      const char* file;
      long hard;
    };
    const Item items[] = {{cap, "capacity", a.mq_maxmsg, "msg_max", kHardMsgMax},
                          {size, "message_size", a.mq_msgsize, "msgsize_max", kHardMsgSizeMax}};
    for (bool hard_pass : {true, false}) {
      for (const Item& i : items) {
        long limit = proc_value(i.file, -1);
        std::string lim = std::to_string(limit), sysctl = std::string("fs.mqueue.") + i.file;
        std::string is = "the limit is " + proc_file(i.file) + " = " + lim;
        if (hard_pass && (i.used > i.hard || i.used <= 0)) {
          return {ec, head(i.text) + is + ", and " + std::to_string(i.hard) +
                          " even with CAP_SYS_RESOURCE (the kernel's hard limit); use " + i.setting + " <= " + lim +
                          ", or up to " + std::to_string(i.hard) + " after raising " + sysctl};
        }
        if (!hard_pass && i.used > limit) {
          return {ec, head(i.text) + is + " (this process lacks CAP_SYS_RESOURCE, which would allow up to " +
                          std::to_string(i.hard) + "); use " + i.setting + " <= " + lim + " or raise " + sysctl +
                          " (sysctl -w " + sysctl + "=" + std::to_string(i.used) + ")"};
        }
      }
    }
  }
  if (ec == std::errc::too_many_files_open) {
    auto rl = sys::getrlimit(RLIMIT_MSGQUEUE);
    std::string q =
        rl ? (rl->rlim_cur == RLIM_INFINITY ? "unlimited" : std::to_string(rl->rlim_cur) + " B") : "unknown";
    return {ec, head(cap + ", " + size) + "the queue needs " + std::to_string(a.mq_maxmsg * a.mq_msgsize) +
                    " B plus kernel overhead out of RLIMIT_MSGQUEUE = " + q +
                    " (shared by every queue of this user), or the open-file limit is reached; use a smaller "
                    "capacity x message_size, remove leftover queues (`ipc-harness clean`) or raise it (ulimit -q)"};
  }
  if (ec == std::errc::no_space_on_device) {
    return {ec, head(cap + ", " + size) + "the number of queues reached " + proc_file("queues_max") + " = " +
                    std::to_string(proc_value("queues_max", -1)) +
                    " (CAP_SYS_RESOURCE is exempt); remove leftover queues (`ipc-harness clean`) or raise "
                    "fs.mqueue.queues_max"};
  }
  return setup_error(kName, "mq_open", ec,
                     "check that the kernel has POSIX message queues (CONFIG_POSIX_MQUEUE) and that " + cap + ", " +
                         size + " are within " + kDir);
}

std::expected<std::unique_ptr<Link>, SetupError> create(const Settings& s) {
  if (auto e = unsupported_setting(kName, s, true, true)) return std::unexpected(*e);
  // mq_open takes both numbers or neither: the one not set is the kernel's default.
  mq_attr attr{};
  attr.mq_maxmsg = s.capacity ? static_cast<long>(*s.capacity) : proc_value("msg_default", 10);
  attr.mq_msgsize = s.message_size ? static_cast<long>(*s.message_size) : proc_value("msgsize_default", 8192);
  bool custom = s.capacity || s.message_size;
  std::string name = "/" + naming::next_name();
  auto q = sys::mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, custom ? &attr : nullptr);
  if (!q) return std::unexpected(refused(s, attr, q.error()));
  objects::created({objects::Kind::posix_mq, name});
  auto a = sys::mq_getattr(*q);
  (void)sys::mq_close(*q);  // each process opens its own end by name
  auto link = std::make_unique<MqLink>(name, s, a ? static_cast<std::size_t>(a->mq_msgsize) : 0);
  if (!a) return std::unexpected(setup_error(kName, "mq_getattr", a.error(), "report this: a fresh queue must stat"));
  return link;
}

Traits traits() {
  Traits t;
  t.capacity_unit = CapacityUnit::messages;  // mq_maxmsg
  t.capacities = {1, 2, 4};
  t.receiver_takes_over = true;
  t.points = {.calls = true};
  t.full_buffer_capacity = [](std::size_t) -> std::size_t { return 1; };
  t.bench_capacity = [] { return std::optional<std::size_t>{}; };
  return t;
}

Contract contract() {
  Contract c;
  c.delivery = Delivery::reliable;
  c.ordering = Ordering::per_priority;
  c.boundaries = true;
  c.atomic_write_limit = 0;
  c.direction = Direction::one_way;
  c.outlives_creator = true;
  c.persistence = "until mq_unlink or reboot";
  c.many_senders = true;
  c.many_receivers = true;
  return c;
}

std::vector<SettingInfo> settings() {
  return {
      {"capacity",
       "mq_maxmsg: messages the queue holds (default /proc/sys/fs/mqueue/msg_default; at most msg_max, "
       "or 65536 with CAP_SYS_RESOURCE)"},
      {"message_size",
       "mq_msgsize: largest message in bytes (default /proc/sys/fs/mqueue/msgsize_default; at most "
       "msgsize_max, or 16 MiB with CAP_SYS_RESOURCE)"},
      {"blocking", "false opens each end with O_NONBLOCK: a full queue gives EAGAIN, an empty one EAGAIN"},
  };
}

}  // namespace

const Mechanism& posix_mq_mechanism() {
  static const Mechanism m{kName, "POSIX message queue (mq_open/mq_send/mq_receive), opened by name", contract(),
                           settings(), create, traits()};
  return m;
}

}  // namespace ipch
