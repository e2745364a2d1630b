// `ipc-harness run` and `ipc-harness replay`: run a scenario, check its history, print the
// verdict, write a reproducer and a timeline.html for every failing run.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "check.hpp"
#include "runner.hpp"
#include "scenario.hpp"

namespace ipch::cli {

struct RunArgs {
  Scenario scenario;
  bool json = false;
  bool backtrace = false;
  std::optional<std::string> out;  // folder for history.jsonl, result.json, reproducer.json, timeline.html
  schedule::Spec schedule;         // os: the kernel's scheduler decides
  std::uint64_t schedules = 1;     // under a controlled schedule: tried until one fails
};

// Exit codes: 0 pass, 1 violations or deadlock, 2 bad input, 3 harness error,
// 128 + signal when interrupted by SIGINT or SIGTERM.
int run(const RunArgs& a, std::ostream& out, std::ostream& err);
int replay(const std::string& path, unsigned times, bool json, bool backtrace, std::ostream& out, std::ostream& err);

// A verdict and what it rests on: the runner's outcome judged by the checkers.
struct Evaluation {
  std::string verdict;  // pass, violations, deadlock, error
  nlohmann::json json;  // the --json object, but for `reproducer`
  std::string text;     // the human report
  std::string title;    // one line naming the scenario: mechanism, workload, sizes, seed
  RunOutcome outcome;  // its history is a sample (the first and last events): the whole is in the file
  Report report;
  std::string history_error;  // non-empty iff history.jsonl could not be written whole
};
// Runs `s`, judging its events as they come. `history`: the history.jsonl to stream them into;
// empty: none is written.
Evaluation evaluate(const Scenario& s, const RunOptions& o, const std::string& history = "");

// Writes the timeline.html of failing evaluation `ev` into folder `dir`. Returns its absolute
// path iff written; else prints one line to `err` (prefixed with `who`) and returns nothing: a
// missing picture never changes the verdict.
std::optional<std::string> write_case_timeline(const std::string& dir, const Evaluation& ev, const std::string& who,
                                               std::ostream& err);

}  // namespace ipch::cli
