#include "queue_checks.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/msg.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>

#include "naming.hpp"
#include "objects.hpp"
#include "seed.hpp"
#include "sys.hpp"

namespace ipch::claims {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using probe::Shared;

constexpr const char* kSysv = "sysv-msg";
constexpr const char* kMq = "posix-mq";
constexpr std::size_t kLogSize = 256;
using Log = probe::Log<kLogSize>;

// ---- the two queues, behind one face ------------------------------------------------------

struct Got {
  std::size_t size = 0;  // the message's length (more than the buffer iff it was cut)
  long prio = 0;         // posix-mq: its priority; sysv-msg: its type
};

bool empty_error(std::error_code e) {  // what a non-blocking receive from an empty queue says
  return e == std::errc::no_message || e == std::errc::resource_unavailable_try_again;
}

class End {
 public:
  virtual ~End() = default;
  // `prio`: the posix-mq priority, or the sysv-msg type (at least 1).
  virtual Result<void> send(std::span<const std::byte> msg, long prio) = 0;
  // Copies at most buf.size() bytes. `msgtyp` and `flags` (MSG_EXCEPT) are sysv-msg's.
  virtual Result<Got> receive(std::span<std::byte> buf, long msgtyp = 0, int flags = 0) = 0;
};

std::size_t words_for(std::size_t bytes) {
  return 1 + (bytes + sizeof(long) - 1) / sizeof(long);
}

class SysvEnd final : public End {
 public:
  SysvEnd(int id, bool nowait, std::size_t msgmax)
      : id_(id), nowait_(nowait), msgmax_(msgmax), in_(words_for(msgmax)) {}
  Result<void> send(std::span<const std::byte> msg, long type) override {
    out_.assign(words_for(msg.size()), 0);
    out_[0] = type;
    if (!msg.empty()) std::memcpy(&out_[1], msg.data(), msg.size());
    return sys::msgsnd(id_, out_.data(), msg.size(), nowait_ ? IPC_NOWAIT : 0);
  }
  Result<Got> receive(std::span<std::byte> buf, long msgtyp, int flags) override {
    auto n = sys::msgrcv(id_, in_.data(), msgmax_, msgtyp, flags | (nowait_ ? IPC_NOWAIT : 0));
    if (!n) return std::unexpected(n.error());
    std::memcpy(buf.data(), &in_[1], std::min(*n, buf.size()));
    return Got{*n, in_[0]};
  }

 private:
  int id_;
  bool nowait_;
  std::size_t msgmax_;
  std::vector<long> in_, out_;
};

class MqEnd final : public End {
 public:
  MqEnd(mqd_t q, std::size_t msgsize) : q_(q), in_(msgsize) {}
  MqEnd(const MqEnd&) = delete;
  MqEnd& operator=(const MqEnd&) = delete;
  ~MqEnd() override { (void)sys::mq_close(q_); }
  Result<void> send(std::span<const std::byte> msg, long prio) override {
    return sys::mq_send(q_, msg, static_cast<unsigned>(prio), Deadline::never());
  }
  Result<Got> receive(std::span<std::byte> buf, long, int) override {
    unsigned prio = 0;
    auto n = sys::mq_receive(q_, in_, &prio, Deadline::never());  // mq_receive wants mq_msgsize bytes
    if (!n) return std::unexpected(n.error());
    std::memcpy(buf.data(), in_.data(), std::min(*n, buf.size()));
    return Got{*n, static_cast<long>(prio)};
  }

 private:
  mqd_t q_;
  std::vector<std::byte> in_;
};

// A queue this process made and removes (with its journal record) on every path.
class Queue {
 public:
  virtual ~Queue() = default;
  virtual const char* mechanism() const = 0;
  // Opens an end in the calling process (a child). Throws std::runtime_error iff it cannot.
  virtual std::unique_ptr<End> open(bool nonblocking) const = 0;
  virtual std::uint64_t queued() const = 0;                // messages in it now
  virtual std::uint64_t room(std::size_t size) const = 0;  // messages of `size` its limit admits
  virtual std::string limit() const = 0;                   // "mq_maxmsg 10"
  virtual std::size_t max_message() const = 0;
  virtual std::uint64_t byte_limit() const = 0;  // bytes it holds at most
};

class SysvQueue final : public Queue {
 public:
  SysvQueue() {
    auto r = objects::create_sysv(objects::Kind::sysv_msg,
                                  [](key_t key) { return sys::msgget(key, IPC_CREAT | IPC_EXCL | 0600); });
    if (!r) throw std::runtime_error(std::string("msgget(IPC_CREAT|IPC_EXCL): ") + describe(r.error()));
    record_ = *r;
    msqid_ds ds{};
    if (auto s = sys::msgctl(record_.id, IPC_STAT, &ds); !s) {
      remove();
      throw std::runtime_error("msgctl(IPC_STAT): " + describe(s.error()));
    }
    qbytes_ = ds.msg_qbytes;
    msgmax_ = static_cast<std::size_t>(sys::read_long("/proc/sys/kernel/msgmax").value_or(8192));
  }
  SysvQueue(const SysvQueue&) = delete;
  SysvQueue& operator=(const SysvQueue&) = delete;
  ~SysvQueue() override { remove(); }

  const char* mechanism() const override { return kSysv; }
  std::unique_ptr<End> open(bool nonblocking) const override {
    return std::make_unique<SysvEnd>(record_.id, nonblocking, msgmax_);
  }
  std::uint64_t queued() const override {
    msqid_ds ds{};
    if (auto s = sys::msgctl(record_.id, IPC_STAT, &ds); !s)
      throw std::runtime_error("msgctl(IPC_STAT): " + describe(s.error()));
    return ds.msg_qnum;
  }
  // msgsnd waits while size + bytes queued > msg_qbytes, or 1 + messages queued > msg_qbytes.
  std::uint64_t room(std::size_t size) const override {
    return size == 0 ? qbytes_ : std::min<std::uint64_t>(qbytes_ / size, qbytes_);
  }
  std::string limit() const override {
    auto mnb = sys::read_long("/proc/sys/kernel/msgmnb");
    return fmt::format("msg_qbytes {} B{}", qbytes_,
                       mnb && static_cast<std::uint64_t>(*mnb) == qbytes_ ? ", from msgmnb" : "");
  }
  std::size_t max_message() const override { return msgmax_; }
  std::uint64_t byte_limit() const override { return qbytes_; }

