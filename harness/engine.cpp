#include "engine.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "event.hpp"
#include "schedule_filter.hpp"

namespace ipch::engine {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// A dead process's pipe is read to its end, but a grandchild that escaped its group may hold it
// and write for ever: past this many chunks (64 MiB) the rest is not its parent's to deliver.
constexpr std::size_t kMostChunksOfTheDead = 1024;
// Under a schedule: this many futile decisions (a yield, a sleep, an EAGAIN, a timeout) without
// progress() count as the quiet while the harness waits for before it acts (resumes a held
// process, stops a receiver whose senders are gone). Calls that move data are not quiet: a
// message moved two bytes at a time is slow, not stuck.
constexpr std::uint64_t kQuietDecisions = 256;
// Under a schedule: this many futile decisions without progress() are a livelock, ended as a
// stall; and so are this many decisions of any kind per millisecond of the stall window.
constexpr std::uint64_t kLivelockDecisions = 20'000;
constexpr std::uint64_t kDecisionsPerStallMs = 1'000;

// In the child of an exec, between fork and exec: only calls that are safe after fork in a
// single-threaded parent. Any failure goes back as an errno through `report`.
// Under a schedule, write and exit_group wait for the supervisor, which is not listening while
// spawn() waits: the errno goes to `shared_errno` (a shared page) and the child ends with the
// untrapped exit.
[[noreturn]] void become(const Exec& x, int in, int out, int err_file, int report, int* shared_errno) {
  auto fail = [&](int e) {
    if (shared_errno) {
      *shared_errno = e;
      ::syscall(SYS_exit, 127);
    }
    (void)!::write(report, &e, sizeof e);
    ::_exit(127);
  };
  for (int sig : {SIGPIPE, SIGUSR1, SIGCHLD}) (void)sys::default_signal(sig);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Every end above 10 first, so that installing one at 0..3 never closes another.
  int ends[4] = {in, out, err_file, report};
  for (int& e : ends) {
    auto moved = sys::fcntl(e, F_DUPFD_CLOEXEC, 10);
    if (!moved) fail(moved.error().value());
    e = *moved;
  }
  report = ends[3];
  for (int i = 0; i < 3; ++i)
    if (auto r = sys::dup_to(ends[i], i); !r) fail(r.error().value());
  if (auto r = sys::dup_to(report, 3, O_CLOEXEC); !r) fail(r.error().value());
  report = 3;
  if (auto r = sys::close_from(4); !r) fail(r.error().value());
  for (const auto& kv : x.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    if (::setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1) != 0) fail(errno);
  }
  auto r = sys::execvp(x.argv.at(0), x.argv);
  fail(r ? ENOEXEC : r.error().value());
  ::_exit(127);  // not reached: fail() exits
}

}  // namespace

Engine::Engine() { last_progress_ = now_ms(); }

Engine::~Engine() {
  if (group_ > 0) (void)sys::kill(-group_, SIGKILL);
  for (auto& p : procs_) {
    if (p.status) continue;
    if (p.spec.own_group) (void)sys::kill(-p.pid, SIGKILL);
    (void)sys::kill(p.pid, SIGKILL);
    (void)sys::waitpid(p.pid, 0);
  }
}

std::uint64_t Engine::now_ms() const { return monotonic_ns() / 1'000'000; }

