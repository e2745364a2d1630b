#include "worker.hpp"

#include <signal.h>
#include <unistd.h>

#include <thread>

#include "catalogue.hpp"
#include "envelope.hpp"
#include "fault_plan.hpp"
#include "plan.hpp"
#include "points.hpp"
#include "sys.hpp"

namespace ipch {

namespace {

// Events are written to the control pipe in one write() just before each call that may block,
// so the history is complete whenever a worker waits, and a message costs one control write,
// not two. (System calls cost microseconds on some machines; a message is a handful of them.)
class Reporter {
 public:
  Reporter(int fd, std::uint32_t worker) : fd_(fd), worker_(worker) {}
  void report(Event e) {
    e.t_ns = monotonic_ns();
    e.worker = worker_;
    pending_[n_++] = e;
    if (n_ == kMax) flush();
  }
  // One write of at most kMax * 40 bytes < PIPE_BUF: atomic, so a kill never tears an event.
  // A runner that is gone kills us (PDEATHSIG).
  void flush() {
    if (n_ == 0) return;
    if (!sys::write_all(fd_, std::as_bytes(std::span(pending_, n_)), Deadline::never())) ::_exit(3);
    n_ = 0;
  }

 private:
  static constexpr std::size_t kMax = 8;
  int fd_;
  std::uint32_t worker_;
  Event pending_[kMax];
  std::size_t n_ = 0;
};

bool would_block(std::error_code ec) {
  return ec == std::errc::resource_unavailable_try_again || ec == std::errc::no_message;  // ENOMSG: sysv IPC_NOWAIT
}

// A non-blocking channel is driven the way careful user code drives one: retry EAGAIN.
// `on_full` runs once, at the first EAGAIN, so the history shows that the buffer was full.
template <class F>
Result<void> send_retrying(Channel& ch, std::span<const std::byte> msg, F on_full) {
  bool told = false;
  for (;;) {
    auto r = ch.send(msg, Deadline::never());
    if (r || !would_block(r.error())) return r;
    if (!told) on_full(), told = true;
    std::this_thread::yield();
  }
}

// Arms, in this worker, the fault points the plan asks of it. Points are counted per process,
// so "the n-th hit" means the same call on every replay.
std::vector<std::string> arm_faults(const Scenario& s, const WorkerInfo& me) {
  std::vector<std::string> armed;
  faults::ArmContext w;
  w.mechanism = s.mechanism;
  w.first_sender = (me.role == WorkerRole::sender && me.rank == 0) || me.role == WorkerRole::client;
  w.first_receiver = (me.role == WorkerRole::receiver && me.rank == 0) || me.role == WorkerRole::server;
  w.arm = [&](const std::string& name, std::uint64_t from, std::uint64_t count, std::uintptr_t info) {
    faults::arm(name, from, count, info);
    armed.push_back(name);
  };
  for (const auto& f : fault_plan(s)) {
    const faults::Entry* e = faults::find(f.name);
    if (e && e->arm) e->arm(f, w);
  }
  return armed;
}
Result<Received> receive_retrying(Channel& ch, std::vector<std::byte>& buf) {
  for (;;) {
    auto r = ch.receive(buf, Deadline::never());
    if (r || !would_block(r.error())) return r;
    std::this_thread::yield();
  }
}

// After a failed call a worker goes on, as careful user code would, unless the error says the
// peer or the object is gone, or the same error came twice in a row (it will not pass).
// A receiver goes on after a broken connection (ECONNRESET, a frame torn by a killed sender):
// other senders' connections still carry messages.
class Persistence {
 public:
  explicit Persistence(bool receiving) : receiving_(receiving) {}
  bool go_on(std::error_code ec) {
    int e = ec.category() == std::generic_category() ? ec.value() : -1;
    bool object_gone = e == -1 || e == EBADF || e == EIDRM || e == EINVAL || e == ENOENT;
    bool peer_gone = e == EPIPE || e == ECONNRESET || e == ECONNREFUSED || e == ENOTCONN || e == EPROTO;
    bool gone = object_gone || (peer_gone && !receiving_);
    bool again = e == last_;
    last_ = e;
    return !gone && !again;
  }
  void ok() { last_ = 0; }

 private:
  bool receiving_;
  int last_ = 0;
};

class Worker {
 public:
  Worker(const Scenario& s, const WorkerPlan& p, int control_fd)
      : s_(s), plan_(p), rep_(control_fd, p.info.index), payload_seed_(s.payload_seed()) {}

  enum class Sent { ok, failed, stop };
  // Sends and reports it. `failed`: the send failed and the worker goes on; `stop`: it stops.
  Sent send(Channel& ch, std::uint8_t link, std::uint32_t sender, std::uint64_t seq) {
    std::size_t size = s_.message_size(sender, seq, plan_.cap);
    make_envelope(payload_seed_, sender, seq, size, out_);
    rep_.report({.kind = EventKind::send_invoked, .link = link, .sender = sender, .seq = seq, .size = size});
    rep_.flush();
    auto r = send_retrying(ch, out_, [&] {
      rep_.report({.kind = EventKind::would_block, .link = link, .sender = sender, .seq = seq, .size = size});
      rep_.flush();
    });
    if (r) {
      rep_.report({.kind = EventKind::send_ok, .link = link, .sender = sender, .seq = seq, .size = size});
      send_errors_.ok();
      return Sent::ok;
    }
    rep_.report({.kind = EventKind::send_failed, .link = link, .err = r.error().value(), .sender = sender, .seq = seq,
                 .size = size});
    return send_errors_.go_on(r.error()) ? Sent::failed : Sent::stop;
  }

