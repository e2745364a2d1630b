// The claims report: report.json (machine-readable, `claims` is the list every tool reads),
// report.md (for a terminal or a pull request), report.html (one self-contained page: the table,
// a section per claim with its evidence and counterexamples, and SVG plots drawn inline), and
// the plots as files under plots/.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claim.hpp"

namespace ipch::claims {

struct ReportInput {
  std::vector<Checked> checked;       // in catalogue order
  const bench::Report* bench = nullptr;  // the numbers the performance claims were judged on
  nlohmann::json machine;             // kernel, cpu, cpus, memory (bench's machine when it ran)
  std::uint64_t seed = 0;
  bool quick = false;
  double seconds = 0;
  std::string command;                // the command line that made the report
  std::string source = "ipc-mechanisms.txt";  // the source text the claims come from
};

// The whole report as JSON: {"version", "seed", "quick", "seconds", "command", "machine",
// "verdicts": {"holds": n, ...}, "claims": [to_json(Checked)...], "bench": {...} iff it ran}.
nlohmann::json to_json(const ReportInput& in);
std::string markdown(const ReportInput& in);
std::string html(const ReportInput& in);

// Writes dir/report.json, report.md, report.html and dir/plots/*.svg (throughput and latency
// against message size; one timeline per counterexample that has one). Returns the paths
// written. Throws std::runtime_error naming the file iff one cannot be written.
std::vector<std::string> write_report(const std::string& dir, const ReportInput& in);

// The summary table for a terminal: one line per claim (id, verdict, one-line evidence), then
// the count of each verdict.
void print_summary(std::ostream& out, const ReportInput& in);

}  // namespace ipch::claims
