// `ipc-harness bench [--quick] [--mechanism M] [--out DIR] [--json]`: every mechanism's
// throughput and round-trip latency between two real processes, by message size, held against
// limits measured in the same run (bench/suite.hpp). Writes DIR/bench.json, bench.csv, bench.svg
// and bench.md (default DIR: ipch-runs/bench), prints a summary (or the JSON with --json).
//
// Exit codes: 0 measured (targets missed are reported, never a failure: speed is not a test),
// 2 bad input (an unknown mechanism, an unwritable folder), 3 a measurement failed,
// 128 + signal when interrupted (every kernel object removed first).
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace ipch::cli {

struct BenchArgs {
  bool quick = false;
  std::string mechanism = "all";
  std::optional<std::string> out;
  bool json = false;
};

int bench(const BenchArgs& a, std::ostream& out, std::ostream& err);

}  // namespace ipch::cli
