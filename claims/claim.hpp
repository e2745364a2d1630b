// A claim: one sentence about one or more mechanisms, the experiment that checks it on this
// kernel, and what that experiment found. Verdicts come from runs on this machine, never from a
// typed-in table: a check that could not run says not-checked and why.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "timeline.hpp"

namespace ipch::bench {
struct Report;
}

namespace ipch::claims {

enum class Verdict { holds, refuted, holds_only_if, not_checked };
// "holds", "refuted", "holds-only-if", "not-checked": the words report.json and the table use.
std::string_view to_string(Verdict v);

// A run that shows the claim failing (refuted) or the condition it needs (holds-only-if).
struct Counterexample {
  std::string summary;  // one line: what happened, with the numbers
  std::string replay;   // the command that runs it again, as a user pastes it
  std::optional<Timeline> timeline;  // processes as lanes, messages and faults as marks
};

struct Finding {
  Verdict verdict = Verdict::not_checked;
  // holds-only-if: the condition found ("writes of at most 4096 B"); refuted: why, in one line;
  // not-checked: the reason; holds: may stay empty.
  std::string condition;
  std::vector<std::string> runs;      // what was run, one line each, with counts
  std::vector<std::string> evidence;  // what was seen, one line each, with numbers
  nlohmann::json measurements = nlohmann::json::object();  // the same numbers, named
  std::vector<Counterexample> counterexamples;
};

// What a check gets. Every choice it makes derives from `seed`.
struct Context {
  bool quick = false;
  std::uint64_t seed = 0;   // this claim's seed, derived from the run's seed and the claim's id
  std::string work_dir;     // a folder of the report for this claim's files (reproducers, logs)
  std::string replay;       // "ipc-harness claims --only ID --seed S": replays this check
  const bench::Report* bench = nullptr;  // set iff the claim needs_bench and the bench ran
  const std::atomic<int>* stop = nullptr;  // a signal number once SIGINT/SIGTERM arrived
  bool stopping() const { return stop != nullptr && stop->load() != 0; }
};

struct Claim {
  std::string id;        // kebab-case, stable: "pipe-fifo-order"
  std::string sentence;  // what is tested
  bool quoted = true;    // true: the source text's own words; false: our sharper version
  std::string source;    // where in the source text: "Pipes and Named Pipes", "Common Pitfalls 1"
  std::vector<std::string> mechanisms;
  bool needs_bench = false;  // checked against the numbers of `ipc-harness bench`
  // Runs the experiment. Throws std::runtime_error (naming the call and its errno) iff the
  // experiment itself could not run; the report then says not-checked with that reason.
  std::function<Finding(const Context&)> check;
};

// Thrown when SIGINT or SIGTERM stopped the run (a harness run in progress handles both signals
// itself and says so in its outcome); every process and object made so far is removed.
struct Interrupted {
  int signal = 0;
};

struct Checked {
  const Claim* claim = nullptr;
  Finding finding;
  double seconds = 0;
};

nlohmann::json to_json(const Checked& c);

// Where the report puts the timeline of counterexample `i` (from 0) of claim `k`, relative to the
// report's folder: "plots/<id>-<i+1>.svg". to_json names it as "timeline_svg".
std::string timeline_file(const Claim& k, std::size_t i);

}  // namespace ipch::claims