 private:
  void remove() {
    if (record_.id < 0) return;
    auto r = sys::msgctl(record_.id, IPC_RMID, nullptr);
    if (r || r.error() == std::errc::invalid_argument || r.error() == std::errc::identifier_removed)
      objects::removed(record_.kind, record_.name);
    record_.id = -1;
  }
  objects::Record record_{objects::Kind::sysv_msg, "", -1, 0};
  std::uint64_t qbytes_ = 0;
  std::size_t msgmax_ = 8192;
};

class PosixQueue final : public Queue {
 public:
  // `attr`: {mq_maxmsg, mq_msgsize}; nullopt: the kernel's defaults (msg_default, msgsize_default).
  explicit PosixQueue(std::optional<std::pair<long, long>> attr) : name_("/" + naming::next_name()) {
    mq_attr a{};
    if (attr) {
      a.mq_maxmsg = attr->first;
      a.mq_msgsize = attr->second;
    }
    auto q = sys::mq_open(name_, O_CREAT | O_EXCL | O_RDWR, 0600, attr ? &a : nullptr);
    if (!q) {
      throw std::runtime_error(fmt::format("mq_open({}, O_CREAT, maxmsg {}, msgsize {}): {}", name_, a.mq_maxmsg,
                                           a.mq_msgsize, describe(q.error())));
    }
    objects::created({objects::Kind::posix_mq, name_});
    auto g = sys::mq_getattr(*q);
    (void)sys::mq_close(*q);  // each process opens it by name: the queue outlives every opener
    if (!g) {
      remove();
      throw std::runtime_error("mq_getattr: " + describe(g.error()));
    }
    maxmsg_ = static_cast<std::uint64_t>(g->mq_maxmsg);
    msgsize_ = static_cast<std::size_t>(g->mq_msgsize);
  }
  PosixQueue(const PosixQueue&) = delete;
  PosixQueue& operator=(const PosixQueue&) = delete;
  ~PosixQueue() override { remove(); }

  const char* mechanism() const override { return kMq; }
  std::unique_ptr<End> open(bool nonblocking) const override {
    auto q = sys::mq_open(name_, O_RDWR | (nonblocking ? O_NONBLOCK : 0));
    if (!q) throw std::runtime_error("mq_open(" + name_ + "): " + describe(q.error()));
    return std::make_unique<MqEnd>(*q, msgsize_);
  }
  std::uint64_t queued() const override {
    auto q = sys::mq_open(name_, O_RDONLY | O_NONBLOCK);
    if (!q) throw std::runtime_error("mq_open(" + name_ + "): " + describe(q.error()));
    auto g = sys::mq_getattr(*q);
    (void)sys::mq_close(*q);
    if (!g) throw std::runtime_error("mq_getattr: " + describe(g.error()));
    return static_cast<std::uint64_t>(g->mq_curmsgs);
  }
  std::uint64_t room(std::size_t size) const override { return size <= msgsize_ ? maxmsg_ : 0; }
  std::string limit() const override { return fmt::format("mq_maxmsg {}", maxmsg_); }
  std::size_t max_message() const override { return msgsize_; }
  std::uint64_t byte_limit() const override { return maxmsg_ * msgsize_; }
  std::uint64_t maxmsg() const { return maxmsg_; }

