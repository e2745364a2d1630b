#include "sysv_msg.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "fault_point.hpp"
#include "objects.hpp"
#include "sys.hpp"

namespace ipch {

namespace {

constexpr const char* kName = "sysv-msg";
constexpr const char* kMsgMaxFile = "/proc/sys/kernel/msgmax";
constexpr const char* kMsgMnbFile = "/proc/sys/kernel/msgmnb";
constexpr const char* kMsgMniFile = "/proc/sys/kernel/msgmni";

std::string proc_value(const char* file) {
  auto v = sys::read_long(file);
  return v ? std::to_string(*v) : "unknown";
}

// A message buffer as msgsnd/msgrcv want it: a long mtype, then the bytes. Kept in longs so
// the mtype is aligned.
std::size_t words_for(std::size_t bytes) {
  return 1 + (bytes + sizeof(long) - 1) / sizeof(long);
}

// Runs call(flags) as the settings and the deadline ask. A finite deadline has no timed
// msgsnd/msgrcv to map to, so it polls with IPC_NOWAIT while the call says `busy`, backing off
// from 50 us to 2 ms so that a long wait costs little CPU and a short one little latency.
template <class F>
auto attempt(F call, bool blocking, Deadline d, std::errc busy) -> decltype(call(0)) {
  if (!blocking) return call(IPC_NOWAIT);
  if (d.is_never()) return call(0);
  std::chrono::nanoseconds pause = std::chrono::microseconds(50);
  for (;;) {
    auto r = call(IPC_NOWAIT);
    if (r || r.error() != busy) return r;
    auto left = d.time_point() - Deadline::Clock::now();
    if (left <= left.zero()) return errno_error(ETIMEDOUT);
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(pause, left));
    pause = std::min<std::chrono::nanoseconds>(pause * 2, std::chrono::milliseconds(2));
  }
}

class SysvMsgChannel final : public Channel {
 public:
  SysvMsgChannel(int id, bool blocking, std::size_t msgmax, MessageLimit limit)
      : id_(id), blocking_(blocking), msgmax_(msgmax), in_(words_for(msgmax)), limit_(std::move(limit)) {}

  // A message over msgmax is still handed to msgsnd: its EINVAL is the answer, not our guess.
  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned priority) override {
    if (closed_) return errno_error(EBADF);
    if (fault_point::fires(points_.send)) return errno_error(fault_point::error_number());
    out_.resize(words_for(msg.size()));
    out_[0] = static_cast<long>(priority) + 1;
    if (!msg.empty()) std::memcpy(&out_[1], msg.data(), msg.size());
    return attempt([&](int flags) { return sys::msgsnd(id_, out_.data(), msg.size(), flags); }, blocking_, d,
                   std::errc::resource_unavailable_try_again);
  }

  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override {
    if (closed_) return errno_error(EBADF);
    if (fault_point::fires(points_.receive)) return errno_error(fault_point::error_number());
    auto n = attempt([&](int flags) { return sys::msgrcv(id_, in_.data(), msgmax_, 0, flags); }, blocking_, d,
                     std::errc::no_message);
    if (!n) return std::unexpected(n.error());
    const auto* body = reinterpret_cast<const std::byte*>(&in_[1]);
    buf.assign(body, body + *n);
    return Received{*n, static_cast<unsigned>(in_[0] - 1)};
  }

  void close() override { closed_ = true; }  // nothing to close: a SysV queue is used by id
  MessageLimit limit() const override { return limit_; }

 private:
  int id_;
  bool blocking_;
  std::size_t msgmax_;
  std::vector<long> in_, out_;
  MessageLimit limit_;
  fault_point::ChannelPoints points_{kName};
  bool closed_ = false;
};

class SysvMsgLink final : public Link {
 public:
  SysvMsgLink(int id, std::string name, Settings s) : id_(id), name_(std::move(name)), s_(s) {}
  ~SysvMsgLink() override { remove(); }

  // msgmax is read at each open, not at create: the receive buffer must fit what senders may
  // send now.
  Result<std::unique_ptr<Channel>> open(Role, Deadline) override {
    auto msgmax = sys::read_long(kMsgMaxFile);
    if (!msgmax) return std::unexpected(msgmax.error());
    auto max = static_cast<std::size_t>(*msgmax);
    return std::make_unique<SysvMsgChannel>(id_, s_.blocking, max, limit_for(max));
  }

  MessageLimit limit() const override {
    auto msgmax = sys::read_long(kMsgMaxFile);
    return limit_for(msgmax ? static_cast<std::size_t>(*msgmax) : 8192);
  }

  void remove() override {
    if (::getpid() != creator_ || removed_) return;
    removed_ = true;
    if (sys::msgctl(id_, IPC_RMID, nullptr)) objects::removed(objects::Kind::sysv_msg, name_);
  }
  std::string object() const override { return "msqid " + std::to_string(id_); }

  void set_qbytes(std::size_t q) { qbytes_ = q; }

 private:
  MessageLimit limit_for(std::size_t msgmax) const {
    // The kernel never queues a message bigger than msg_qbytes: it would wait (or EAGAIN) forever.
    if (qbytes_ < msgmax) {
      return {qbytes_, "msg_qbytes=" + std::to_string(qbytes_) + " (capacity; msgmax is " + std::to_string(msgmax) +
                           "): a larger message never fits the queue"};
    }
    return {msgmax, "msgmax=" + std::to_string(msgmax) + " (" + kMsgMaxFile + ")"};
  }