Result<Id> Engine::spawn(Spec spec) {
  sys::Fd out_r, out_w, in_r, in_w, report_r, report_w, err_file, devnull;
  if (spec.output) {
    auto p = sys::pipe(O_CLOEXEC);
    if (!p) return std::unexpected(p.error());
    out_r = std::move(p->first);
    out_w = std::move(p->second);
    if (spec.pipe_bytes) (void)sys::set_pipe_size(out_w.get(), spec.pipe_bytes);
  }
  if (spec.exec) {
    if (spec.exec->argv.empty()) return std::unexpected(std::make_error_code(std::errc::invalid_argument));
    auto report = sys::pipe(O_CLOEXEC);
    if (!report) return std::unexpected(report.error());
    report_r = std::move(report->first);
    report_w = std::move(report->second);
    auto f = sys::open(spec.exec->stderr_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (!f) return std::unexpected(f.error());
    err_file = std::move(*f);
    auto n = sys::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (!n) return std::unexpected(n.error());
    devnull = std::move(*n);
    if (spec.exec->feed_stdin) {
      auto p = sys::pipe(O_CLOEXEC);
      if (!p) return std::unexpected(p.error());
      in_r = std::move(p->first);
      in_w = std::move(p->second);
      if (spec.pipe_bytes) (void)sys::set_pipe_size(in_w.get(), spec.pipe_bytes);
    }
  }
  const bool scheduled = sched_ && spec.scheduled;
  sys::Fd handoff_r, handoff_w;
  int* shared_errno = nullptr;
  if (scheduled) {
    auto h = sys::pipe(O_CLOEXEC);
    if (!h) return std::unexpected(h.error());
    handoff_r = std::move(h->first);
    handoff_w = std::move(h->second);
    if (spec.exec) {
      auto page = sys::mmap(sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
      if (!page) return std::unexpected(page.error());
      shared_errno = static_cast<int*>(*page);
      *shared_errno = 0;
    }
  }
  struct Unmap {
    int* p;
    ~Unmap() {
      if (p) (void)sys::munmap(p, sizeof(int));
    }
  } unmap{shared_errno};
  std::fflush(nullptr);  // else the child inherits, and later flushes, what our stdout buffered
  auto pid = sys::fork(/*die_with_parent=*/true);
  if (!pid) return std::unexpected(pid.error());
  if (*pid == 0) {
    (void)sys::setpgid(0, spec.own_group ? 0 : group_);
    (void)sys::default_signal(SIGINT);
    (void)sys::default_signal(SIGTERM);
    // Nothing of the other processes': their pipes held here would keep EOF and EPIPE from them.
    for (auto& p : procs_) {
      p.out.reset();
      p.in.reset();
      p.pidfd.reset();
    }
    out_r.reset();
    in_w.reset();
    report_r.reset();
    handoff_r.reset();
    if (scheduled) {
      std::vector<int> untrapped{2};  // stderr: a log, not a channel
      if (!spec.exec && spec.output) untrapped.push_back(out_w.get());  // our worker's events
      auto r = schedule::enter_schedule(handoff_w.release(), untrapped, sched_->cpu());
      if (!r) {
        std::fprintf(stderr, "ipc-harness %s: cannot enter the schedule: %s\n", spec.name.c_str(), r.error().message().c_str());
        ::_exit(126);
      }
    }
    if (spec.exec) {
      become(*spec.exec, spec.exec->feed_stdin ? in_r.get() : devnull.get(),
             spec.output ? out_w.get() : err_file.get(), err_file.get(), report_w.get(), shared_errno);
    }
    int rc = 3;
    try {
      rc = spec.body(spec.output ? out_w.get() : -1);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ipc-harness %s: %s\n", spec.name.c_str(), e.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  // Both sides call setpgid, so the group exists before either goes on (the usual race fix).
  pid_t group = spec.own_group ? *pid : (group_ ? group_ : *pid);
  (void)sys::setpgid(*pid, group);
  if (!spec.own_group && !group_) group_ = *pid;
  Proc p;
  p.pid = *pid;
  out_w.reset();
  in_r.reset();
  auto pfd = sys::pidfd_open(*pid);
  const int handoff_number = handoff_w.get();
  handoff_w.reset();
  if (scheduled && pfd) {
    auto taken = take_listener(*pid, handoff_r.get(), handoff_number, pfd->get(), spec.name);
    if (!taken) {
      (void)sys::kill(*pid, SIGKILL);
      (void)sys::waitpid(*pid, 0);
      sched_->exited(static_cast<Id>(procs_.size()));
      return std::unexpected(taken.error());
    }
  }
  if (spec.exec) {
    report_w.reset();
    int child_errno = 0;
    auto n = sys::read(report_r.get(), std::as_writable_bytes(std::span(&child_errno, 1)));
    if (shared_errno && *shared_errno) {
      n = sizeof child_errno;
      child_errno = *shared_errno;
    }
    if (n && *n == sizeof child_errno) {
      if (scheduled) sched_->exited(static_cast<Id>(procs_.size()));
      (void)sys::kill(*pid, SIGKILL);
      (void)sys::waitpid(*pid, 0);
      return std::unexpected(std::error_code(child_errno, std::generic_category()));
    }
  }
  if (!pfd) {
    (void)sys::kill(*pid, SIGKILL);
    (void)sys::waitpid(*pid, 0);
    return std::unexpected(pfd.error());
  }
  p.pidfd = std::move(*pfd);
  p.out = std::move(out_r);
  p.in = std::move(in_w);
  if (p.out.valid()) (void)sys::set_nonblocking(p.out.get(), true);
  if (p.in.valid()) (void)sys::set_nonblocking(p.in.get(), true);
  p.spec = std::move(spec);
  p.scheduled = scheduled;
  procs_.push_back(std::move(p));
  return static_cast<Id>(procs_.size() - 1);
}

Result<void> Engine::take_listener(pid_t pid, int handoff_r, int handoff_number, int pidfd, const std::string& name) {
  // EOF: the child put its listener where the handoff pipe's write end was (or died trying).
  std::byte b;
  (void)sys::read(handoff_r, std::span(&b, 1));
  auto listener = sys::pidfd_getfd(pidfd, handoff_number);
  if (!listener) return std::unexpected(listener.error());
  return sched_->adopt(static_cast<Id>(procs_.size()), name, pid, std::move(*listener));
}

void Engine::signal(Id id, int sig) {
  Proc& p = procs_.at(id);
  if (p.scheduled && !p.status) sched_->harness_acted(id, sig);
  // The group outlives the leader while its children run: signal it even after the reap.
  if (p.spec.own_group) (void)sys::kill(-p.pid, sig);
  if (!p.status) (void)sys::kill(p.pid, sig);
}

void Engine::kill(Id id) {
  Proc& p = procs_.at(id);
  if (p.spec.own_group) (void)sys::kill(-p.pid, SIGKILL);
  if (p.status) return;
  if (p.scheduled) sched_->harness_acted(id, SIGKILL);
  (void)sys::kill(p.pid, SIGKILL);
  auto r = sys::waitpid(p.pid, 0);
  if (p.scheduled) sched_->exited(id);
  p.status = r ? r->second : W_EXITCODE(0, SIGKILL);
  p.killed = true;
  if (!p.in_callback) settle(id);
}

void Engine::settle(Id id) {
  Proc& p = procs_[id];
  if (!p.killed || p.finished || p.in_callback) return;
  pump(id, true);
  finish(id, Exit::killed);
}

void Engine::kill_all() {
  if (group_ > 0) (void)sys::kill(-group_, SIGKILL);
  for (Id id = 0; id < procs_.size(); ++id) kill(id);
}

bool Engine::collect(Id id) {
  Proc& p = procs_.at(id);
  if (p.finished || p.killed) return false;
  if (!p.status) {
    auto r = sys::waitpid(p.pid, WNOHANG);
    if (!r || r->first != p.pid) return false;
    p.status = r->second;
    if (p.scheduled) sched_->exited(id);
  }
  pump(id, true);
  if (procs_[id].killed) {  // killed from its own last output: buried as a kill
    settle(id);
    return true;
  }
  finish(id, Exit::by_itself);
  return true;
}

void Engine::finish(Id id, Exit why) {
  Proc& p = procs_[id];
  if (p.finished) return;
  p.finished = true;
  p.out.reset();
  p.pidfd.reset();
  // Its stdin only after on_exit, which may ask whether it was closed (everything given).
  if (p.spec.on_exit) p.spec.on_exit(*p.status, why);
  procs_[id].in.reset();
}

bool Engine::pump(Id id, bool to_end) {
  bool any = false;
  std::vector<std::byte> chunk(kReadChunk);
  const std::size_t most = to_end ? kMostChunksOfTheDead : procs_[id].spec.reads_per_turn;
  for (std::size_t round = 0; round < most; ++round) {
    Proc& p = procs_[id];
    // A held process's bytes stay unread while it lives (holding it is the point); once it is
    // dead, what it wrote is read all the same.
    if (!p.out.valid() || p.finished || (p.paused && !to_end)) return any;
    auto n = sys::read(p.out.get(), chunk);
    if (!n) {
      if (n.error() != std::errc::resource_unavailable_try_again) p.out.reset();
      return any;
    }
    if (*n == 0) {
      p.out.reset();
      return any;
    }
    any = true;
    std::span<const std::byte> got(chunk.data(), *n);
    ++p.in_callback;
    if (p.spec.record == 0) {
      if (p.spec.on_output) p.spec.on_output(got);
    } else {
      p.partial.insert(p.partial.end(), got.begin(), got.end());
      std::size_t whole = p.partial.size() / p.spec.record * p.spec.record;
      for (std::size_t off = 0; off < whole; off += p.spec.record)
        if (p.spec.on_output) p.spec.on_output(std::span(p.partial).subspan(off, p.spec.record));
      p.partial.erase(p.partial.begin(), p.partial.begin() + static_cast<std::ptrdiff_t>(whole));
    }
    Proc& q = procs_[id];
    --q.in_callback;
    // Killed from its own output callback: read the rest of what it wrote, then bury it, now.
    if (q.killed && !q.finished && !to_end) {
      settle(id);
      return any;
    }
  }
  return any;
}

void Engine::pause_output(Id id, bool paused) { procs_.at(id).paused = paused; }

int Engine::input_fd(Id id) const { return procs_.at(id).in.get(); }

void Engine::close_input(Id id) { procs_.at(id).in.reset(); }

void Engine::close_output(Id id) { procs_.at(id).out.reset(); }

std::optional<int> Engine::status(Id id) const { return procs_.at(id).status; }

void Engine::progress() {
  last_progress_ = now_ms();
  quiet_decisions_ = quiet_futile_ = 0;
}

std::uint64_t Engine::idle_ms() const { return now_ms() - last_progress_; }

Ended Engine::run(const Loop& loop) {
  if (sched_) return run_scheduled(loop);
  for (;;) {
    std::vector<pollfd> fds{{signals_.fd(), POLLIN, 0}};
    enum class What { pidfd, out, in };
    std::vector<std::pair<Id, What>> who{{0, What::pidfd}};
    for (Id id = 0; id < procs_.size(); ++id) {
      Proc& p = procs_[id];
      if (p.finished || p.killed) continue;
      fds.push_back({p.pidfd.get(), POLLIN, 0});
      who.push_back({id, What::pidfd});
      if (loop.outputs_wake && p.out.valid() && !p.paused) {
        fds.push_back({p.out.get(), POLLIN, 0});
        who.push_back({id, What::out});
      }
      if (p.in.valid() && p.spec.wants_input && p.spec.wants_input()) {
        fds.push_back({p.in.get(), POLLOUT, 0});
        who.push_back({id, What::in});
      }
    }
    std::uint64_t idle = idle_ms();
    auto wait = std::min<std::uint64_t>(idle < loop.stall_ms ? loop.stall_ms - idle : 0,
                                        static_cast<std::uint64_t>(loop.tick.count()));
    auto r = sys::poll(fds, Deadline::after(std::chrono::milliseconds(wait)));
    if (!r) throw std::runtime_error("poll: " + r.error().message());
    if (fds[0].revents || signals_.signal()) return {End::interrupted, signals_.signal(), 0};
    // Every output, woken or not: with outputs_wake false, a worker's write wakes nobody and is
    // read here once a tick.
    for (Id id = 0; id < procs_.size(); ++id)
      if (!procs_[id].finished && !procs_[id].killed) pump(id, false);
    for (std::size_t i = 1; i < fds.size(); ++i) {
      auto [id, what] = who[i];
      if (what == What::in && fds[i].revents && !procs_[id].finished && !procs_[id].killed &&
          procs_[id].in.valid() && procs_[id].spec.on_writable) {
        procs_[id].spec.on_writable();
      }
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      auto [id, what] = who[i];
      if (what == What::pidfd && fds[i].revents) collect(id);
    }
    if (loop.on_turn) loop.on_turn();
    if (loop.done && loop.done()) return {End::done, 0, 0};
    idle = idle_ms();
    if (idle >= loop.stall_ms && !(loop.watchdog_paused && loop.watchdog_paused())) return {End::stalled, 0, idle};
  }
}

Ended Engine::run_scheduled(const Loop& loop) {
  auto live = [&](Id id) { return !procs_[id].finished && !procs_[id].killed; };
  // Under a schedule time means nothing but for one thing: a task that runs this long without
  // reaching a point (or a settle that never ends) is a hang. A livelock (decisions, but no
  // progress() for kLivelockDecisions of them) is the stall, counted in decisions, so a replay
  // ends it at the same step.
  std::uint64_t last_decision_ms = now_ms();
  auto stalled = [&]() -> std::optional<Ended> {
    std::uint64_t idle = now_ms() - last_decision_ms;
    if (idle >= loop.stall_ms) return Ended{End::stalled, 0, idle};
    if (quiet_futile_ >= kLivelockDecisions || quiet_decisions_ >= loop.stall_ms * kDecisionsPerStallMs)
      return Ended{End::stalled, 0, idle_ms()};
    return std::nullopt;
  };
  long wait_us = 20;
  for (;;) {
    // Settle: until no task runs. Outputs are read meanwhile (a worker's event pipe never fills).
    while (sched_->running()) {
      std::vector<pollfd> fds{{signals_.fd(), POLLIN, 0}};
      sched_->poll_fds(fds);
      std::vector<std::pair<Id, bool>> who;  // {id, is pidfd}
      const std::size_t first = fds.size();
      for (Id id = 0; id < procs_.size(); ++id) {
        if (!live(id)) continue;
        fds.push_back({procs_[id].pidfd.get(), POLLIN, 0});
        who.push_back({id, true});
        if (procs_[id].out.valid() && !procs_[id].paused) {
          fds.push_back({procs_[id].out.get(), POLLIN, 0});
          who.push_back({id, false});
        }
      }
      timespec ts{0, wait_us * 1000};
      int n = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
      if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("ppoll: ") + std::strerror(errno));
      if (fds[0].revents || signals_.signal()) return {End::interrupted, signals_.signal(), 0};
      bool moved = sched_->receive() > 0;
      for (std::size_t i = first; n > 0 && i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        auto [id, pidfd] = who[i - first];
        if (!live(id)) continue;
        moved = (pidfd ? collect(id) : pump(id, false)) || moved;
      }
      if (moved) {
        wait_us = 20;
      } else {
        sched_->probe();
        wait_us = std::min<long>(wait_us * 2, 2000);
      }
      if (auto s = stalled()) return *s;
    }
    wait_us = 20;
    // Nothing runs: read every output to its end, bury the dead, feed inputs.
    bool read_any = false;
    for (Id id = 0; id < procs_.size(); ++id)
      if (live(id)) read_any = pump(id, true) || read_any;
    for (Id id = 0; id < procs_.size(); ++id) {
      if (!live(id)) continue;
      pollfd p{procs_[id].pidfd.get(), POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) collect(id);
    }
    for (Id id = 0; id < procs_.size(); ++id) {
      Proc& p = procs_[id];
      if (!live(id) || !p.in.valid() || !p.spec.wants_input || !p.spec.wants_input() || !p.spec.on_writable) continue;
      pollfd w{p.in.get(), POLLOUT, 0};
      if (::poll(&w, 1, 0) > 0 && w.revents) p.spec.on_writable();
    }
    if (sched_->receive() > 0 || sched_->recheck_sleepers()) continue;
    if (loop.on_turn) loop.on_turn();
    if (loop.done && loop.done()) return sched_->finish() ? Ended{End::done, 0, 0} : Ended{End::diverged, 0, 0};
    if (sched_->running()) continue;  // the harness acted: let it take effect first
    (void)read_any;
    auto decided = sched_->decide();
    if (decided == schedule::Supervisor::Outcome::spinning)
      decided = loop.on_stuck && loop.on_stuck() ? schedule::Supervisor::Outcome::released : sched_->decide(true);
    switch (decided) {
      case schedule::Supervisor::Outcome::released:
      case schedule::Supervisor::Outcome::spinning:
        // Decisions with no progress: the processes loop (a receiver polling a held peer) and
        // the harness may have to act, as it would after a quiet while under the kernel.
        last_decision_ms = now_ms();
        ++quiet_decisions_;
        if (sched_->last_futile() && ++quiet_futile_ % kQuietDecisions == 0 && loop.on_stuck && loop.on_stuck())
          quiet_decisions_ = quiet_futile_ = 0;
        break;
      case schedule::Supervisor::Outcome::diverged: return {End::diverged, 0, 0};
      case schedule::Supervisor::Outcome::waiting: {
        pollfd s{signals_.fd(), POLLIN, 0};
        (void)::poll(&s, 1, 2);
        (void)sched_->receive();
        sched_->probe();
        (void)sched_->recheck_sleepers();
        break;
      }
      case schedule::Supervisor::Outcome::stuck: {
        if (loop.on_stuck && loop.on_stuck()) break;
        // The kernel may still be finishing work of its own (a TCP acknowledgement opens a
        // window, a loopback packet lands): a deadlock is declared once a short grace has passed
        // with nothing able to go on.
        bool moved = false;
        for (int ms : {1, 2, 4, 8, 16, 32}) {
          pollfd s{signals_.fd(), POLLIN, 0};
          (void)::poll(&s, 1, ms);
          if (signals_.signal()) return {End::interrupted, signals_.signal(), 0};
          (void)sched_->receive();
          sched_->probe();
          if (sched_->recheck_sleepers() || sched_->running() || sched_->decide() != schedule::Supervisor::Outcome::stuck) {
            moved = true;
            break;
          }
        }
        if (moved) break;
        if (!sched_->finish()) return {End::diverged, 0, 0};
        return {End::deadlocked, 0, idle_ms()};
      }
    }
    if (signals_.signal()) return {End::interrupted, signals_.signal(), 0};
    if (auto s = stalled()) return *s;
  }
}

std::vector<Blocked> Engine::diagnose(bool backtrace) const {
  std::vector<Process> live;
  for (const auto& p : procs_)
    if (!p.status) live.push_back({p.pid, p.spec.name});
  auto snapshot = ipch::diagnose(live, backtrace);
  return sched_ ? sched_->wait_for_graph(snapshot) : snapshot;
}

bool Engine::alive(Id id) const { return id < procs_.size() && !procs_[id].status && !procs_[id].finished; }

pid_t Engine::pid(Id id) const { return procs_.at(id).pid; }

const Spec& Engine::spec(Id id) const { return procs_.at(id).spec; }

char Engine::state(Id id) const {
  if (!alive(id)) return '?';
  std::ifstream in("/proc/" + std::to_string(procs_[id].pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

}  // namespace ipch::engine
