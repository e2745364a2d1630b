// The supervisor of a controlled schedule: it owns the order in which the processes under test
// make their scheduling points (schedule_filter.hpp). Every such call waits in the kernel until
// the supervisor lets exactly one go on; that process then runs alone until its next point.
//
// Between two decisions the supervisor waits until nothing runs: every task (a process or a
// thread of one) is parked at a point, asleep in the kernel in a call it was let go on with, stopped,
// or gone. Then the client (the engine's loop) reads every output, lets the harness act, and asks
// for the next decision. A parked call that would block (schedule_call.hpp) is not let go on: it
// stays parked as blocked on its object. When no parked call can go on and nobody runs, that is
// a deadlock at once, and wait_for_graph() says who waits on what.
//
// The decisions are recorded (schedule_trace.hpp). Under `follow` the supervisor takes the
// recorded ones, checks each against the call it sees, and reports the first difference.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diagnosis.hpp"
#include "schedule_call.hpp"
#include "schedule_strategy.hpp"
#include "schedule_trace.hpp"
#include "sys.hpp"

struct pollfd;

namespace ipch::schedule {

class Supervisor {
 public:
  // With `strategy` choosing each decision, or following `follow` exactly (then strategy is null).
  Supervisor(std::shared_ptr<Strategy> strategy, std::optional<std::vector<Step>> follow);
  ~Supervisor();

  // The CPU the processes under test share (-1: do not pin).
  int cpu() const { return cpu_; }

  // Process `proc` (the engine's id), `name`, `pid`, just forked: holds its listener. Answers its
  // first point (the sched_yield of enter_schedule); from then on it runs until its next point.
  Result<void> adopt(std::uint32_t proc, std::string name, pid_t pid, sys::Fd listener);
  // The harness signalled process `proc` (0: started it). Recorded as a step; under replay
  // checked against the record. A stop or a kill is waited for before the next decision.
  void harness_acted(std::uint32_t proc, int sig);
  // Process `proc` has exited (its pidfd was readable, or it was reaped).
  void exited(std::uint32_t proc);

  // Adds the listeners to a poll set; receive() takes what they hold and returns how many calls.
  void poll_fds(std::vector<pollfd>& fds) const;
  int receive();
  // True while some task runs (not parked, asleep, stopped or gone).
  bool running() const;
  // Looks at the running tasks in /proc: which are asleep in the kernel, stopped or gone.
  // Returns true iff one changed.
  bool probe();
  // Re-checks the tasks asleep in the kernel (after the harness read a pipe they wait on):
  // true iff one woke.
  bool recheck_sleepers();

  enum class Outcome {
    released,  // one task went on
    stuck,     // no parked call can go on and nothing runs: a deadlock unless the harness acts
    spinning,  // only calls that return without progress (EAGAIN, sched_yield) have gone on for
               // a while: a livelock unless the harness acts; decide(true) then lets one spin
    waiting,   // nothing can go on now, but a task dozes in a timed sleep of its own: wait
    diverged,  // under replay: the recorded step is not what happened (divergence())
  };
  Outcome decide(bool spin = false);

  // At the end of the run: under replay, a record not followed to its end is a divergence too.
  // Returns true iff the run did not diverge.
  bool finish();
  // Why a replay diverged: "step 41: the record has receiver-0 (task 1) in read; ...".
  const std::string& divergence() const { return divergence_; }
  // The deadlock: each task's call and why it cannot go on, as Blocked entries for the report
  // (the engine adds who holds each object).
  std::vector<Blocked> wait_for_graph(const std::vector<Blocked>& snapshot) const;

  // True iff the last decision let a futile call go on: a yield, a sleep, a call that fails at
  // once with EAGAIN, a timeout. Such decisions move nothing.
  bool last_futile() const { return last_futile_; }
  const std::vector<Step>& steps() const { return steps_; }
  std::uint64_t decisions() const { return decisions_; }
  // Per task, its name ("sender-0", "sender-0/t2" for a thread or child of it), by task number.
  std::vector<std::string> task_names() const;
  // The last few decisions before the end, as a human reads them.
  std::vector<std::string> story(std::size_t most) const;
  // Nanoseconds spent per decision on average (settling included), for bench.
  double ns_per_decision() const;

 private:
  enum class State { running, parked, asleep, dozing, stopped, gone };
  struct Task {
    std::uint32_t index = 0;
    std::uint32_t proc = 0;
    pid_t tid = 0, tgid = 0;
    State state = State::running;
    std::optional<Call> call;
    Assessment last;              // the latest assessment of its parked call
    bool woken = false;           // a modelled FUTEX_WAKE reached its parked FUTEX_WAIT
    bool suspect = false;         // signalled while parked: its call may have been interrupted
    std::uint64_t signalled_ns = 0;
    long released_nr = -1;        // the call it last went on with
    std::uint64_t last_ran = 0;     // the decision that last let it go on (fairness among pollers)
    bool last_failed_fast = false;  // that call would fail at once (EAGAIN): a second one in a row spins
    std::uint64_t runtime = 0;    // /proc schedstat, to tell asleep from between two runs
    int quiet_probes = 0;
  };
  struct Proc {
    std::string name;
    pid_t pid = 0;
    sys::Fd listener, pidfd;
    bool alive = true;
  };

  Task& task_of(std::uint32_t proc, pid_t tid);
  int pidfd_of(const Task& t);
  void release(Task& t, StepKind kind, std::pair<std::int64_t, long> preempted = {-1, 0});
  void record(Step s);
  std::string name_of(const Task& t) const;
  bool diverge(const std::string& what);

  std::shared_ptr<Strategy> strategy_;
  std::optional<std::vector<Step>> follow_;
  std::size_t followed_ = 0;
  std::uint64_t follow_wait_since_ = 0;  // monotonic ns: since when the next recorded step waits
  std::map<std::uint32_t, Proc> procs_;
  std::vector<Task> tasks_;
  std::map<pid_t, std::uint32_t> by_tid_;
  std::map<pid_t, sys::Fd> other_pidfds_;  // children a program forked: their own descriptor tables
  std::vector<Step> steps_;
  // Per step: the task it preempted (it could have gone on) and that task's call; none: -1.
  std::vector<std::pair<std::int64_t, long>> preempted_;
  std::uint64_t decisions_ = 0;
  std::optional<std::uint32_t> last_;
  // Decisions since the last one that could make progress (a call that completes, not a yield,
  // sleep or EAGAIN): a retry loop ends with a real call, a livelock never does.
  std::uint64_t idle_spins_ = 0;
  bool last_futile_ = false;
  std::size_t futile_run_ = 0;  // decisions in a row that let a futile call go on (yield, sleep, EAGAIN)
  std::string divergence_;
  int cpu_ = -1;
  std::uint64_t started_ns_ = 0;
};

}  // namespace ipch::schedule