  // Returns the opened message iff one arrived (reported); else reports why not.
  std::optional<Opened> receive(Channel& ch, std::uint8_t link) {
    for (;;) {
      rep_.flush();
      auto r = receive_retrying(ch, in_);
      if (r) {
        receive_errors_.ok();
        Opened o = open_envelope(payload_seed_, std::span(in_).first(r->size));
        rep_.report({.kind = EventKind::received, .link = link, .damage = o.damage, .sender = o.sender, .seq = o.seq,
                     .size = r->size});
        return o;
      }
      bool eof = r.error() == make_error_code(channel_errc::end_of_stream);
      rep_.report({.kind = EventKind::receive_failed, .link = link, .err = eof ? kEndOfStream : r.error().value()});
      if (eof || !receive_errors_.go_on(r.error())) return std::nullopt;
    }
  }

  void sender(Channel& tx) {
    std::uint64_t n = s_.messages_of(plan_.info.rank);
    for (std::uint64_t seq = 0; seq < n; ++seq)
      if (send(tx, 0, plan_.info.index, seq) == Sent::stop) break;
  }

  void receiver(Channel& rx) {
    while (receive(rx, 0)) {
    }
  }

  // Keeps up to `depth` requests outstanding: with a depth past what both buffers hold, client
  // and server both block in send - the classic pipelining deadlock.
  void client(Channel& requests, Channel& responses) {
    std::uint64_t n = s_.workload.messages, next = 0, got = 0;
    std::uint64_t depth = std::max<std::uint32_t>(1, s_.workload.depth);
    while (got < n) {
      while (next < n && next - got < depth) {
        Sent r = send(requests, 0, plan_.info.index, next);
        if (r == Sent::stop) return;
        ++next;
        if (r == Sent::failed) ++got;  // no response will come for a request that was never sent
      }
      if (got >= n) break;
      if (!receive(responses, 1)) return;
      ++got;
    }
  }

  void server(Channel& requests, Channel& responses) {
    while (auto req = receive(requests, 0)) {
      if (send(responses, 1, plan_.info.index, req->seq) == Sent::stop) return;
    }
  }

  void started() {
    rep_.report({.kind = EventKind::started});
    rep_.flush();
  }
  // Reports what this worker absorbed: EINTRs retried (seq), short transfers finished (size),
  // fault points fired (sender).
  void finished(const std::vector<std::string>& armed) {
    const auto& io = sys::io_counters();
    std::uint64_t fired = 0;
    for (const auto& n : armed) fired += faults::fired(n);
    rep_.report({.kind = EventKind::finished, .sender = static_cast<std::uint32_t>(fired), .seq = io.eintr_retries,
                 .size = io.short_reads + io.short_writes});
    rep_.flush();
  }

 private:
  const Scenario& s_;
  const WorkerPlan& plan_;
  Reporter rep_;
  std::uint64_t payload_seed_;
  std::vector<std::byte> out_, in_;
  Persistence send_errors_{false}, receive_errors_{true};
};

}  // namespace

int run_worker(const Scenario& s, const WorkerPlan& plan, std::vector<std::unique_ptr<Link>>& links, int control_fd,
               int start_fd) {
  // libfiu reads its PRNG seed once, at fiu_init in this process: derive it from the run's seed.
  ::setenv("FIU_PRNG_SEED", std::to_string(faults::fiu_seed(s.seed, plan.info.index)).c_str(), 1);
  auto armed = arm_faults(s, plan.info);
  Worker w(s, plan, control_fd);
  auto open = [&](std::size_t link, Role role) -> std::unique_ptr<Channel> {
    auto c = links.at(link)->open(role, Deadline::never());
    if (!c) {
      std::fprintf(stderr, "ipc-harness worker %s: opening the %s end of %s failed: %s\n", plan.info.name().c_str(),
                   std::string(to_string(role)).c_str(), links[link]->object().c_str(), describe(c.error()).c_str());
      return nullptr;
    }
    return std::move(*c);
  };
  std::unique_ptr<Channel> a, b;
  switch (plan.info.role) {
    case WorkerRole::sender: a = open(0, Role::sender); break;
    case WorkerRole::receiver: a = open(0, Role::receiver); break;
    case WorkerRole::client: a = open(0, Role::sender), b = open(1, Role::receiver); break;
    case WorkerRole::server: a = open(0, Role::receiver), b = open(1, Role::sender); break;
    case WorkerRole::bystander: return 3;  // the runner runs bystanders itself
  }
  for (auto& l : links) l->release();
  bool two = plan.info.role == WorkerRole::client || plan.info.role == WorkerRole::server;
  if (!a || (two && !b)) return 3;
  w.started();
  std::byte go;
  (void)sys::read(start_fd, std::span(&go, 1));  // EOF: every worker is up
  switch (plan.info.role) {
    case WorkerRole::sender: w.sender(*a); break;
    case WorkerRole::receiver: w.receiver(*a); break;
    case WorkerRole::client: w.client(*a, *b); break;
    case WorkerRole::server: w.server(*a, *b); break;
    case WorkerRole::bystander: break;
  }
  a->close();  // before `finished`: a receiver waiting for end of stream sees it now
  if (b) b->close();
  w.finished(armed);
  return 0;
}

}  // namespace ipch
