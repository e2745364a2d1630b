// The one process engine: every process a run starts, our workers (forked with a function) and
// users' programs (forked and exec'd), is spawned, signalled, stopped, continued, killed and
// reaped here and nowhere else. One loop pumps their output to per-process callbacks, feeds
// their input when the client asks, watches their pidfds, runs the stall watchdog and ends on
// SIGINT or SIGTERM; the /proc diagnosis of a stall is taken here. The runner (our workers) and
// external_case (users' programs) are clients: they describe processes and react to events.
//
// Single-threaded by design: the engine forks, so nothing else may run threads beside it.
// Callbacks may call back into the engine (spawn, kill, signal, collect, pause_output). A kill of
// a process from inside its own on_output takes effect (the rest of its output, then on_exit)
// once that callback returns; from anywhere else, at once.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "diagnosis.hpp"
#include "supervisor.hpp"
#include "result.hpp"
#include "signal_pipe.hpp"
#include "sys.hpp"

namespace ipch::engine {

using Id = std::uint32_t;  // 0, 1, 2... in the order of spawn(); never reused within an engine

// A program to fork and exec (execvp, never a shell).
struct Exec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it holds a '/'
  std::vector<std::string> env;   // "K=V" set on top of the harness's environment
  std::string stderr_path;        // its stderr, appended to (and its stdout when there is no output pipe)
  bool feed_stdin = false;        // stdin: a pipe from the engine (input_fd()), else /dev/null
};

// Why on_exit is called.
enum class Exit {
  by_itself,  // it exited or was killed by someone else (a fault's signal, the kernel)
  killed,     // kill() or kill_all() of this engine
};

struct Spec {
  std::string name;  // "sender-0": how diagnoses name it
  // What runs: `body` in the forked child (which gets the write end of its output pipe, or -1
  // when `output` is false; its return value is the exit status), or else `exec`.
  std::function<int(int output_fd)> body;
  std::optional<Exec> exec;
  // A process group of its own (a program and the children it starts, killed together), rather
  // than the engine's one group (our workers, killed together by kill_all()).
  bool own_group = false;
  bool output = true;              // a pipe from the process: body's output_fd, a program's stdout
  std::size_t pipe_bytes = 0;      // both pipes' buffer size (0: the kernel's default)
  std::size_t record = 0;          // output is delivered in whole records of this size; 0: as it comes
  std::size_t reads_per_turn = 16; // chunks read per turn while it lives (a dead one: to the end, 64 MiB at most)
  // Bytes it wrote, in order, never after on_exit. For a process that was killed, what it wrote
  // before it died is still delivered first (its pipe is read to the end).
  std::function<void(std::span<const std::byte>)> on_output;
  // Its stdin can take more bytes (polled only while wants_input() is true).
  std::function<bool()> wants_input;
  std::function<void()> on_writable;
  // Its end: its output read to the end, then reaped. `status` is the raw wait status.
  std::function<void(int status, Exit why)> on_exit;
  // Under a controlled schedule (Engine::schedule()), its scheduling points are the
  // supervisor's; false: it runs free (a bystander that only holds descriptors).
  bool scheduled = true;
};

struct Loop {
  std::uint64_t stall_ms = 5000;              // no progress() this long: the loop ends as stalled
  std::chrono::milliseconds tick{20};         // a turn at least this often
  // Readable output ends a wait; false: outputs are read once a tick (no wake-up per write).
  // Read on every turn, so the client may change it while the loop runs.
  bool outputs_wake = true;
  std::function<void()> on_turn;              // after every turn's output, input and exits
  std::function<bool()> done;                 // after on_turn: true ends the loop
  std::function<bool()> watchdog_paused;      // true: no stall is judged on this turn
  // Under a controlled schedule, when no process can go on, or only spins, or has made no
  // progress() for many decisions (what "quiet for a while" is when time means nothing): the
  // client may act (stop a receiver whose senders are gone, resume a held one) and return true;
  // false: with nothing able to go on, it is a deadlock.
  std::function<bool()> on_stuck;
};

enum class End {
  done,
  stalled,      // no progress for stall_ms (under a schedule: only a hang guard)
  interrupted,  // SIGINT or SIGTERM
  deadlocked,   // under a schedule: every process left waits on another (schedule()->wait_for_graph)
  diverged,     // under replay of a schedule: the run left the record (schedule()->divergence())
};

struct Ended {
  End how = End::done;
  int signal = 0;              // SIGINT or SIGTERM, iff interrupted
  std::uint64_t idle_ms = 0;   // time since the last progress, iff stalled
};