 private:
  void remove() {
    if (removed_) return;
    removed_ = true;
    if (auto r = sys::mq_unlink(name_); r || r.error() == std::errc::no_such_file_or_directory)
      objects::removed(objects::Kind::posix_mq, name_);
  }
  std::string name_;
  std::uint64_t maxmsg_ = 0;
  std::size_t msgsize_ = 0;
  bool removed_ = false;
};

// The deepest posix-mq an unprivileged process may ask for, capped at `want`.
long mq_depth(long want) {
  long max = sys::read_long("/proc/sys/fs/mqueue/msg_max").value_or(10);
  return std::max(1L, std::min(want, max));
}

std::runtime_error failed(const std::string& what, std::error_code e) {
  return std::runtime_error(what + ": " + describe(e));
}

[[noreturn]] void sleep_until_killed() {
  for (;;) std::this_thread::sleep_for(1h);
}

// Waits (a hang guard) until `flag` is set; false iff the guard passed first.
bool await_flag(const std::atomic<bool>& flag, std::chrono::milliseconds guard) {
  auto d = Deadline::after(guard);
  while (!flag.load()) {
    if (d.expired()) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::string plural(std::uint64_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string list_seqs(const std::vector<std::uint32_t>& seqs, std::size_t max = 8) {
  std::string s;
  for (std::size_t i = 0; i < seqs.size() && i < max; ++i) s += (i ? ", #" : "#") + std::to_string(seqs[i]);
  if (seqs.size() > max) s += fmt::format(" and {} more", seqs.size() - max);
  return s;
}

// ---- queue-keeps-until-read ---------------------------------------------------------------

struct KeepShared {
  Log sent, first, second;  // aux of a receipt: 1 iff damaged
  std::atomic<bool> first_done{false};
  probe::Failure failure;
};

// Receives until the queue is empty or `max` messages, logging each (damaged ones flagged).
void drain(End& end, std::size_t max_size, std::uint64_t seed, Log& log, Clock::time_point origin, std::size_t max) {
  std::vector<std::byte> buf(max_size);
  for (std::size_t i = 0; i < max; ++i) {
    auto g = end.receive(buf);
    if (!g && empty_error(g.error())) return;
    if (!g) throw failed("receive", g.error());
    std::span<const std::byte> msg(buf.data(), std::min(g->size, buf.size()));
    auto seq = probe::intact(seed, msg);
    bool ok = seq.has_value() && g->size <= buf.size();
    log.add(ok ? *seq : probe::seq_of(msg).value_or(UINT32_MAX), probe::ms_since(origin), ok ? 0 : 1);
  }
}

KeepRun keep_run(const Queue& q, const std::vector<std::size_t>& sizes, std::uint64_t seed, Clock::time_point origin) {
  Shared<KeepShared> sh;
  KeepRun run;
  run.mechanism = q.mechanism();
  const std::size_t n = sizes.size(), half = n / 2;
  auto sender = probe::spawn(probe::reporting(sh->failure, [&] {
    auto end = q.open(false);
    std::vector<std::byte> msg;
    for (std::uint32_t i = 0; i < n; ++i) {
      msg.resize(sizes[i]);
      probe::fill(seed, i, msg);
      if (auto r = end->send(msg, 1); !r) throw failed(std::string(q.mechanism()) + " send", r.error());
      sh->sent.add(i, probe::ms_since(origin), static_cast<std::int64_t>(sizes[i]));
    }
    return 0;
  }));
  Ended e = probe::end_of(sender, 10s);
  probe::expect_clean(e, run.mechanism + " sender", sh->failure);
  run.sender_end = e.describe();
  run.marks.push_back({0, probe::ms_since(origin), Mark::Kind::end, run.sender_end, false});

  auto first = probe::spawn(probe::reporting(sh->failure, [&]() -> int {
    auto end = q.open(true);
    drain(*end, q.max_message(), seed, sh->first, origin, half);
    sh->first_done = true;
    sleep_until_killed();
  }));
  if (!await_flag(sh->first_done, 10s)) {
    probe::expect_clean(probe::kill_and_reap(first), run.mechanism + " first receiver", sh->failure);
    throw std::runtime_error(run.mechanism + " first receiver: never read its half");
  }
  double kill_ms = probe::ms_since(origin);
  run.first_end = probe::kill_and_reap(first).describe();
  run.marks.push_back({1, kill_ms, Mark::Kind::fault, "SIGKILL", false});

  auto second = probe::spawn(probe::reporting(sh->failure, [&] {
    auto end = q.open(true);
    drain(*end, q.max_message(), seed, sh->second, origin, kLogSize);
    return 0;
  }));
  e = probe::end_of(second, 10s);
  probe::expect_clean(e, run.mechanism + " second receiver", sh->failure);
  run.marks.push_back({2, probe::ms_since(origin), Mark::Kind::end, e.describe(), false});
  run.left = q.queued();
  run.lanes = {fmt::format("sender (pid {})", sender.pid()), fmt::format("receiver-1 (pid {})", first.pid()),
               fmt::format("receiver-2 (pid {})", second.pid())};

  run.sent = sh->sent.size();
  run.first_read = sh->first.size();
  run.second_read = sh->second.size();
  run.traces.resize(run.sent);
  for (std::size_t i = 0; i < run.sent; ++i) {
    run.bytes += static_cast<std::uint64_t>(sh->sent.aux[i]);
    run.traces[i] = {sh->sent.seq[i], 0, sh->sent.t_ms[i], std::nullopt, 0, true, ""};
  }
  std::set<std::uint32_t> seen;
  std::int64_t last = -1;
  auto take = [&](const Log& log, std::uint32_t lane) {
    for (std::size_t i = 0; i < log.size(); ++i) {
      std::uint32_t seq = log.seq[i];
      bool damaged = log.aux[i] != 0, dup = !damaged && !seen.insert(seq).second;
      bool late = !damaged && static_cast<std::int64_t>(seq) < last;
      run.damaged += damaged;
      run.duplicated += dup;
      run.out_of_order += late;
      if (!damaged) last = std::max<std::int64_t>(last, seq);
      if (seq < run.traces.size() && !run.traces[seq].to_lane) {
        run.traces[seq].to_lane = lane;
        run.traces[seq].received_ms = log.t_ms[i];
        run.traces[seq].bad = damaged || late;
      }
    }
  };
  take(sh->first, 1);
  take(sh->second, 2);
  for (std::uint32_t s = 0; s < run.sent; ++s)
    if (!seen.contains(s)) run.missing.push_back(s);
  return run;
}

// Seeded sizes in [lo, hi], at most `count`, as many as the queue admits at once.
std::vector<std::size_t> sizes_for(Rng& rng, const Queue& q, std::size_t lo, std::size_t hi, std::size_t count) {
  std::vector<std::size_t> sizes;
  std::uint64_t total = 0;
  while (sizes.size() < count && sizes.size() < q.room(1)) {
    std::size_t s = rng.between(lo, hi);
    if (total + s > q.byte_limit()) break;
    sizes.push_back(s);
    total += s;
  }
  return sizes;
}

// ---- sysv-msg-by-type ---------------------------------------------------------------------

constexpr std::size_t kOps = 512;
struct TypeShared {
  Log sent;  // aux: the type
  std::atomic<std::uint32_t> n{0};
  std::uint8_t op[kOps];
  std::int32_t arg[kOps];
  std::int64_t seq[kOps];  // -1: ENOMSG
  std::int64_t type[kOps];
  std::uint8_t ok[kOps];
  probe::Failure failure;
};

long msgtyp_of(TypeOp op, long arg) {
  return op == TypeOp::lowest ? -arg : op == TypeOp::first ? 0 : arg;
}

ByTypeRound by_type_round(std::uint64_t seed, std::size_t count) {
  SysvQueue q;
  Rng rng(seed);
  Shared<TypeShared> sh;
  auto sizes = sizes_for(rng, q, probe::kHeader + 8, 256, count);
  std::vector<long> types;
  for (std::size_t i = 0; i < sizes.size(); ++i) types.push_back(static_cast<long>(rng.between(1, 5)));
  auto origin = Clock::now();
  auto sender = probe::spawn(probe::reporting(sh->failure, [&] {
    auto end = q.open(false);
    std::vector<std::byte> msg;
    for (std::uint32_t i = 0; i < sizes.size(); ++i) {
      msg.resize(sizes[i]);
      probe::fill(seed, i, msg);
      if (auto r = end->send(msg, types[i]); !r) throw failed("msgsnd", r.error());
      sh->sent.add(i, probe::ms_since(origin), types[i]);
    }
    return 0;
  }));
  probe::expect_clean(probe::end_of(sender, 10s), "sysv-msg sender", sh->failure);

  auto receiver = probe::spawn(probe::reporting(sh->failure, [&] {
    auto end = q.open(true);
    Rng ops(derive_seed(seed, "receive-ops"));
    std::vector<std::byte> buf(q.max_message());
    std::size_t received = 0;
    auto one = [&](TypeOp op, long arg) {
      auto i = sh->n.load();
      if (i >= kOps) return false;
      auto g = end->receive(buf, msgtyp_of(op, arg), op == TypeOp::except ? MSG_EXCEPT : 0);
      if (!g && g.error() != std::errc::no_message) throw failed("msgrcv", g.error());
      sh->op[i] = static_cast<std::uint8_t>(op);
      sh->arg[i] = static_cast<std::int32_t>(arg);
      sh->seq[i] = -1;
      if (g) {
        std::span<const std::byte> msg(buf.data(), std::min(g->size, buf.size()));
        auto seq = probe::intact(seed, msg);
        sh->ok[i] = seq.has_value();
        sh->seq[i] = seq ? *seq : probe::seq_of(msg).value_or(0);
        sh->type[i] = g->prio;
        ++received;
      }
      sh->n.store(i + 1);
      return g.has_value();
    };
    for (std::size_t k = 0; k < 6 * sizes.size() && received < sizes.size(); ++k) {
      auto op = static_cast<TypeOp>(ops.between(0, 3));
      one(op, op == TypeOp::first ? 0 : static_cast<long>(ops.between(1, 5)));
    }
    while (one(TypeOp::first, 0)) {
    }
    return 0;
  }));
  probe::expect_clean(probe::end_of(receiver, 10s), "sysv-msg receiver", sh->failure);

  ByTypeRound round;
  for (std::size_t i = 0; i < sh->sent.size(); ++i) round.sent.push_back({sh->sent.seq[i], sh->sent.aux[i]});
  for (std::size_t i = 0; i < sh->n.load(); ++i) {
    TypedReceive r{static_cast<TypeOp>(sh->op[i]), sh->arg[i], std::nullopt, true};
    if (sh->seq[i] >= 0) {
      r.got = TypedMessage{static_cast<std::uint32_t>(sh->seq[i]), sh->type[i]};
      r.intact = sh->ok[i] != 0;
    }
    round.received.push_back(r);
  }
  return round;
}

// ---- queue-priorities ---------------------------------------------------------------------

struct PrioShared {
  Log sent, received;  // aux: priority or type
  probe::Failure failure;
};

PrioRound prio_round(const Queue& q, Order order, std::uint64_t seed, std::size_t count, Clock::time_point origin) {
  Rng rng(seed);
  Shared<PrioShared> sh;
  const bool mq = std::string(q.mechanism()) == kMq;
  std::vector<std::size_t> sizes = sizes_for(rng, q, 16, std::min<std::size_t>(256, q.max_message()), count);
  std::vector<long> prios;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    // Few priorities, so that ties (FIFO within one) are common; now and then a far one.
    long p = static_cast<long>(rng.between(0, 3));
    if (rng.between(0, 7) == 0) p = static_cast<long>(rng.between(4, 31));
    prios.push_back(mq ? p : std::min(p + 1, 5L));  // a sysv-msg type is 1..5
  }
  auto sender = probe::spawn(probe::reporting(sh->failure, [&] {
    auto end = q.open(false);
    std::vector<std::byte> msg;
    for (std::uint32_t i = 0; i < sizes.size(); ++i) {
      msg.resize(sizes[i]);
      probe::fill(seed, i, msg);
      if (auto r = end->send(msg, prios[i]); !r) throw failed(std::string(q.mechanism()) + " send", r.error());
      sh->sent.add(i, probe::ms_since(origin), prios[i]);
    }
    return 0;
  }));
  probe::expect_clean(probe::end_of(sender, 10s), std::string(q.mechanism()) + " sender", sh->failure);
  auto receiver = probe::spawn(probe::reporting(sh->failure, [&] {
    auto end = q.open(true);
    std::vector<std::byte> buf(q.max_message());
    long msgtyp = order == Order::lowest_type_first ? -5 : 0;
    for (;;) {
      auto g = end->receive(buf, msgtyp);
      if (!g && empty_error(g.error())) return 0;
      if (!g) throw failed(std::string(q.mechanism()) + " receive", g.error());
      auto seq = probe::intact(seed, std::span<const std::byte>(buf.data(), std::min(g->size, buf.size())));
      if (!seq) throw std::runtime_error(std::string(q.mechanism()) + ": a damaged message");
      sh->received.add(*seq, probe::ms_since(origin), g->prio);
    }
  }));
  probe::expect_clean(probe::end_of(receiver, 10s), std::string(q.mechanism()) + " receiver", sh->failure);

  PrioRound round;
  round.mechanism = q.mechanism();
  round.order = order;
  round.lanes = {fmt::format("sender (pid {})", sender.pid()), fmt::format("receiver (pid {})", receiver.pid())};
  for (std::size_t i = 0; i < sh->sent.size(); ++i) {
    round.sent.push_back({sh->sent.seq[i], sh->sent.aux[i]});
    round.traces.push_back({sh->sent.seq[i], 0, sh->sent.t_ms[i], std::nullopt, 0, false,
                            fmt::format("#{} {}{}", sh->sent.seq[i], mq ? "p" : "t", sh->sent.aux[i])});
  }
  for (std::size_t i = 0; i < sh->received.size(); ++i) {
    round.received.push_back({sh->received.seq[i], sh->received.aux[i]});
    for (auto& t : round.traces) {
      if (t.seq == sh->received.seq[i] && !t.to_lane) {
        t.to_lane = 1;
        t.received_ms = sh->received.t_ms[i];
      }
    }
  }
  return round;
}

// ---- queue-sender-never-blocks ------------------------------------------------------------

struct FillShared {
  std::atomic<std::uint64_t> progress{0};
  float send_ms[64];
  std::atomic<int> err{0};
  probe::Failure failure;
};

FillRun fill_run(const Queue& blocking_q, const Queue& nonblocking_q, std::size_t size, Clock::time_point origin) {
  FillRun run;
  run.mechanism = blocking_q.mechanism();
  run.message_size = size;
  run.room = blocking_q.room(size);
  run.limit = blocking_q.limit();
  run.bound = std::max<std::uint64_t>(1000, 64 * run.room);
  std::vector<std::byte> msg(size);
  probe::fill(1, 0, msg);
  {
    Shared<FillShared> sh;
    auto sender = probe::spawn(probe::reporting(sh->failure, [&] {
      auto end = blocking_q.open(false);
      for (std::uint64_t i = 0; i < run.bound; ++i) {
        if (auto r = end->send(msg, 1); !r) throw failed(run.mechanism + " send", r.error());
        if (i < 64) sh->send_ms[i] = static_cast<float>(probe::ms_since(origin));
        sh->progress.fetch_add(1);
      }
      return 0;
    }));
    run.lane = fmt::format("{} sender (pid {})", run.mechanism, sender.pid());
    run.blocked_in = probe::await_blocked(sender, sh->progress, 5s);
    if (run.blocked_in) {
      run.blocked_ms = probe::ms_since(origin);
      run.queued = blocking_q.queued();
      run.blocking_sent = sh->progress.load();
      run.killed_ms = probe::ms_since(origin);
      probe::kill_and_reap(sender);
    } else {
      probe::expect_clean(probe::end_of(sender, 10s), run.mechanism + " blocking sender", sh->failure);
      run.blocking_sent = sh->progress.load();
    }
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(run.blocking_sent, 64); ++i)
      run.send_ms.push_back(sh->send_ms[i]);
  }
  {
    Shared<FillShared> sh;
    auto sender = probe::spawn(probe::reporting(sh->failure, [&] {
      auto end = nonblocking_q.open(true);
      for (std::uint64_t i = 0; i < run.bound; ++i) {
        if (auto r = end->send(msg, 1); !r) {
          sh->err = r.error().value();
          return 0;
        }
        sh->progress.fetch_add(1);
      }
      return 0;
    }));
    probe::expect_clean(probe::end_of(sender, 10s), run.mechanism + " non-blocking sender", sh->failure);
    run.nonblocking_sent = sh->progress.load();
    run.nonblocking_errno = sh->err.load();
  }
  return run;
}

}  // namespace

// ---- judgements and measurements ------------------------------------------------------------

KeepMeasurement measure_keeps(const Context& ctx) {
  KeepMeasurement m;
  Rng rng(derive_seed(ctx.seed, "keeps"));
  const std::size_t rounds = ctx.quick ? 2 : 25;
  auto origin = Clock::now();
  for (std::size_t r = 0; r < rounds && !ctx.stopping(); ++r) {
    {
      SysvQueue q;
      auto sizes = sizes_for(rng, q, probe::kHeader + 8, 512, 64);
      m.runs.push_back(keep_run(q, sizes, rng.next(), origin));
    }
    {
      PosixQueue q(std::pair<long, long>{mq_depth(10), 512});
      auto sizes = sizes_for(rng, q, probe::kHeader + 8, 512, 64);
      m.runs.push_back(keep_run(q, sizes, rng.next(), origin));
    }
  }
  return m;
}

Finding judge_keeps(const KeepMeasurement& m, const std::string& replay) {
  Finding f;
  struct Sum {
    std::uint64_t runs = 0, sent = 0, bytes = 0, first = 0, second = 0, missing = 0, damaged = 0, duplicated = 0,
                  out_of_order = 0, left = 0;
  };
  std::map<std::string, Sum> sums;
  const KeepRun* bad = nullptr;
  for (const auto& r : m.runs) {
    Sum& s = sums[r.mechanism];
    ++s.runs;
    s.sent += r.sent;
    s.bytes += r.bytes;
    s.first += r.first_read;
    s.second += r.second_read;
    s.missing += r.missing.size();
    s.damaged += r.damaged;
    s.duplicated += r.duplicated;
    s.out_of_order += r.out_of_order;
    s.left += r.left;
    if (!bad && (!r.missing.empty() || r.damaged || r.duplicated || r.out_of_order)) bad = &r;
  }
  for (const auto& [mech, s] : sums) {
    f.runs.push_back(
        fmt::format("{}: {}, each: a sender process sends its messages ({} in all, {} B) and exits "
                    "and is reaped; a receiver forked after it reads about half and is SIGKILLed; a "
                    "receiver forked after that reads the rest",
                    mech, plural(s.runs, "run"), s.sent, s.bytes));
    f.evidence.push_back(
        fmt::format("{}: {} of {} messages read intact and in order after their sender had exited "
                    "({} by receivers later SIGKILLed, {} by the receivers after them); {} missing, "
                    "{} damaged, {} duplicated, {} out of order, {} left in the queue",
                    mech, s.first + s.second - s.damaged - s.duplicated, s.sent, s.first, s.second, s.missing,
                    s.damaged, s.duplicated, s.out_of_order, s.left));
    f.measurements[mech] = {{"runs", s.runs},
                            {"sent", s.sent},
                            {"bytes", s.bytes},
                            {"read_by_killed_receiver", s.first},
                            {"read_after_kill", s.second},
                            {"missing", s.missing},
                            {"damaged", s.damaged},
                            {"duplicated", s.duplicated},
                            {"out_of_order", s.out_of_order},
                            {"left", s.left}};
  }
  if (m.runs.empty()) {
    f.verdict = Verdict::not_checked;
    f.condition = "no run completed (interrupted)";
    return f;
  }
  if (!bad) {
    f.verdict = Verdict::holds;
    return f;
  }
  f.verdict = Verdict::refuted;
  std::string what;
  if (!bad->missing.empty())
    what = fmt::format("{} of {} messages never read ({})", bad->missing.size(), bad->sent, list_seqs(bad->missing));
  else
    what = fmt::format("{} damaged, {} duplicated, {} out of order of {} messages", bad->damaged, bad->duplicated,
                       bad->out_of_order, bad->sent);
  f.condition = fmt::format("{}: {} after the sender exited and a receiver was SIGKILLed", bad->mechanism, what);
  // Draw the messages around the first bad one.
  std::size_t first_bad = 0;
  while (first_bad < bad->traces.size() && !(bad->traces[first_bad].bad || !bad->traces[first_bad].to_lane))
    ++first_bad;
  std::size_t from = first_bad > 10 ? first_bad - 10 : 0;
  std::vector<probe::Trace> shown(bad->traces.begin() + static_cast<std::ptrdiff_t>(std::min(from, bad->traces.size())),
                                  bad->traces.end());
  Counterexample c;
  c.summary = f.condition;
  c.replay = replay;
  c.timeline = probe::traffic(bad->mechanism + ": messages outliving their sender", bad->lanes, shown, bad->marks,
                              "red: a message read damaged, twice, out of order, or never", 25);
  f.counterexamples.push_back(std::move(c));
  return f;
}

std::string_view to_string(TypeOp op) {
  switch (op) {
    case TypeOp::first:
      return "msgtyp 0";
    case TypeOp::exact:
      return "msgtyp t";
    case TypeOp::lowest:
      return "msgtyp -t";
    case TypeOp::except:
      return "MSG_EXCEPT t";
  }
  return "?";
}

std::optional<std::size_t> select(const std::vector<TypedMessage>& queue, TypeOp op, long arg) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < queue.size(); ++i) {
    long t = queue[i].type;
    switch (op) {
      case TypeOp::first:
        return i;
      case TypeOp::exact:
        if (t == arg) return i;
        break;
      case TypeOp::except:
        if (t != arg) return i;
        break;
      case TypeOp::lowest:  // the lowest type <= arg; the first of it
        if (t <= arg && (!best || t < queue[*best].type)) best = i;
        break;
    }
  }
  return best;
}

