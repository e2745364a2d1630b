#include "runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "engine.hpp"

#include <limits>
#include "envelope.hpp"
#include "fault_driver.hpp"
#include "fault_plan.hpp"
#include "framing.hpp"
#include "objects.hpp"
#include "process_title.hpp"
#include "registry.hpp"
#include "run_history.hpp"
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

class Runner {
 public:
  Runner(const Scenario& s, const RunOptions& o) : s_(s), o_(o) {}

  RunOutcome run();

 private:
  void create_links();
  void choose_cap();
  void fork_workers();
  void loop();
  // The one place where an event of this run reaches its history.
  void record(const Event& e);
  void on_event(std::uint32_t worker, Event e);
  void on_exit(std::uint32_t worker, int status, engine::Exit why);
  bool stop_finished_links(bool stuck);
  // True iff the contract promises this run's receivers end of stream once their senders are
  // gone: then they must end by themselves, and one still blocked is a stall, not a finished run.
  bool receivers_see_end_of_stream() const;
  void kill_all();
  engine::Spec worker_spec(const WorkerInfo& info, bool restarted);
  void fork_bystander();
  std::optional<std::uint32_t> restart(std::uint32_t worker);
  bool working(std::uint32_t w) const {
    return engine_.alive(w) && out_.history.workers[w].role != WorkerRole::bystander;
  }
  std::uint64_t now_ms() const { return monotonic_ns() / 1'000'000; }

  const Scenario& s_;
  const RunOptions& o_;
  // First: it catches SIGINT and SIGTERM from here on, and it outlives nothing of the run's.
  engine::Engine engine_;
  const Mechanism* mech_ = nullptr;
  std::vector<std::unique_ptr<Link>> links_;
  std::unique_ptr<FaultDriver> driver_;
  sys::Fd gate_r_, gate_w_;  // the start gate: closed once every worker has started or exited
  RunOutcome out_;
  std::vector<bool> stopped_;  // per worker: the runner ended it on purpose
  // Per link. A send invoked but neither completed nor failed is in flight: once its sender is
  // dead it may still arrive, so it must not stand in for a completed one still on its way.
  std::uint64_t invoked_[2]{}, sent_ok_[2]{}, send_failed_[2]{}, received_[2]{}, last_receive_[2]{};
  std::map<std::uint32_t, bool> started_;
  std::optional<RunHistory> history_;  // every event goes through history_->add, once the contract is known
};

void Runner::record(const Event& e) { history_->add(e); }

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

// A worker, first or restarted: its control pipe is the engine's output pipe, read in whole
// events. A restarted one holds only that pipe (at fd 3) of everything the runner had.
engine::Spec Runner::worker_spec(const WorkerInfo& info, bool restarted) {
  engine::Spec spec;
  spec.name = info.name();
  spec.record = sizeof(Event);
  pid_t runner = ::getpid();
  spec.body = [this, info, restarted, runner](int control) {
    int gate = gate_r_.get();
    gate_w_.reset();  // else the start gate never opens
    if (restarted) {
      ::dup2(control, 3);
      ::close_range(4, ~0U, 0);
      control = 3;
      gate = -1;
    }
    title::set(title::program() + " worker " + info.name() + " (runner " + std::to_string(runner) + ")");
    WorkerPlan wp{info, out_.cap};
    return run_worker(s_, wp, links_, control, gate);
  };
  std::uint32_t index = info.index;
  spec.on_output = [this, index](std::span<const std::byte> bytes) {
    Event e;
    std::memcpy(&e, bytes.data(), sizeof e);
    on_event(index, e);
  };
  spec.on_exit = [this, index](int status, engine::Exit why) { on_exit(index, status, why); };
  return spec;
}

void Runner::fork_workers() {
  auto plan = plan_workers(s_, out_.contract);
  auto gate = sys::pipe(0);
  if (!gate) throw std::runtime_error("start gate: " + describe(gate.error()));
  gate_r_ = std::move(gate->first);
  gate_w_ = std::move(gate->second);
  for (auto& info : plan) {
    out_.history.workers.push_back(info);
    stopped_.push_back(false);
    auto id = engine_.spawn(worker_spec(info, false));
    if (!id) throw std::runtime_error("fork: " + describe(id.error()));
    out_.history.workers[*id].pid = engine_.pid(*id);
  }
  if (driver_->wants_bystander()) fork_bystander();
  // The runner holds no end: a pipe end kept here would keep EOF and EPIPE from the workers.
  for (auto& l : links_) l->release();
  gate_r_.reset();
}