class Engine {
 public:
  // Catches SIGINT and SIGTERM from now until the engine is destroyed (a signal during the
  // client's set-up ends the first turn of run()).
  Engine();

  // From now on, processes spawned with Spec::scheduled run under this supervisor: their
  // scheduling points wait for its decisions, made by run() whenever nothing else runs.
  void schedule(std::unique_ptr<schedule::Supervisor> s) { sched_ = std::move(s); }
  schedule::Supervisor* schedule() const { return sched_.get(); }
  // Kills and reaps every process still alive, calling no callback.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts a process. Returns its id iff it runs: for `exec`, iff the exec itself succeeded (a
  // failed exec's errno, ENOENT or EACCES, comes back here, never as a status 127). The child
  // dies with us (PR_SET_PDEATHSIG), has SIGINT and SIGTERM at their defaults, and holds no
  // descriptor of the engine's but its own pipes.
  Result<Id> spawn(Spec spec);

  // Sends `sig` to the process (and to its own group, which outlives the leader while its
  // children run). Does nothing once it has been reaped.
  void signal(Id id, int sig);
  void pause(Id id) { signal(id, SIGSTOP); }
  void resume(Id id) { signal(id, SIGCONT); }
  // SIGKILL (its own group too), reaped at once; then its output is read to the end and
  // on_exit(status, killed) is called: right away, or from inside its own on_output once that
  // returns. Does nothing to a process already reaped but SIGKILL its own group's stragglers.
  void kill(Id id);
  // kill() of every process alive, and of the engine's group.
  void kill_all();
  // If the process has exited: reads its output to the end, reaps it, calls on_exit(by_itself)
  // now, and returns true. False while it runs (or once it was collected).
  bool collect(Id id);

  // While paused, its output is not read (the harness stops reading a held receiver).
  void pause_output(Id id, bool paused);
  // Ours to write, non-blocking; -1 without a stdin pipe or once closed.
  int input_fd(Id id) const;
  void close_input(Id id);
  // Its output is read no more (a program that broke the protocol on it): what follows is dropped.
  void close_output(Id id);

  // The client saw progress: the watchdog's clock starts again.
  void progress();
  std::uint64_t idle_ms() const;

  // Turns until done(), a stall or SIGINT/SIGTERM. On a stall or a signal, nothing is killed:
  // the client diagnoses (diagnose()) and ends its processes itself (kill_all()).
  Ended run(const Loop& loop);
  // The signal that has arrived, 0 if none (the same state run() watches).
  int interrupted() const { return signals_.signal(); }

  // A /proc snapshot of every process alive (diagnosis.hpp). `backtrace`: gdb stacks too.
  std::vector<Blocked> diagnose(bool backtrace) const;

  bool alive(Id id) const;  // spawned and not yet reaped
  std::optional<int> status(Id id) const;  // its wait status, once reaped
  pid_t pid(Id id) const;
  const Spec& spec(Id id) const;
  // Its /proc state letter: 'T' when stopped, 'S' sleeping...; '?' once reaped or unreadable.
  char state(Id id) const;
  std::size_t size() const { return procs_.size(); }

 private:
  struct Proc {
    Spec spec;
    pid_t pid = 0;
    sys::Fd pidfd, out, in;
    std::vector<std::byte> partial;  // a record not yet whole
    std::optional<int> status;       // once reaped
    bool killed = false;             // by kill(): on_exit(killed)
    bool finished = false;           // on_exit called
    bool paused = false;
    bool scheduled = false;          // its points are the supervisor's
    int in_callback = 0;             // inside its on_output
  };
  // Reads up to `rounds` chunks (unbounded: to EOF or EAGAIN) and delivers them. Returns true
  // iff it read anything.
  bool pump(Id id, bool to_end);
  Ended run_scheduled(const Loop& loop);
  // The child's side of a scheduled spawn, and the parent's: the listener handed over.
  Result<void> take_listener(pid_t pid, int handoff_r, int handoff_number, int pidfd, const std::string& name);
  void finish(Id id, Exit why);
  void settle(Id id);  // a kill() deferred while its callback ran
  std::uint64_t now_ms() const;

  SignalPipe signals_;
  std::unique_ptr<schedule::Supervisor> sched_;
  std::deque<Proc> procs_;  // a deque: a spawn from a callback leaves references held elsewhere intact
  pid_t group_ = 0;         // the engine's process group: its first process sharing one
  std::uint64_t last_progress_ = 0;
  std::uint64_t quiet_decisions_ = 0;  // under a schedule: decisions since the last progress()
  std::uint64_t quiet_futile_ = 0;     // ... of them futile (schedule::Supervisor::last_futile())
};

}  // namespace ipch::engine