ByTypeMeasurement measure_by_type(const Context& ctx) {
  ByTypeMeasurement m;
  const std::size_t rounds = ctx.quick ? 3 : 40;
  for (std::size_t r = 0; r < rounds && !ctx.stopping(); ++r)
    m.rounds.push_back(by_type_round(derive_seed(ctx.seed, "by-type-" + std::to_string(r)), 48));
  return m;
}

Finding judge_by_type(const ByTypeMeasurement& m, const std::string& replay) {
  Finding f;
  std::map<TypeOp, std::pair<std::uint64_t, std::uint64_t>> per_op;  // {matched, asked}
  std::uint64_t sent = 0, enomsg = 0, mismatched = 0;
  std::string first_mismatch;
  for (std::size_t ri = 0; ri < m.rounds.size(); ++ri) {
    const auto& round = m.rounds[ri];
    std::vector<TypedMessage> model = round.sent;
    sent += round.sent.size();
    for (std::size_t k = 0; k < round.received.size(); ++k) {
      const auto& r = round.received[k];
      auto want = select(model, r.op, r.arg);
      auto& [matched, asked] = per_op[r.op];
      ++asked;
      bool ok = r.intact && want.has_value() == r.got.has_value() &&
                (!want || (model[*want].seq == r.got->seq && model[*want].type == r.got->type));
      if (ok) {
        ++matched;
        if (!want) ++enomsg;
      } else {
        ++mismatched;
        if (first_mismatch.empty()) {
          auto name = [](const std::optional<TypedMessage>& x) {
            return x ? fmt::format("#{} (type {})", x->seq, x->type) : std::string("nothing (ENOMSG)");
          };
          std::optional<TypedMessage> w;
          if (want) w = model[*want];
          first_mismatch = fmt::format("round {}, receive {} ({}, t = {}): took {}{}, the send log selects {}", ri + 1,
                                       k + 1, to_string(r.op), r.arg, name(r.got), r.intact ? "" : " damaged", name(w));
        }
      }
      // Keep the model in step with the queue: what was taken is gone from both.
      if (r.got) {
        auto it = std::find_if(model.begin(), model.end(), [&](const TypedMessage& x) { return x.seq == r.got->seq; });
        if (it != model.end()) model.erase(it);
      }
    }
  }
  f.runs.push_back(
      fmt::format("sysv-msg: {}; in each a sender process sends up to 48 messages with seeded "
                  "types 1..5 and exits; a receiver process then takes them with seeded msgtyp 0, t, -t "
                  "and t with MSG_EXCEPT (IPC_NOWAIT), and drains with msgtyp 0",
                  plural(m.rounds.size(), "round")));
  std::uint64_t asked = 0;
  std::string ops;
  for (const auto& [op, c] : per_op) {
    asked += c.second;
    ops += fmt::format("{}{} of {} with {}", ops.empty() ? "" : ", ", c.first, c.second, to_string(op));
    f.measurements["receives"][std::string(to_string(op))] = {{"matched", c.first}, {"asked", c.second}};
  }
  f.evidence.push_back(fmt::format("{} messages sent; {} receives matched the selection computed from the send log: {}",
                                   sent, asked - mismatched, ops.empty() ? "none asked" : ops));
  f.evidence.push_back(
      fmt::format("{} receives found no message of the asked type and got ENOMSG, as the send log "
                  "predicted",
                  enomsg));
  f.measurements["sent"] = sent;
  f.measurements["rounds"] = m.rounds.size();
  f.measurements["mismatched"] = mismatched;
  f.measurements["enomsg"] = enomsg;
  if (asked == 0) {
    f.verdict = Verdict::not_checked;
    f.condition = "no receive completed (interrupted)";
    return f;
  }
  if (mismatched == 0) {
    f.verdict = Verdict::holds;
    return f;
  }
  f.verdict = Verdict::refuted;
  f.condition = fmt::format("{} of {} receives took another message than their type selects; first: {}", mismatched,
                            asked, first_mismatch);
  f.evidence.push_back("first mismatch: " + first_mismatch);
  f.counterexamples.push_back({f.condition, replay, std::nullopt});
  return f;
}

