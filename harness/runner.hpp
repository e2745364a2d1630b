// Runs a scenario: creates the kernel objects, forks one real process per role, collects their
// events over control pipes (never the channel under test), watches for a stall, and cleans up.
//
// The runner is a client of the process engine (engine.hpp), which forks, watches, kills and
// reaps the workers, reads their control pipes in whole events and runs the stall watchdog; the
// runner says what each worker runs and what each event and exit means. It stays
// single-threaded, so fork() is safe and cheaper than fork+exec; each worker's command line is
// rewritten to "ipc-harness worker <role> (runner <pid>)". Workers die with the runner
// (PR_SET_PDEATHSIG) and share the engine's one process group, killed as a whole.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "contract.hpp"
#include "diagnosis.hpp"
#include "history.hpp"
#include "history_sink.hpp"
#include "scenario.hpp"
#include "schedule_strategy.hpp"
#include "schedule_trace.hpp"

namespace ipch {

// Input the harness cannot run: exit code 2. The message names the input and the fix.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  bool backtrace = false;  // gdb stacks in a deadlock diagnosis
  // Where the events go as they come (history.jsonl and the online checkers); nullptr: kept whole
  // in RunOutcome::history. With a sink the outcome's history is a sample (History::complete false).
  HistorySink* sink = nullptr;
  // A controlled schedule (schedule_strategy.hpp): the strategy that takes this run's decisions,
  // or the decisions to follow exactly (a replay). Neither: the kernel's scheduler decides.
  std::shared_ptr<schedule::Strategy> strategy;
  std::optional<std::vector<schedule::Step>> follow;
};

// What a controlled schedule did: its decisions (the reproducer), and why it ended.
struct ScheduleRecord {
  std::vector<schedule::Step> steps;
  std::vector<std::string> tasks;   // task number -> "sender-0"
  std::vector<std::string> story;   // the last decisions, as a human reads them
  std::uint64_t decisions = 0;
  double ns_per_decision = 0;
  bool deadlock = false;            // every process left was parked waiting on another
  std::string divergence;           // a replay that left its record: where and how
};

struct RunOutcome {
  History history;
  Contract contract;
  std::size_t cap = 0;                 // the largest message size actually used
  std::vector<std::string> notes;      // caps applied and why, and similar
  std::vector<std::string> objects;    // the kernel objects, as /proc names them
  std::vector<std::string> leftovers;  // objects of this run the kernel still had once every link was destroyed
  bool deadlock = false;               // no worker made progress for the stall window
  std::uint64_t stalled_ms = 0;
  std::vector<Blocked> diagnosis;      // filled iff deadlock
  std::string error;                   // non-empty iff the harness itself failed
  int interrupted_by = 0;              // SIGINT or SIGTERM, when the run was interrupted
  std::optional<ScheduleRecord> schedule;  // iff the run was under a controlled schedule
};

// Throws BadInput for an unknown mechanism, settings the kernel refuses, or a workload the
// contract does not allow. Everything the mechanism does is in the outcome, not an exception.
RunOutcome run_scenario(const Scenario& s, const RunOptions& options);

// Puts what supervisor `sup` did into `out.schedule` (and a note iff `deadlock`: it ended with
// every process parked waiting on another).
namespace schedule {
class Supervisor;
}
void record_schedule(const schedule::Supervisor& sup, bool deadlock, RunOutcome& out);

// The workers a scenario needs, in index order. Throws BadInput if the contract forbids it.
std::vector<WorkerInfo> plan_workers(const Scenario& s, const Contract& c);

}  // namespace ipch
