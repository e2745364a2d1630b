// `ipc-harness claims [--quick] [--out DIR] [--json] [--only IDS] [--seed S]`: checks each claim
// of the source text on this kernel with real processes (claims/catalogue.hpp) and writes
// DIR/report.md, report.json and report.html (default DIR: ipch-runs/claims), then prints the
// summary table (or report.json with --json). `ipc-harness list claims` lists the catalogue.
//
// Exit codes: 0 every chosen claim was checked (a refuted claim is a finding about the kernel,
// not a failure), 2 bad input (an unknown claim id, an unwritable folder), 3 a check could not
// run (the report is still written; that claim says not-checked and why), 128 + signal when
// interrupted by SIGINT or SIGTERM (every process and kernel object removed first).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ipch::cli {

struct ClaimsArgs {
  bool quick = false;
  std::optional<std::string> out;
  bool json = false;
  std::vector<std::string> only;  // claim ids, comma-separated on the command line
  std::uint64_t seed = 0;
  std::string command;  // the command line, for the report's header
};

int claims(const ClaimsArgs& a, std::ostream& out, std::ostream& err);
// `ipc-harness list claims [--json]`: id, mechanisms and sentence of each claim.
int list_claims(std::ostream& out, bool json);

}  // namespace ipch::cli