std::vector<PrioMessage> expected_order(const std::vector<PrioMessage>& sent, Order order) {
  std::vector<PrioMessage> out = sent;
  if (order == Order::highest_priority_first)
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.prio > b.prio; });
  if (order == Order::lowest_type_first)
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.prio < b.prio; });
  return out;
}

PrioMeasurement measure_priorities(const Context& ctx) {
  PrioMeasurement m;
  const std::size_t mq_rounds = ctx.quick ? 4 : 60, sysv_rounds = ctx.quick ? 2 : 20;
  auto origin = Clock::now();
  {
    PosixQueue q(std::pair<long, long>{mq_depth(10), 256});
    for (std::size_t r = 0; r < mq_rounds && !ctx.stopping(); ++r) {
      m.rounds.push_back(prio_round(q, Order::highest_priority_first, derive_seed(ctx.seed, "mq-" + std::to_string(r)),
                                    q.maxmsg(), origin));
    }
  }
  SysvQueue q;
  for (std::size_t r = 0; r < sysv_rounds && !ctx.stopping(); ++r) {
    m.rounds.push_back(
        prio_round(q, Order::lowest_type_first, derive_seed(ctx.seed, "sysv-" + std::to_string(r)), 40, origin));
  }
  for (std::size_t r = 0; r < std::max<std::size_t>(1, sysv_rounds / 2) && !ctx.stopping(); ++r) {
    m.rounds.push_back(
        prio_round(q, Order::arrival, derive_seed(ctx.seed, "sysv-fifo-" + std::to_string(r)), 40, origin));
  }
  return m;
}

