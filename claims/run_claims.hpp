// Checks the claims of the catalogue one after another on this machine and gathers what the
// report needs. The benchmark runs first, once, iff a chosen claim is judged on its numbers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "report.hpp"
#include "suite.hpp"

namespace ipch::claims {

struct Options {
  bool quick = false;
  std::uint64_t seed = 0;
  std::vector<std::string> only;  // claim ids; empty: all of them
  std::string out_dir;            // the report's folder; each claim's files go to out_dir/runs/<id>
  std::string program = "ipc-harness";  // how replay commands name the binary
  std::ostream* progress = nullptr;     // one line per claim (and per benchmark measurement)
  const std::atomic<int>* stop = nullptr;  // a signal number: stop between claims
};

struct Run {
  ReportInput input;
  std::unique_ptr<bench::Report> bench;  // input.bench points here
  std::size_t failed_to_run = 0;         // checks that threw: reported as not-checked
};

// The seed of claim `id` in a run seeded `seed`.
std::uint64_t claim_seed(std::uint64_t seed, std::string_view id);

// Throws Interrupted iff stopped. A check that throws is reported not-checked with the reason
// (counted in failed_to_run); every other outcome is a verdict.
Run run(const Options& o);

}  // namespace ipch::claims