// A process that keeps every end of every channel and does nothing: an fd leaked across fork.
void Runner::fork_bystander() {
  WorkerInfo info{static_cast<std::uint32_t>(out_.history.workers.size()), WorkerRole::bystander, 0, 0};
  engine::Spec spec;
  spec.name = info.name();
  spec.output = false;
  pid_t runner = ::getpid();
  spec.body = [this, runner](int) -> int {
    gate_w_.reset();  // else the start gate never opens
    title::set(title::program() + " worker bystander (runner " + std::to_string(runner) + ")");
    for (;;) ::pause();
  };
  std::uint32_t index = info.index;
  spec.on_exit = [this, index](int status, engine::Exit why) { on_exit(index, status, why); };
  out_.history.workers.push_back(info);
  stopped_.push_back(false);
  auto id = engine_.spawn(std::move(spec));
  if (!id) throw std::runtime_error("fork: " + describe(id.error()));
  out_.history.workers[*id].pid = engine_.pid(*id);
  started_[info.index] = true;
  Event e{};
  e.t_ns = monotonic_ns();
  e.kind = EventKind::fault;
  e.err = static_cast<std::int32_t>(FaultAction::bystander);
  e.sender = e.worker = info.index;
  for (std::size_t i = 0; i < out_.history.faults.size(); ++i)
    if (const auto* f = faults::find(out_.history.faults[i]); f && f->drive == faults::Drive::bystander) e.seq = i;
  record(e);
}

// A new process in the same role on the same kernel object, after a kill.
std::optional<std::uint32_t> Runner::restart(std::uint32_t worker) {
  if (worker >= out_.history.workers.size()) return std::nullopt;
  WorkerInfo info = out_.history.workers[worker];
  info.index = static_cast<std::uint32_t>(out_.history.workers.size());
  info.rank += 100;  // receiver-100: the first restart of receiver-0
  info.pid = 0;
  out_.history.workers.push_back(info);
  stopped_.push_back(false);
  auto id = engine_.spawn(worker_spec(info, true));
  if (!id) {
    out_.history.workers.pop_back();
    stopped_.pop_back();
    return std::nullopt;
  }
  out_.history.workers[*id].pid = engine_.pid(*id);
  return info.index;
}

void Runner::on_event(std::uint32_t worker, Event e) {
  e.worker = worker;  // trust the pipe, not the payload
  record(e);
  engine_.progress();
  if (driver_) driver_->on_event(e);
  if (e.kind == EventKind::started) started_[worker] = true;
  if (e.kind == EventKind::send_invoked && e.link < 2) ++invoked_[e.link];
  if (e.kind == EventKind::send_ok && e.link < 2) ++sent_ok_[e.link];
  if (e.kind == EventKind::send_failed && e.link < 2) ++send_failed_[e.link];
  if (e.kind == EventKind::received && e.link < 2) {
    ++received_[e.link];
    last_receive_[e.link] = now_ms();
  }
}

