#include "supervisor.hpp"

#include <linux/seccomp.h>
#include <poll.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>

#include "event.hpp"

namespace ipch::schedule {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The state letter of /proc/<tid>/stat; 0 once it is gone.
char state_of(pid_t tid) {
  std::string stat = slurp("/proc/" + std::to_string(tid) + "/stat");
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

std::uint64_t runtime_of(pid_t tid) {
  std::istringstream in(slurp("/proc/" + std::to_string(tid) + "/schedstat"));
  std::uint64_t ns = 0;
  in >> ns;
  return ns;
}

long syscall_of(pid_t tid) {
  std::istringstream in(slurp("/proc/" + std::to_string(tid) + "/syscall"));
  std::string first;
  in >> first;
  try {
    return first.empty() || first == "running" ? -1 : std::stol(first);
  } catch (...) {
    return -1;
  }
}

pid_t tgid_of(pid_t tid) {
  std::istringstream in(slurp("/proc/" + std::to_string(tid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Tgid:", 0) == 0) return static_cast<pid_t>(std::atoi(line.c_str() + 5));
  return tid;
}

bool time_sleep(long nr) { return nr == SYS_nanosleep || nr == SYS_clock_nanosleep; }

constexpr std::uint64_t kSignalSettleNs = 20'000'000;  // a signal that leaves a parked call waiting
constexpr std::uint64_t kFollowGraceNs = 200'000'000;  // a replay waits this long for a recorded step

}  // namespace

Supervisor::Supervisor(std::shared_ptr<Strategy> strategy, std::optional<std::vector<Step>> follow)
    : strategy_(std::move(strategy)), follow_(std::move(follow)) {
  if (auto cpus = sys::usable_cpus(); cpus && cpus->size() > 1) cpu_ = cpus->back();
  started_ns_ = monotonic_ns();
}

Supervisor::~Supervisor() = default;

Result<void> Supervisor::adopt(std::uint32_t proc, std::string name, pid_t pid, sys::Fd listener) {
  Proc& p = procs_[proc];
  p.name = std::move(name);
  p.pid = pid;
  p.listener = std::move(listener);
  auto pfd = sys::pidfd_open(pid);
  if (!pfd) return std::unexpected(pfd.error());
  p.pidfd = std::move(*pfd);
  Task& t = task_of(proc, pid);
  // Its first point, the sched_yield of enter_schedule: answered here, not a decision.
  pollfd w{p.listener.get(), POLLIN, 0};
  if (::poll(&w, 1, 10'000) <= 0) return std::unexpected(std::make_error_code(std::errc::timed_out));
  seccomp_notif n;
  if (auto r = sys::seccomp_notif_recv(p.listener.get(), &n, sizeof n); !r) return r;
  seccomp_notif_resp resp{};
  resp.id = n.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  if (auto r = sys::seccomp_notif_send(p.listener.get(), &resp); !r) return r;
  t.state = State::running;
  harness_acted(proc, 0);
  return {};
}

Supervisor::Task& Supervisor::task_of(std::uint32_t proc, pid_t tid) {
  if (auto it = by_tid_.find(tid); it != by_tid_.end() && tasks_[it->second].state != State::gone) return tasks_[it->second];
  Task t;
  t.index = static_cast<std::uint32_t>(tasks_.size());
  t.proc = proc;
  t.tid = tid;
  t.tgid = tid == procs_[proc].pid ? tid : tgid_of(tid);
  tasks_.push_back(t);
  by_tid_[tid] = t.index;
  return tasks_.back();
}

int Supervisor::pidfd_of(const Task& t) {
  const Proc& p = procs_[t.proc];
  if (t.tgid == p.pid) return p.pidfd.get();
  auto it = other_pidfds_.find(t.tgid);
  if (it == other_pidfds_.end()) {
    auto fd = sys::pidfd_open(t.tgid);
    it = other_pidfds_.emplace(t.tgid, fd ? std::move(*fd) : sys::Fd()).first;
  }
  return it->second.get();
}

void Supervisor::poll_fds(std::vector<pollfd>& fds) const {
  // A listener whose every task has exited polls as hung up for ever: only the living ones.
  for (const auto& [id, p] : procs_)
    if (p.listener.valid() && p.alive) fds.push_back({p.listener.get(), POLLIN, 0});
}

int Supervisor::receive() {
  int got = 0;
  for (auto& [id, p] : procs_) {
    for (int round = 0; round < 64 && p.listener.valid(); ++round) {
      pollfd w{p.listener.get(), POLLIN, 0};
      if (::poll(&w, 1, 0) <= 0 || !(w.revents & POLLIN)) break;
      seccomp_notif n;
      if (!sys::seccomp_notif_recv(p.listener.get(), &n, sizeof n)) continue;  // interrupted before we took it
      ++got;
      Task& t = task_of(id, static_cast<pid_t>(n.pid));
      t.call = Call{n.id, static_cast<pid_t>(n.pid), n.data.nr, {}};
      for (int i = 0; i < 6; ++i) t.call->args[i] = n.data.args[i];
      t.state = State::parked;
      t.suspect = false;
      t.woken = false;
      t.quiet_probes = 0;
    }
  }
  return got;
}

bool Supervisor::running() const {
  for (const auto& t : tasks_)
    if (t.state == State::running || (t.state == State::parked && t.suspect)) return true;
  return false;
}

bool Supervisor::probe() {
  bool changed = false;
  const std::uint64_t now = monotonic_ns();
  for (auto& t : tasks_) {
    if (t.state == State::parked && t.suspect) {
      if (!sys::seccomp_notif_id_valid(procs_[t.proc].listener.get(), t.call->id)) {
        t.state = State::running;  // the signal interrupted it: it runs to its next point
        t.call.reset();
        t.suspect = false;
        changed = true;
      } else if (now - t.signalled_ns > kSignalSettleNs) {
        t.suspect = false;  // the signal left the call waiting (blocked, ignored or handled without interrupting)
        changed = true;
      }
      continue;
    }
    if (t.state != State::running) continue;
    char c = state_of(t.tid);
    if (c == 0 || c == 'Z' || c == 'X') {
      t.state = State::gone;
      changed = true;
    } else if (c == 'T' || c == 't') {
      t.state = State::stopped;
      changed = true;
    } else if (c == 'S' || c == 'D' || c == 'I') {
      std::uint64_t rt = runtime_of(t.tid);
      if (t.quiet_probes == 0 || rt != t.runtime) {
        t.runtime = rt;
        t.quiet_probes = 1;
      } else if (++t.quiet_probes >= 2) {
        t.state = time_sleep(syscall_of(t.tid)) ? State::dozing : State::asleep;
        changed = true;
      }
    } else {
      t.quiet_probes = 0;
    }
  }
  return changed;
}

bool Supervisor::recheck_sleepers() {
  bool woke = false;
  for (auto& t : tasks_) {
    if (t.state != State::asleep && t.state != State::dozing && t.state != State::stopped) continue;
    char c = state_of(t.tid);
    if (c == 0 || c == 'Z' || c == 'X') {
      t.state = State::gone;
    } else if (c == 'R' || (t.state == State::stopped && c != 'T' && c != 't')) {
      t.state = State::running;
      t.quiet_probes = 0;
      woke = true;
    }
  }
  return woke;
}

void Supervisor::exited(std::uint32_t proc) {
  auto it = procs_.find(proc);
  if (it == procs_.end()) return;
  it->second.alive = false;
  for (auto& t : tasks_)
    if (t.proc == proc && t.tgid == it->second.pid) t.state = State::gone;
  forget_process(it->second.pid);
}

void Supervisor::harness_acted(std::uint32_t proc, int sig) {
  auto it = procs_.find(proc);
  if (it == procs_.end()) return;
  auto leader = by_tid_.find(it->second.pid);
  if (leader == by_tid_.end()) return;
  Step s{leader->second, static_cast<std::uint32_t>(sig), StepKind::harness};
  if (follow_ && divergence_.empty()) {
    if (followed_ >= follow_->size() || (*follow_)[followed_] != s) {
      std::string what = sig ? std::string("sent SIG") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?") + " to " + it->second.name
                             : "started " + it->second.name;
      diverge("the harness " + what);
    } else {
      ++followed_;
    }
  }
  record(s);
  idle_spins_ = 0;
  const std::uint64_t now = monotonic_ns();
  for (auto& t : tasks_) {
    if (t.proc != proc) continue;
    if (sig == SIGKILL && t.state != State::gone) {
      // It is dying: its exit (a robust mutex's owner-died, closed descriptors) is waited for.
      t.state = State::running;
      t.call.reset();
      t.suspect = false;
      t.quiet_probes = 0;
    } else if (sig == SIGCONT && t.state == State::stopped) {
      t.state = State::running;
      t.quiet_probes = 0;
    } else if (sig != 0 && sig != SIGKILL && t.state == State::parked) {
      t.suspect = true;
      t.signalled_ns = now;
    } else if (sig != 0 && sig != SIGKILL && (t.state == State::asleep || t.state == State::dozing)) {
      t.state = State::running;  // a signal wakes a sleep (or stops it)
      t.quiet_probes = 0;
    }
  }
}

void Supervisor::record(Step s) {
  steps_.push_back(s);
  preempted_.push_back({-1, 0});
}

std::string Supervisor::name_of(const Task& t) const {
  auto it = procs_.find(t.proc);
  std::string base = it == procs_.end() ? "task" : it->second.name;
  return t.tid == (it == procs_.end() ? 0 : it->second.pid) ? base : base + "/" + std::to_string(t.tid);
}

bool Supervisor::diverge(const std::string& what) {
  std::string want = "nothing more (it ends there)";
  if (follow_ && followed_ < follow_->size()) {
    const Step& s = (*follow_)[followed_];
    std::string who = s.task < tasks_.size() ? name_of(tasks_[s.task]) : "task " + std::to_string(s.task);
    switch (s.kind) {
      case StepKind::run: want = who + " going on with " + syscall_name(s.nr); break;
      case StepKind::wake: want = who + " woken in futex"; break;
      case StepKind::timeout: want = who + "'s " + syscall_name(s.nr) + " timing out"; break;
      case StepKind::harness:
        want = s.nr ? std::string("the harness sending SIG") + (sigabbrev_np(static_cast<int>(s.nr)) ?: "?") + " to " + who
                    : "the harness starting " + who;
        break;
    }
  }
  divergence_ = "replay diverged at step " + std::to_string(steps_.size()) + ": the record has " + want + ", but " + what;
  return false;
}

void Supervisor::release(Task& t, StepKind kind, std::pair<std::int64_t, long> preempted) {
  Proc& p = procs_[t.proc];
  const Call call = *t.call;
  seccomp_notif_resp resp{};
  resp.id = call.id;
  if (kind == StepKind::run && (call.nr == SYS_nanosleep || call.nr == SYS_clock_nanosleep)) {
    resp.val = 0;  // time under a schedule is the order of decisions: the sleep is a yield, answered at once
  } else if (kind == StepKind::run) {
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else if (kind == StepKind::timeout) {
    if (sys::seccomp_notif_id_valid(p.listener.get(), call.id)) {
      std::int64_t v = take_timeout(call);
      if (v < 0) resp.error = static_cast<std::int32_t>(v);
      else resp.val = v;
    }
  }
  bool sent = static_cast<bool>(sys::seccomp_notif_send(p.listener.get(), &resp));
  if (sent && kind == StepKind::run) {
    auto wake = [&](const std::optional<FutexKey>& key, int count) {
      if (!key) return;
      for (auto& w : tasks_) {
        if (count <= 0) break;
        if (&w == &t || w.state != State::parked || w.woken || !w.last.waits || !(*w.last.waits == *key)) continue;
        w.woken = true;
        --count;
      }
    };
    wake(t.last.wakes, t.last.wake_count);
    wake(t.last.wakes2, t.last.wake_count2);
  }
  if (sent) {
    record({t.index, static_cast<std::uint32_t>(call.nr), kind});
    preempted_.back() = preempted;
    ++decisions_;
    last_ = t.index;
  }
  if (sent) {
    const bool progress = kind == StepKind::wake || (kind == StepKind::run && t.last.readiness == Readiness::runs);
    idle_spins_ = progress ? 0 : idle_spins_ + 1;
    last_futile_ = !progress;
  }
  t.state = State::running;
  t.last_failed_fast = kind == StepKind::run && t.last.readiness == Readiness::spins && call.nr != SYS_sched_yield &&
                       call.nr != SYS_nanosleep && call.nr != SYS_clock_nanosleep;
  t.released_nr = call.nr;
  t.call.reset();
  t.woken = false;
  t.quiet_probes = 0;
}

Supervisor::Outcome Supervisor::decide(bool spin) {
  if (!divergence_.empty()) return Outcome::diverged;
  static const bool debug = std::getenv("IPCH_SCHEDULE_DEBUG") != nullptr;
  if (debug) {
    std::string line = "decision " + std::to_string(decisions_) + ":";
    static const char* names[] = {"running", "parked", "asleep", "dozing", "stopped", "gone"};
    for (const auto& t : tasks_)
      line += " [" + name_of(t) + " " + names[static_cast<int>(t.state)] + (t.call ? " " + show(*t.call) : "") + "]";
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::vector<Option> runs, spins;
  std::vector<Task*> timed;
  bool dozing = false;
  for (auto& t : tasks_) {
    if (t.state == State::dozing) dozing = true;
    if (t.state != State::parked || t.suspect || !procs_[t.proc].alive) continue;
    if (t.woken) {
      runs.push_back({t.index, t.call->nr});
      continue;
    }
    t.last = assess(*t.call, pidfd_of(t), t.tgid);
    // A non-blocking call that fails at once (EAGAIN) is how an event loop finds it is done: it
    // goes on. Twice in a row with nothing between is a retry loop: it spins.
    const bool fails_fast = t.last.readiness == Readiness::spins && t.call->nr != SYS_sched_yield &&
                            t.call->nr != SYS_nanosleep && t.call->nr != SYS_clock_nanosleep;
    switch (t.last.readiness) {
      case Readiness::runs: runs.push_back({t.index, t.call->nr}); break;
      case Readiness::spins: (fails_fast && !t.last_failed_fast ? runs : spins).push_back({t.index, t.call->nr}); break;
      case Readiness::timed: timed.push_back(&t); break;
      case Readiness::blocked: break;
    }
  }
  if (follow_) {
    if (followed_ >= follow_->size()) {
      if (runs.empty() && spins.empty() && timed.empty()) return dozing ? Outcome::waiting : Outcome::stuck;
      diverge("the run goes on: " + name_of(tasks_[(runs.empty() ? spins : runs).empty() ? timed.front()->index
                                                                                       : (runs.empty() ? spins : runs).front().task]) +
              " can still run");
      return Outcome::diverged;
    }
    const Step want = (*follow_)[followed_];
    if (want.kind == StepKind::harness) {
      // The record has the harness acting here: it acted when nothing could go on (or only spin).
      if (!spin) return runs.empty() && !spins.empty() ? Outcome::spinning : Outcome::stuck;
      diverge("the harness did not act");
      return Outcome::diverged;
    }
    Task* t = want.task < tasks_.size() ? &tasks_[want.task] : nullptr;
    auto in = [&](const std::vector<Option>& v) {
      return std::any_of(v.begin(), v.end(), [&](const Option& o) { return o.task == want.task; });
    };
    bool ok = t && t->state == State::parked && t->call && t->call->nr == static_cast<long>(want.nr);
    if (ok && want.kind == StepKind::run) ok = !t->woken && (in(runs) || in(spins));
    if (ok && want.kind == StepKind::wake) ok = t->woken;
    if (ok && want.kind == StepKind::timeout) ok = std::find(timed.begin(), timed.end(), t) != timed.end();
    // The kernel finishes some work after a call returns (a TCP acknowledgement, a loopback
    // packet on its way): a recorded task not yet able to go on is waited for a moment.
    const bool may_come = t && (t->state != State::parked || (t->call && t->call->nr == static_cast<long>(want.nr)));
    if (!ok && may_come && monotonic_ns() - (follow_wait_since_ ? follow_wait_since_ : (follow_wait_since_ = monotonic_ns())) < kFollowGraceNs)
      return Outcome::waiting;
    if (!ok) {
      std::string seen = !t ? "that task does not exist"
                         : t->state != State::parked ? name_of(*t) + " is not at a point"
                         : name_of(*t) + " is parked in " + show(*t->call) +
                               (t->last.readiness == Readiness::blocked ? ", which would block (" + t->last.why + ")" : "");
      diverge(seen);
      return Outcome::diverged;
    }
    ++followed_;
    follow_wait_since_ = 0;
    release(*t, want.kind);
    return Outcome::released;
  }
  if (runs.empty() && spins.empty() && timed.empty()) return dozing ? Outcome::waiting : Outcome::stuck;
  // Spins and timeouts make no progress: every task gets several turns of its retry loop before
  // the harness is asked to act.
  if (runs.empty() && !spin && idle_spins_ > 4 * (spins.size() + timed.size() + 2)) return Outcome::spinning;
  if (runs.empty() && spins.empty()) {
    release(*timed.front(), StepKind::timeout);
    return Outcome::released;
  }
  // Futile calls (a yield, a sleep, an EAGAIN) are choices too: the order of two polling loops
  // is a race. But after a run of futile decisions the task that has waited longest goes next:
  // a strategy's favourites could otherwise poll for ever while the one they wait for never runs.
  std::vector<Option> all = runs;
  all.insert(all.end(), spins.begin(), spins.end());
  std::vector<Option>& options = runs.empty() ? spins : runs;
  std::size_t i = 0;
  Task* chosen = nullptr;
  if (futile_run_ >= 2 * all.size()) {
    for (const auto& o : all)
      if (!chosen || tasks_[o.task].last_ran < chosen->last_ran) chosen = &tasks_[o.task];
  } else {
    i = strategy_->pick(options, decisions_, last_);
    chosen = &tasks_[options[i].task];
  }
  Task& t = *chosen;
  // A preemption: the task that ran last could have gone on, and another was chosen.
  std::pair<std::int64_t, long> preempted{-1, 0};
  for (const auto& o : all)
    if (last_ && o.task == *last_ && o.task != t.index && runs.end() != std::find_if(runs.begin(), runs.end(), [&](const Option& r) { return r.task == o.task; }))
      preempted = {o.task, o.nr};
  const bool futile = !t.woken && t.last.readiness != Readiness::runs;
  futile_run_ = futile ? futile_run_ + 1 : 0;
  t.last_ran = decisions_ + 1;
  release(t, t.woken ? StepKind::wake : StepKind::run, preempted);
  return Outcome::released;
}

std::vector<Blocked> Supervisor::wait_for_graph(const std::vector<Blocked>& snapshot) const {
  std::vector<Blocked> out = snapshot;
  for (auto& b : out) {
    auto it = by_tid_.find(b.pid);
    if (it == by_tid_.end()) continue;
    const Task& t = tasks_[it->second];
    if (t.state == State::parked && t.call) {
      b.state = "parked by the schedule";
      b.syscall = syscall_name(t.call->nr);
      b.waits = t.last.why.empty() ? "it may not go on" : t.last.why;
    } else if (t.state == State::asleep) {
      b.waits = "asleep in the kernel in the " + syscall_name(t.released_nr) + " it was let go on with";
    } else if (t.state == State::stopped) {
      b.waits = "stopped by a signal";
    }
  }
  return out;
}

std::vector<std::string> Supervisor::task_names() const {
  std::vector<std::string> out;
  for (const auto& t : tasks_) out.push_back(name_of(t));
  return out;
}

std::vector<std::string> Supervisor::story(std::size_t most) const {
  std::vector<std::string> out;
  std::size_t from = steps_.size() > most ? steps_.size() - most : 0;
  for (std::size_t i = from; i < steps_.size(); ++i) {
    const Step& s = steps_[i];
    std::string who = s.task < tasks_.size() ? name_of(tasks_[s.task]) : "task " + std::to_string(s.task);
    std::string line = "step " + std::to_string(i) + ": ";
    switch (s.kind) {
      case StepKind::run:
        line += who + " " + syscall_name(s.nr);
        if (i < preempted_.size() && preempted_[i].first >= 0)
          line += ", preempting " + name_of(tasks_[static_cast<std::size_t>(preempted_[i].first)]) + " at its " +
                  syscall_name(preempted_[i].second);
        break;
      case StepKind::wake: line += who + " woken from futex"; break;
      case StepKind::timeout: line += who + " " + syscall_name(s.nr) + " timed out"; break;
      case StepKind::harness:
        line += s.nr ? std::string("harness sends SIG") + (sigabbrev_np(static_cast<int>(s.nr)) ?: "?") + " to " + who
                     : "harness starts " + who;
        break;
    }
    out.push_back(line);
  }
  return out;
}

bool Supervisor::finish() {
  if (follow_ && divergence_.empty() && followed_ < follow_->size())
    diverge("the run ended after " + std::to_string(steps_.size()) + " steps");
  return divergence_.empty();
}

double Supervisor::ns_per_decision() const {
  return decisions_ ? static_cast<double>(monotonic_ns() - started_ns_) / static_cast<double>(decisions_) : 0.0;
}

}  // namespace ipch::schedule
