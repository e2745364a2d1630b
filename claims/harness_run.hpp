// A claim checked by the harness itself: a scenario run in real processes and judged by the
// checkers, its history and reproducer kept in the report's folder, so that its counterexample
// replays with `ipc-harness replay`.
#pragma once

#include <string>
#include <string_view>

#include "check.hpp"
#include "claim.hpp"
#include "runner.hpp"
#include "scenario.hpp"

namespace ipch::claims {

struct HarnessRun {
  Scenario scenario;
  RunOutcome outcome;
  ipch::Report report;       // verdict, violations, delivery counts
  std::string folder;        // ctx.work_dir/<tag>: history.jsonl, reproducer.json
  std::string replay;        // "ipc-harness replay <folder>/reproducer.json"
  std::string describe() const;  // "pipe, stream 1x1, 200 messages <= 4096 B, fault kill-receiver: pass"
};

// Runs `s` (its faults resolved here), checks it, and writes history.jsonl and reproducer.json
// (whatever the verdict) under ctx.work_dir/<tag>. Throws BadInput iff the scenario is one the
// harness refuses, Interrupted iff SIGINT or SIGTERM stopped the run, std::runtime_error iff a
// file cannot be written.
HarnessRun run_harness(Scenario s, const Context& ctx, std::string_view tag);

// The run as a counterexample: the summary, its replay command and its timeline.
Counterexample counterexample_of(const HarnessRun& r, std::string summary);

}  // namespace ipch::claims