 private:
  int id_;
  std::string name_;
  Settings s_;
  std::size_t qbytes_ = 0;
  pid_t creator_ = ::getpid();
  bool removed_ = false;
};

SetupError capacity_refused(std::size_t capacity, std::error_code ec) {
  std::string mnb = proc_value(kMsgMnbFile);
  return SetupError{ec, std::string(kName) + ": capacity=" + std::to_string(capacity) +
                            " refused by msgctl(IPC_SET): " + describe(ec) + "; the limit is " + kMsgMnbFile + " = " +
                            mnb + " (a process with CAP_SYS_RESOURCE may exceed it); use capacity <= " + mnb +
                            " or raise kernel.msgmnb"};
}

std::expected<std::unique_ptr<Link>, SetupError> create(const Settings& s) {
  if (auto e = unsupported_setting(kName, s, true, false)) return std::unexpected(*e);
  auto made = objects::create_sysv(objects::Kind::sysv_msg,
                                   [](key_t key) { return sys::msgget(key, IPC_CREAT | IPC_EXCL | 0600); });
  Result<int> id = made ? Result<int>(made->id) : std::unexpected(made.error());
  if (!id) {
    std::string fix = id.error() == std::errc::no_space_on_device
                          ? std::string("the system has ") + kMsgMniFile + " = " + proc_value(kMsgMniFile) +
                                " queues; remove leftovers (ipcs -q, ipcrm, `ipc-harness clean`) or raise kernel.msgmni"
                          : "check that the kernel has System V IPC (CONFIG_SYSVIPC)";
    return std::unexpected(setup_error(kName, "msgget()", id.error(), fix));
  }
  auto link = std::make_unique<SysvMsgLink>(*id, made->name, s);  // from here on, a failure removes the queue
  msqid_ds ds{};
  if (auto r = sys::msgctl(*id, IPC_STAT, &ds); !r) {
    return std::unexpected(setup_error(kName, "msgctl(IPC_STAT)", r.error(), "report this: a fresh queue must stat"));
  }
  if (s.capacity) {
    ds.msg_qbytes = *s.capacity;
    if (auto r = sys::msgctl(*id, IPC_SET, &ds); !r) return std::unexpected(capacity_refused(*s.capacity, r.error()));
    if (auto r = sys::msgctl(*id, IPC_STAT, &ds); !r) {
      return std::unexpected(setup_error(kName, "msgctl(IPC_STAT)", r.error(), "report this: a fresh queue must stat"));
    }
    // The kernel keeps msg_qbytes in 32 bits and takes larger values modulo 2^32 without an
    // error: a capacity it did not store would make every later verdict about the wrong queue.
    if (ds.msg_qbytes != *s.capacity) {
      std::string mnb = proc_value(kMsgMnbFile);
      return std::unexpected(SetupError{std::make_error_code(std::errc::value_too_large),
                                        std::string(kName) + ": capacity=" + std::to_string(*s.capacity) +
                                            " was stored by msgctl(IPC_SET) as " + std::to_string(ds.msg_qbytes) +
                                            " (the kernel keeps msg_qbytes in 32 bits); the limit is " + kMsgMnbFile +
                                            " = " + mnb + "; use capacity <= " + mnb});
    }
  }
  link->set_qbytes(ds.msg_qbytes);
  return link;
}

Traits traits() {
  Traits t;
  t.capacity_unit = CapacityUnit::bytes;  // msg_qbytes
  t.capacities = {4096, 8192};
  t.receiver_takes_over = true;
  t.points = {.calls = true};
  // One message of the largest size the run can send, capped by msgmax: a queue of max_size bytes
  // above msgmnb would be refused by the kernel.
  t.full_buffer_capacity = [](std::size_t max_size) {
    std::size_t largest = std::max<std::size_t>(max_size, 64);
    auto msgmax = sys::read_long("/proc/sys/kernel/msgmax");
    if (msgmax && static_cast<std::size_t>(*msgmax) < largest) largest = static_cast<std::size_t>(*msgmax);
    return largest + 8;
  };
  // msg_qbytes above msgmnb needs CAP_SYS_RESOURCE, and msgmax (8192) caps messages anyway.
  t.full_buffer_message_limit = 8192;
  t.bench_capacity = [] { return std::optional<std::size_t>{}; };
  return t;
}

Contract contract() {
  Contract c;
  c.delivery = Delivery::reliable;
  c.ordering = Ordering::per_type;
  c.boundaries = true;
  c.atomic_write_limit = 0;
  c.direction = Direction::one_way;
  c.outlives_creator = true;
  c.persistence = "until msgctl(IPC_RMID) or reboot";
  c.many_senders = true;
  c.many_receivers = true;
  return c;
}

std::vector<SettingInfo> settings() {
  return {
      {"capacity",
       "msg_qbytes: bytes (and messages) the queue holds, set with msgctl(IPC_SET) (default "
       "/proc/sys/kernel/msgmnb; above it needs CAP_SYS_RESOURCE)"},
      {"blocking", "false sends and receives with IPC_NOWAIT: a full queue gives EAGAIN, an empty one ENOMSG"},
  };
}

}  // namespace

const Mechanism& sysv_msg_mechanism() {
  static const Mechanism m{kName, "System V message queue (msgget/msgsnd/msgrcv), used by id", contract(), settings(),
                           create, traits()};
  return m;
}

}  // namespace ipch
