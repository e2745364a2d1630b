#include "runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>

#include "envelope.hpp"
#include "fault_driver.hpp"
#include "fault_plan.hpp"
#include "framing.hpp"
#include "objects.hpp"
#include "process_title.hpp"
#include "registry.hpp"
#include "signal_pipe.hpp"
#include "sys.hpp"
#include "worker.hpp"

namespace ipch {

namespace {

bool sends_on(const WorkerInfo& w, std::uint8_t link) {
  switch (w.role) {
    case WorkerRole::sender: return link == 0;
    case WorkerRole::client: return link == 0;
    case WorkerRole::server: return link == 1;
    default: return false;
  }
}
bool receives_on(const WorkerInfo& w, std::uint8_t link) {
  switch (w.role) {
    case WorkerRole::receiver: return link == 0;
    case WorkerRole::server: return link == 0;
    case WorkerRole::client: return link == 1;
    default: return false;
  }
}

struct Live {
  WorkerInfo info;
  sys::Fd control;  // read end, non-blocking
  sys::Fd pidfd;
  std::vector<std::byte> partial;
  bool alive = true;
  bool stopped = false;  // the runner ended it on purpose
};

class Runner {
 public:
  Runner(const Scenario& s, const RunOptions& o) : s_(s), o_(o) {}

  RunOutcome run();

 private:
  void create_links();
  void choose_cap();
  void fork_workers();
  void loop();
  void drain(Live& w);
  void reap(Live& w);
  void stop_finished_links();
  // True iff the contract promises this run's receivers end of stream once their senders are
  // gone: then they must end by themselves, and one still blocked is a stall, not a finished run.
  bool receivers_see_end_of_stream() const;
  void kill_all();
  void fork_bystander(const sys::Fd& gate_w);
  std::optional<std::uint32_t> restart(std::uint32_t worker);
  Live* live(std::uint32_t worker);
  bool working(const Live& w) const { return w.alive && w.info.role != WorkerRole::bystander; }
  std::uint64_t now_ms() const { return monotonic_ns() / 1'000'000; }

