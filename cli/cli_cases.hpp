// `ipc-harness run --cases N`: N generated scenarios (properties/generators.hpp), each derived
// from --seed and its index, run and checked one after another.
//
// Output: on a terminal one progress line (cases done, failures, rate, ETA) redrawn in place; on
// a pipe or in CI one plain line per case. Then a table of cases and failures per mechanism and
// fault. The first failure is shrunk (retried with no fault, fewer messages, fewer processes,
// smaller sizes while it still fails), its reproducer written, and the replay command printed.
//
// --junit writes one testcase per mechanism x fault (a failure's text has the replay command),
// --shard i/n runs the cases whose index % n == i, and --corpus DIR replays every reproducer in
// DIR first (each must now pass) and saves the shrunk first failure there.
//
// Exit codes: 0 every case passed, 1 a case failed (violations, deadlock or harness error),
// 2 bad input, 128 + signal when interrupted.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "schedule_strategy.hpp"

namespace ipch::cli {

struct CasesArgs {
  std::uint64_t cases = 0;
  std::string mechanism = "all";  // one mechanism, or all of them
  std::uint64_t seed = 0;
  bool json = false;
  std::optional<std::string> out;  // folder for the first failure's reproducer.json
  std::optional<std::string> junit;   // JUnit XML: one testcase per mechanism x fault
  std::string shard = "0/1";          // i/n: the cases whose index % n == i
  std::optional<std::string> corpus;  // reproducers replayed first; the shrunk failure is added
  schedule::Spec schedule = {};       // os: the kernel's scheduler decides
  std::uint64_t schedules = 1;        // under a controlled schedule: tried per case until one fails
};

int run_cases(const CasesArgs& a, std::ostream& out, std::ostream& err);

}  // namespace ipch::cli