Finding judge_priorities(const PrioMeasurement& m, const std::string& replay) {
  Finding f;
  struct Sum {
    std::uint64_t rounds = 0, messages = 0, matched = 0, ties = 0;
    long lo = LONG_MAX, hi = LONG_MIN;
  };
  auto key = [](const PrioRound& r) {
    return r.mechanism + (r.order == Order::lowest_type_first                 ? " msgtyp -5"
                          : r.order == Order::arrival && r.mechanism == kSysv ? " msgtyp 0"
                                                                              : "");
  };
  std::map<std::string, Sum> sums;
  const PrioRound* bad = nullptr;
  std::size_t bad_at = 0;
  for (const auto& r : m.rounds) {
    Sum& s = sums[key(r)];
    ++s.rounds;
    s.messages += r.sent.size();
    std::set<long> distinct;
    for (const auto& x : r.sent) {
      s.lo = std::min(s.lo, x.prio);
      s.hi = std::max(s.hi, x.prio);
      distinct.insert(x.prio);
    }
    s.ties += r.sent.size() - distinct.size();
    auto want = expected_order(r.sent, r.order);
    std::size_t at = 0;  // the first receive that differs
    while (at < want.size() && at < r.received.size() && want[at].seq == r.received[at].seq &&
           want[at].prio == r.received[at].prio)
      ++at;
    if (at == want.size() && at == r.received.size()) {
      ++s.matched;
    } else if (!bad) {
      bad = &r;
      bad_at = at;
    }
  }
  auto describe_order = [](const std::string& k) {
    if (k == kMq) return "highest priority first, FIFO within a priority";
    if (k.ends_with("msgtyp -5")) return "lowest type first, FIFO within a type";
    return "in arrival order whatever their types: sysv-msg has no priority of its own";
  };
  for (const auto& [k, s] : sums) {
    const char* what = k == kMq ? "priorities" : "types";
    f.runs.push_back(
        fmt::format("{}: {}; each: a sender process fills the queue ({} messages in all, seeded {} "
                    "{}..{}) and exits; a receiver process then empties it",
                    k, plural(s.rounds, "round"), s.messages, what, s.lo, s.hi));
    f.evidence.push_back(fmt::format("{}: {} of {} came out {} ({} messages, {} sharing a {} with an earlier one)", k,
                                     s.matched, plural(s.rounds, "round"), describe_order(k), s.messages, s.ties,
                                     k == kMq ? "priority" : "type"));
    f.measurements[k] = {{"rounds", s.rounds}, {"matched", s.matched}, {"messages", s.messages}, {"ties", s.ties}};
  }
  if (m.rounds.empty()) {
    f.verdict = Verdict::not_checked;
    f.condition = "no round completed (interrupted)";
    return f;
  }
  if (!bad) {
    f.verdict = Verdict::holds;
    return f;
  }
  f.verdict = Verdict::refuted;
  auto want = expected_order(bad->sent, bad->order);
  auto name = [&](const std::vector<PrioMessage>& v) {
    return bad_at < v.size()
               ? fmt::format("#{} ({} {})", v[bad_at].seq, bad->mechanism == kMq ? "priority" : "type", v[bad_at].prio)
               : std::string("nothing");
  };
  f.condition = fmt::format("{}: receive {} gave {} where {} order gives {}", key(*bad), bad_at + 1,
                            name(bad->received), describe_order(key(*bad)), name(want));
  Counterexample c{f.condition, replay, std::nullopt};
  if (!bad->traces.empty()) {
    c.timeline = probe::traffic(key(*bad) + ": the order messages came out in", bad->lanes, bad->traces, {},
                                "labels: #seq and its priority (p) or type (t)");
  }
  f.counterexamples.push_back(std::move(c));
  return f;
}