  const Scenario& s_;
  const RunOptions& o_;
  const Mechanism* mech_ = nullptr;
  std::vector<std::unique_ptr<Link>> links_;
  std::deque<Live> workers_;  // a deque: restarts append while the loop holds references
  std::unique_ptr<FaultDriver> driver_;
  pid_t pgid_ = 0;
  sys::Fd start_gate_;  // closed once every worker has started or exited
  RunOutcome out_;
  std::uint64_t last_progress_ = 0;
  // Per link. A send invoked but neither completed nor failed is in flight: once its sender is
  // dead it may still arrive, so it must not stand in for a completed one still on its way.
  std::uint64_t invoked_[2]{}, sent_ok_[2]{}, send_failed_[2]{}, received_[2]{}, last_receive_[2]{};
  std::map<std::uint32_t, bool> started_;
};

void Runner::create_links() {
  int n = s_.workload.kind == WorkloadKind::request_response ? 2 : 1;
  for (int i = 0; i < n; ++i) {
    auto l = mech_->create(s_.settings);
    if (!l) throw BadInput(l.error().message);
    out_.objects.push_back((*l)->object());
    links_.push_back(std::move(*l));
  }
}

void Runner::choose_cap() {
  std::size_t cap = s_.workload.max_size;
  for (auto& l : links_) {
    if (auto lim = l->limit(); lim.bytes < cap) {
      cap = lim.bytes;
      out_.notes.push_back("message sizes capped to " + std::to_string(cap) + " B: " + lim.source);
    }
  }
  const Contract& c = out_.contract;
  bool shared_writers = s_.workload.senders > 1 && s_.workload.kind != WorkloadKind::request_response;
  if (shared_writers && !c.boundaries && c.atomic_write_limit > 0 && cap + framing::kHeader > c.atomic_write_limit) {
    cap = c.atomic_write_limit - framing::kHeader;
    out_.notes.push_back("message sizes capped to " + std::to_string(cap) + " B so that " +
                         std::to_string(s_.workload.senders) + " writers' frames stay atomic (" + s_.mechanism +
                         " atomic write limit " + std::to_string(c.atomic_write_limit) + " B)");
  }
  out_.cap = std::max(cap, kEnvelopeSize);
}

void Runner::fork_workers() {
  auto plan = plan_workers(s_, out_.contract);
  out_.history.workers = plan;
  auto gate = sys::pipe(0);
  if (!gate) throw std::runtime_error("start gate: " + describe(gate.error()));
  std::vector<std::pair<sys::Fd, sys::Fd>> pipes;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    auto p = sys::pipe(0);
    if (!p) throw std::runtime_error("control pipe: " + describe(p.error()));
    pipes.push_back(std::move(*p));
  }
  pid_t runner = ::getpid();
  for (std::size_t i = 0; i < plan.size(); ++i) {
    std::fflush(nullptr);  // else the child inherits, and later flushes, what our stdout buffered
    auto pid = sys::fork(true);
    if (!pid) throw std::runtime_error("fork: " + describe(pid.error()));
    if (*pid == 0) {
      (void)sys::setpgid(0, pgid_);
      (void)sys::default_signal(SIGINT);
      (void)sys::default_signal(SIGTERM);
      for (std::size_t j = 0; j < pipes.size(); ++j) {
        pipes[j].first.reset();
        if (j != i) pipes[j].second.reset();
      }
      gate->second.reset();
      title::set(title::program() + " worker " + plan[i].name() + " (runner " + std::to_string(runner) + ")");
      WorkerPlan wp{plan[i], out_.cap};
      int rc = 3;
      try {
        rc = run_worker(s_, wp, links_, pipes[i].second.get(), gate->first.get());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "ipc-harness worker %s: %s\n", plan[i].name().c_str(), e.what());
      }
      std::fflush(nullptr);
      ::_exit(rc);
    }
    if (pgid_ == 0) pgid_ = *pid;
    (void)sys::setpgid(*pid, pgid_);  // also here: whichever of parent and child runs first wins the race
    out_.history.workers[i].pid = *pid;
    Live w{out_.history.workers[i], std::move(pipes[i].first), {}, {}, true, false};
    pipes[i].second.reset();
    (void)sys::set_nonblocking(w.control.get(), true);
    auto pfd = sys::pidfd_open(*pid);
    if (!pfd) throw std::runtime_error("pidfd_open: " + describe(pfd.error()));
    w.pidfd = std::move(*pfd);
    workers_.push_back(std::move(w));
  }
  if (driver_->wants_bystander()) fork_bystander(gate->second);
  // The runner holds no end: a pipe end kept here would keep EOF and EPIPE from the workers.
  for (auto& l : links_) l->release();
  start_gate_ = std::move(gate->second);
}

Live* Runner::live(std::uint32_t worker) {
  for (auto& w : workers_)
    if (w.info.index == worker) return &w;
  return nullptr;
}

// A process that keeps every end of every channel and does nothing: an fd leaked across fork.
void Runner::fork_bystander(const sys::Fd& gate_w) {
  WorkerInfo info{static_cast<std::uint32_t>(out_.history.workers.size()), WorkerRole::bystander, 0, 0};
  pid_t runner = ::getpid();
  std::fflush(nullptr);  // else the child inherits, and later flushes, what our stdout buffered
    auto pid = sys::fork(true);
  if (!pid) throw std::runtime_error("fork: " + describe(pid.error()));
  if (*pid == 0) {
    (void)sys::setpgid(0, pgid_);
    ::close(gate_w.get());  // else the start gate never opens
    title::set(title::program() + " worker bystander (runner " + std::to_string(runner) + ")");
    for (;;) ::pause();
  }
  (void)sys::setpgid(*pid, pgid_);
  info.pid = *pid;
  out_.history.workers.push_back(info);
  auto pfd = sys::pidfd_open(*pid);
  if (!pfd) throw std::runtime_error("pidfd_open: " + describe(pfd.error()));
  auto p = sys::pipe(0);  // a control pipe that never carries anything, so the loop treats it alike
  if (!p) throw std::runtime_error("pipe: " + describe(p.error()));
  Live w{info, std::move(p->first), std::move(*pfd), {}, true, false};
  (void)sys::set_nonblocking(w.control.get(), true);
  workers_.push_back(std::move(w));
  started_[info.index] = true;
  Event e{};
  e.t_ns = monotonic_ns();
  e.kind = EventKind::fault;
  e.err = static_cast<std::int32_t>(FaultAction::bystander);
  e.sender = e.worker = info.index;
  for (std::size_t i = 0; i < out_.history.faults.size(); ++i)
    if (const auto* f = faults::find(out_.history.faults[i]); f && f->drive == faults::Drive::bystander) e.seq = i;
  out_.history.events.push_back(e);
}