void Runner::on_exit(std::uint32_t worker, int st, engine::Exit why) {
  const WorkerInfo& w = out_.history.workers[worker];
  Event e{};
  e.t_ns = monotonic_ns();
  e.worker = worker;
  e.kind = EventKind::exited;
  e.err = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  // Killed by the fault plan counts as on purpose too: history.jsonl says so (stopped_by_runner).
  bool on_purpose = why == engine::Exit::killed || stopped_[worker] || (driver_ && driver_->killed_by_fault(worker));
  e.stopped = on_purpose;
  record(e);
  engine_.progress();
  if (!on_purpose && e.err != 0 && out_.error.empty()) {
    out_.error = "worker " + w.name() + " (pid " + std::to_string(w.pid) + ") " +
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

// `stuck`: under a controlled schedule nothing can go on any more, which is what the drain
// window waits for under the kernel's scheduler.
bool Runner::stop_finished_links(bool stuck) {
  if (receivers_see_end_of_stream()) return false;
  bool stopped = false;
  const bool scheduled = engine_.schedule() != nullptr;
  std::uint64_t drain_ms = std::min<std::uint64_t>(s_.stall_ms / 2, 1000);
  const auto n = static_cast<std::uint32_t>(out_.history.workers.size());
  for (std::uint8_t link = 0; link < links_.size(); ++link) {
    bool senders_alive = false;
    for (std::uint32_t w = 0; w < n; ++w) senders_alive = senders_alive || (engine_.alive(w) && sends_on(out_.history.workers[w], link));
    if (senders_alive) continue;
    std::uint64_t in_flight = invoked_[link] - sent_ok_[link] - send_failed_[link];
    bool all_in = received_[link] >= sent_ok_[link] + in_flight;
    bool quiet = scheduled ? stuck : now_ms() - std::max(last_receive_[link], now_ms() - engine_.idle_ms()) >= drain_ms;
    if (!all_in && !quiet) continue;
    for (std::uint32_t w = 0; w < n; ++w) {
      if (engine_.alive(w) && !stopped_[w] && receives_on(out_.history.workers[w], link)) {
        stopped_[w] = true;
        engine_.kill(w);
        stopped = true;
      }
    }
  }
  return stopped;
}

void Runner::kill_all() {
  for (std::size_t w = 0; w < stopped_.size(); ++w)
    if (engine_.alive(static_cast<std::uint32_t>(w))) stopped_[w] = true;
  engine_.kill_all();
}

void Runner::loop() {
  engine_.progress();
  engine::Loop loop;
  loop.stall_ms = s_.stall_ms;
  loop.tick = std::chrono::milliseconds(1);
  // Control pipes wake the loop only until the start gate opens: once messages flow, a worker's
  // event write then wakes nobody (no context switch per event); the engine reads every pipe
  // once a millisecond and at every exit. Until then they do, so the gate opens as soon as the
  // last worker has started rather than at the next tick.
  loop.outputs_wake = true;
  const auto n = [&] { return static_cast<std::uint32_t>(out_.history.workers.size()); };
  loop.on_turn = [&] {
    if (gate_w_.valid()) {
      bool all = true;
      for (std::uint32_t w = 0; w < n(); ++w) all = all && (!working(w) || started_[w]);
      if (all) {
        if (driver_->holds_receivers_at_start()) driver_->hold_receivers();
        gate_w_.reset();
        loop.outputs_wake = false;
      }
    }
    // Under a schedule, time means nothing: a held worker is let go when nothing else can move.
    driver_->on_tick(engine_.schedule() ? 0 : engine_.idle_ms());
    stop_finished_links(false);
  };
  // One act at a time: a held worker let go gets its turn before anyone is judged finished.
  loop.on_stuck = [&] { return driver_->on_tick(std::numeric_limits<std::uint64_t>::max()) || stop_finished_links(true); };
  loop.done = [&] {
    for (std::uint32_t w = 0; w < n(); ++w)
      if (working(w)) return false;
    return true;
  };
  loop.watchdog_paused = [&] { return driver_->holding(); };
  engine::Ended end = loop.done() ? engine::Ended{} : engine_.run(loop);
  if (end.how == engine::End::interrupted) {
    out_.interrupted_by = end.signal;
  } else if (end.how == engine::End::stalled || end.how == engine::End::deadlocked) {
    out_.deadlock = true;
    out_.stalled_ms = end.idle_ms;
    out_.diagnosis = engine_.diagnose(o_.backtrace);
  } else if (end.how == engine::End::diverged) {
    out_.error = engine_.schedule()->divergence();
  }
  if (const auto* sup = engine_.schedule()) record_schedule(*sup, end.how == engine::End::deadlocked, out_);
  kill_all();  // bystanders live until the run ends; after a stall or a signal, everyone
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
        if (engine_.alive(w)) engine_.signal(w, sig);
      },
      [this](std::size_t fault, FaultAction a, std::uint32_t w) {
        Event e{};
        e.t_ns = monotonic_ns();
        e.kind = EventKind::fault;
        e.err = static_cast<std::int32_t>(a);
        e.seq = fault;
        e.sender = w;
        e.worker = w;
        record(e);
        engine_.progress();
      },
      [this](std::uint32_t w) { return restart(w); },
      [this](std::uint32_t w) { return engine_.alive(w); },
      [this](std::uint32_t w) -> char { return engine_.state(w); },
      [this]() -> const std::vector<WorkerInfo>& { return out_.history.workers; },
  };
  history_.emplace(out_.history, out_.contract, o_.sink);
  faults::Plan plan = fault_plan(s_);
  for (const auto& f : plan) out_.history.faults.push_back(f.name);
  driver_ = std::make_unique<FaultDriver>(s_, plan, std::move(hooks));
  if (o_.strategy || o_.follow) engine_.schedule(std::make_unique<schedule::Supervisor>(o_.strategy, o_.follow));
  create_links();
  choose_cap();
  try {
    fork_workers();
    loop();
  } catch (...) {
    kill_all();
    history_->finish();
    throw;
  }
  history_->finish();
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

void record_schedule(const schedule::Supervisor& sup, bool deadlock, RunOutcome& out) {
  ScheduleRecord rec;
  rec.steps = sup.steps();
  rec.tasks = sup.task_names();
  rec.story = sup.story(12);
  rec.decisions = sup.decisions();
  rec.ns_per_decision = sup.ns_per_decision();
  rec.deadlock = deadlock;
  rec.divergence = sup.divergence();
  if (deadlock)
    out.notes.push_back("deadlock by construction at decision " + std::to_string(rec.decisions) +
                        " of the schedule: every process left is parked waiting on another");
  out.schedule = std::move(rec);
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