FillMeasurement measure_fill(const Context& ctx) {
  FillMeasurement m;
  auto origin = Clock::now();
  constexpr std::size_t kSize = 1024;
  {
    PosixQueue a(std::nullopt), b(std::nullopt);  // the queue as it comes: the kernel's defaults
    m.runs.push_back(fill_run(a, b, kSize, origin));
  }
  if (!ctx.stopping()) {
    SysvQueue a, b;
    m.runs.push_back(fill_run(a, b, kSize, origin));
  }
  return m;
}

Finding judge_fill(const FillMeasurement& m, const std::string& replay) {
  Finding f;
  bool any_blocked = false;
  std::string with_room;
  std::vector<std::string> limits;
  Timeline t;
  t.title = "senders with no receiver";
  t.caption = "red: the sender asleep in the kernel, waiting for a receiver to make room";
  for (const auto& r : m.runs) {
    bool blocked = r.blocked_in.has_value(), eagain = r.nonblocking_errno != 0;
    f.runs.push_back(
        fmt::format("{}: with no receiver, a blocking sender process sends {} B messages (at most {}) "
                    "until it sleeps in the kernel; a non-blocking one until an error",
                    r.mechanism, r.message_size, r.bound));
    f.evidence.push_back(
        blocked ? fmt::format("{}: the blocking sender completed {} sends, then slept in {} (state S) with {} messages "
                              "queued, until SIGKILLed",
                              r.mechanism, r.blocking_sent, *r.blocked_in, r.queued)
                : fmt::format("{}: the blocking sender completed all {} sends without sleeping", r.mechanism,
                              r.blocking_sent));
    f.evidence.push_back(
        eagain ? fmt::format("{}: the non-blocking sender completed {} sends, then got {}", r.mechanism,
                             r.nonblocking_sent, probe::errno_name(r.nonblocking_errno))
               : fmt::format("{}: the non-blocking sender completed all {} sends", r.mechanism, r.nonblocking_sent));
    f.measurements[r.mechanism] = {{"message_size", r.message_size},
                                   {"room", r.room},
                                   {"limit", r.limit},
                                   {"bound", r.bound},
                                   {"blocking_sent", r.blocking_sent},
                                   {"blocked_in", r.blocked_in.value_or("")},
                                   {"queued_when_blocked", r.queued},
                                   {"nonblocking_sent", r.nonblocking_sent},
                                   {"nonblocking_errno", eagain ? probe::errno_name(r.nonblocking_errno) : ""}};
    if (!blocked && !eagain) continue;
    any_blocked = true;
    if ((blocked && r.blocking_sent < r.room) || (eagain && r.nonblocking_sent < r.room)) {
      with_room = fmt::format("{}: a sender {} after {} messages of {} B although {} admits {}", r.mechanism,
                              blocked && r.blocking_sent < r.room ? "slept in " + *r.blocked_in
                                                                  : "got " + probe::errno_name(r.nonblocking_errno),
                              blocked && r.blocking_sent < r.room ? r.blocking_sent : r.nonblocking_sent,
                              r.message_size, r.limit, r.room);
    }
    limits.push_back(r.mechanism == kMq ? fmt::format("posix-mq took {} messages ({})", r.blocking_sent, r.limit)
                                        : fmt::format("{} took {} messages of {} B ({})", r.mechanism, r.blocking_sent,
                                                      r.message_size, r.limit));
    // The timeline: the first and last few sends, the sleep, the kill.
    auto lane = static_cast<std::uint32_t>(t.lanes.size());
    t.lanes.push_back(r.lane);
    for (std::size_t i = 0; i < r.send_ms.size(); ++i) {
      if (i < 3 || i + 3 >= r.send_ms.size())
        t.marks.push_back({lane, r.send_ms[i], Mark::Kind::send, "#" + std::to_string(i), false});
    }
    if (blocked) {
      t.marks.push_back({lane, r.blocked_ms, Mark::Kind::blocked, *r.blocked_in, true});
      t.marks.push_back({lane, r.killed_ms, Mark::Kind::fault, "SIGKILL", false});
    }
  }
  if (m.runs.empty()) {
    f.verdict = Verdict::not_checked;
    f.condition = "no run completed (interrupted)";
    return f;
  }
  if (!any_blocked) {
    f.verdict = Verdict::holds;
    return f;
  }
  if (!with_room.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = with_room;
  } else {
    f.verdict = Verdict::holds_only_if;
    std::string joined;
    for (const auto& l : limits) joined += (joined.empty() ? "" : ", ") + l;
    f.condition = "the queue has room: " + joined + ", then the sender blocked (EAGAIN when non-blocking)";
  }
  Counterexample c{f.condition, replay, std::nullopt};
  if (!t.lanes.empty()) c.timeline = std::move(t);
  f.counterexamples.push_back(std::move(c));
  return f;
}

}  // namespace ipch::claims