// A new process in the same role on the same kernel object, after a kill. It closes every fd
// it inherited from the runner but its own control pipe.
std::optional<std::uint32_t> Runner::restart(std::uint32_t worker) {
  Live* old = live(worker);
  if (!old) return std::nullopt;
  WorkerInfo info = old->info;
  info.index = static_cast<std::uint32_t>(out_.history.workers.size());
  info.rank += 100;  // receiver-100: the first restart of receiver-0
  auto p = sys::pipe(0);
  if (!p) return std::nullopt;
  pid_t runner = ::getpid();
  std::fflush(nullptr);  // else the child inherits, and later flushes, what our stdout buffered
    auto pid = sys::fork(true);
  if (!pid) return std::nullopt;
  if (*pid == 0) {
    (void)sys::setpgid(0, pgid_);
    (void)sys::default_signal(SIGINT);
    (void)sys::default_signal(SIGTERM);
    ::dup2(p->second.get(), 3);
    ::close_range(4, ~0U, 0);
    title::set(title::program() + " worker " + info.name() + " (runner " + std::to_string(runner) + ")");
    WorkerPlan wp{info, out_.cap};
    int rc = 3;
    try {
      rc = run_worker(s_, wp, links_, 3, -1);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ipc-harness worker %s: %s\n", info.name().c_str(), e.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  (void)sys::setpgid(*pid, pgid_);
  info.pid = *pid;
  out_.history.workers.push_back(info);
  auto pfd = sys::pidfd_open(*pid);
  if (!pfd) return std::nullopt;
  Live w{info, std::move(p->first), std::move(*pfd), {}, true, false};
  p->second.reset();
  (void)sys::set_nonblocking(w.control.get(), true);
  workers_.push_back(std::move(w));
  return info.index;
}

void Runner::drain(Live& w) {
  std::byte buf[sizeof(Event) * 64];
  for (;;) {
    auto n = sys::read(w.control.get(), buf);
    if (!n || *n == 0) return;
    w.partial.insert(w.partial.end(), buf, buf + *n);
    std::size_t whole = w.partial.size() / sizeof(Event) * sizeof(Event);
    for (std::size_t off = 0; off < whole; off += sizeof(Event)) {
      Event e;
      std::memcpy(&e, w.partial.data() + off, sizeof e);
      e.worker = w.info.index;  // trust the pipe, not the payload
      out_.history.events.push_back(e);
      last_progress_ = now_ms();
      if (driver_) driver_->on_event(e);
      if (e.kind == EventKind::started) started_[w.info.index] = true;
      if (e.kind == EventKind::send_invoked && e.link < 2) ++invoked_[e.link];
      if (e.kind == EventKind::send_ok && e.link < 2) ++sent_ok_[e.link];
      if (e.kind == EventKind::send_failed && e.link < 2) ++send_failed_[e.link];
      if (e.kind == EventKind::received && e.link < 2) {
        ++received_[e.link];
        last_receive_[e.link] = now_ms();
      }
    }
    w.partial.erase(w.partial.begin(), w.partial.begin() + static_cast<long>(whole));
  }
}

void Runner::reap(Live& w) {
  drain(w);
  auto r = sys::waitpid(w.info.pid, 0);
  w.alive = false;
  Event e{};
  e.t_ns = monotonic_ns();
  e.worker = w.info.index;
  e.kind = EventKind::exited;
  if (r) {
    int st = r->second;
    e.err = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  }
  // Killed by the fault plan counts as on purpose too: history.jsonl says so (stopped_by_runner).
  bool on_purpose = w.stopped || (driver_ && driver_->killed_by_fault(w.info.index));
  e.stopped = on_purpose;
  out_.history.events.push_back(e);
  last_progress_ = now_ms();
  if (!on_purpose && e.err != 0 && out_.error.empty()) {
    out_.error = "worker " + w.info.name() + " (pid " + std::to_string(w.info.pid) + ") " +
                 (e.err > 0 ? "exited " + std::to_string(e.err) : std::string("was killed by SIG") + sigabbrev_np(-e.err)) +
                 "; its stderr above says why";
  }
}

// A receiver waits for messages for ever; once every sender of its link is gone and what they
// sent has arrived (or nothing arrived for the drain window: the rest is lost), it is stopped.
bool Runner::receivers_see_end_of_stream() const {
  const Contract& c = out_.contract;
  if (c.end_of_stream == EndOfStream::none) return false;
  // Several receivers of one listening socket split the connections; one that got none waits on.
  if (s_.workload.kind == WorkloadKind::stream && s_.workload.receivers > 1) return false;
  // A bystander keeps every end open (leaked-fd): no end of stream is the point of that fault.
  if (driver_->wants_bystander()) return false;
  if (c.end_of_stream == EndOfStream::after_close) {
    for (const auto& name : out_.history.faults)
      if (const auto* f = faults::find(name); f && f->kills_sender) return false;  // a killed sender stays counted
  }
  return true;
}

void Runner::stop_finished_links() {
  if (receivers_see_end_of_stream()) return;
  std::uint64_t drain_ms = std::min<std::uint64_t>(s_.stall_ms / 2, 1000);
  for (std::uint8_t link = 0; link < links_.size(); ++link) {
    bool senders_alive = std::any_of(workers_.begin(), workers_.end(),
                                     [&](const Live& w) { return w.alive && sends_on(w.info, link); });
    if (senders_alive) continue;
    std::uint64_t in_flight = invoked_[link] - sent_ok_[link] - send_failed_[link];
    bool all_in = received_[link] >= sent_ok_[link] + in_flight;
    bool quiet = now_ms() - std::max(last_receive_[link], last_progress_) >= drain_ms;
    if (!all_in && !quiet) continue;
    for (auto& w : workers_) {
      if (w.alive && !w.stopped && receives_on(w.info, link)) {
        w.stopped = true;
        (void)sys::kill(w.info.pid, SIGKILL);
      }
    }
  }
}

void Runner::kill_all() {
  if (pgid_ > 0) (void)sys::kill(-pgid_, SIGKILL);
  for (auto& w : workers_) {
    if (!w.alive) continue;
    w.stopped = true;
    (void)sys::kill(w.info.pid, SIGKILL);
    reap(w);
  }
}

void Runner::loop() {
  SignalPipe signals;
  last_progress_ = now_ms();
  while (std::any_of(workers_.begin(), workers_.end(), [&](const Live& w) { return working(w); })) {
    std::vector<pollfd> fds;
    std::vector<Live*> who;
    fds.push_back({signals.fd(), POLLIN, 0});
    who.push_back(nullptr);
    // Control pipes are not polled once messages flow: a worker's event write then wakes nobody
    // (no context switch per event); the runner drains every pipe once a millisecond and at every
    // exit. Until the start gate opens they are, so the gate opens as soon as the last worker has
    // started rather than at the next tick.
    for (auto& w : workers_) {
      if (!w.alive) continue;
      fds.push_back({w.pidfd.get(), POLLIN, 0});
      who.push_back(&w);
      if (start_gate_.valid()) {
        fds.push_back({w.control.get(), POLLIN, 0});
        who.push_back(nullptr);
      }
    }
    std::uint64_t stall_at = last_progress_ + s_.stall_ms;
    std::uint64_t now = now_ms();
    auto wait = std::chrono::milliseconds(std::min<std::uint64_t>(stall_at > now ? stall_at - now : 0, 1));
    auto r = sys::poll(fds, Deadline::after(wait));
    if (!r) throw std::runtime_error("poll: " + describe(r.error()));
    if (fds[0].revents) {
      out_.interrupted_by = signals.signal();
      kill_all();
      break;
    }
    for (auto& w : workers_)
      if (w.alive) drain(w);
    for (std::size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents && who[i] && who[i]->alive) reap(*who[i]);
    if (start_gate_.valid() && std::all_of(workers_.begin(), workers_.end(), [&](const Live& w) {
          return !working(w) || started_[w.info.index];
        })) {
      if (driver_->holds_receivers_at_start()) driver_->hold_receivers();
      start_gate_.reset();
    }
    driver_->on_tick(now_ms() - last_progress_);
    stop_finished_links();
    if (now_ms() - last_progress_ >= s_.stall_ms && !driver_->holding()) {
      out_.deadlock = true;
      out_.stalled_ms = now_ms() - last_progress_;
      std::vector<Process> procs;
      for (auto& w : workers_)
        if (w.alive) procs.push_back({w.info.pid, w.info.name()});
      out_.diagnosis = diagnose(procs, o_.backtrace);
      kill_all();
    }
  }
  for (auto& w : workers_) {
    if (!w.alive) continue;
    w.stopped = true;  // bystanders live until the run ends
    (void)sys::kill(w.info.pid, SIGKILL);
    reap(w);
  }
}

RunOutcome Runner::run() {
  mech_ = registry::find(s_.mechanism);
  if (!mech_) throw BadInput("unknown mechanism '" + s_.mechanism + "'; use one of: " + registry::names());
  out_.contract = mech_->contract;
  plan_workers(s_, out_.contract);  // refuse a workload the contract forbids before making anything
  if (s_.workload.max_size < kEnvelopeSize) {
    throw BadInput("--max-size " + std::to_string(s_.workload.max_size) + " is below the " +
                   std::to_string(kEnvelopeSize) + " B envelope every message carries; use at least " +
                   std::to_string(kEnvelopeSize));
  }
  FaultDriver::Hooks hooks{
      [this](std::uint32_t w, int sig) {
        if (Live* l = live(w); l && l->alive) (void)sys::kill(l->info.pid, sig);
      },
      [this](std::size_t fault, FaultAction a, std::uint32_t w) {
        Event e{};
        e.t_ns = monotonic_ns();
        e.kind = EventKind::fault;
        e.err = static_cast<std::int32_t>(a);
        e.seq = fault;
        e.sender = w;
        e.worker = w;
        out_.history.events.push_back(e);
        last_progress_ = now_ms();
      },
      [this](std::uint32_t w) { return restart(w); },
      [this](std::uint32_t w) {
        Live* l = live(w);
        return l && l->alive;
      },
      [this](std::uint32_t w) -> char {
        Live* l = live(w);
        if (!l || !l->alive) return '?';
        std::ifstream in("/proc/" + std::to_string(l->info.pid) + "/stat");
        std::string stat((std::istreambuf_iterator<char>(in)), {});
        auto close = stat.rfind(')');
        return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
      },
      [this]() -> const std::vector<WorkerInfo>& { return out_.history.workers; },
  };
  faults::Plan plan = fault_plan(s_);
  for (const auto& f : plan) out_.history.faults.push_back(f.name);
  driver_ = std::make_unique<FaultDriver>(s_, plan, std::move(hooks));
  create_links();
  choose_cap();
  try {
    fork_workers();
    loop();
  } catch (...) {
    kill_all();
    throw;
  }
  // Read order interleaves pipes; one clock orders the events of every process.
  std::stable_sort(out_.history.events.begin(), out_.history.events.end(),
                   [](const Event& a, const Event& b) { return a.t_ns < b.t_ns; });
  return std::move(out_);
}

}  // namespace

std::vector<WorkerInfo> plan_workers(const Scenario& s, const Contract& c) {
  std::vector<WorkerInfo> out;
  const Workload& w = s.workload;
  if (w.kind == WorkloadKind::request_response) {
    out.push_back({0, WorkerRole::client, 0, 0});
    out.push_back({1, WorkerRole::server, 0, 0});
    return out;
  }
  std::uint32_t receivers = w.kind == WorkloadKind::fan_in ? 1 : w.receivers;
  if (w.senders == 0 || receivers == 0) throw BadInput("a stream needs at least 1 sender and 1 receiver");
  if (receivers > 1 && !c.many_receivers) {
    throw BadInput(s.mechanism + " allows 1 receiver per channel (" + c.sharing_note + "); use --receivers 1");
  }
  if (w.senders > 1 && !c.many_senders) {
    throw BadInput(s.mechanism + " allows 1 sender per channel (" + c.sharing_note + "); use --senders 1");
  }
  std::uint32_t i = 0;
  for (std::uint32_t k = 0; k < w.senders; ++k) out.push_back({i++, WorkerRole::sender, k, 0});
  for (std::uint32_t k = 0; k < receivers; ++k) out.push_back({i++, WorkerRole::receiver, k, 0});
  return out;
}

RunOutcome run_scenario(const Scenario& s, const RunOptions& options) {
  // Objects are recorded per process; those past `before` are this run's (runs in one process
  // are sequential). The Runner, and with it every link, is destroyed at the end of the
  // statement that runs it, so what the kernel still has afterwards was leaked.
  std::size_t before = objects::made().size();
  RunOutcome out = Runner(s, options).run();
  auto made = objects::made();
  out.leftovers = objects::still_present({made.begin() + static_cast<std::ptrdiff_t>(before), made.end()});
  return out;
}

}  // namespace ipch
