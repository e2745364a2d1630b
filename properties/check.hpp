// Every checker over one run: the verdict a user reads. Each checker is a function of the run's
// history and contract (and, for `liveness`, of the stall's diagnosis; for `leaked`, of what the
// runner found left in the kernel), computed online over the events in the order they are
// judged, so one pass over history.jsonl (judge) gives what the run gave:
//   delivery.hpp    lost, duplicated, unexpected (Jepsen's total queue), and through it
//   reordered.hpp   reordered
//   integrity.hpp   corrupted, boundary, torn
//   liveness.hpp    liveness
//   leaked.hpp      leaked
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "delivery.hpp"
#include "diagnosis.hpp"
#include "history_format.hpp"
#include "history_writer.hpp"
#include "liveness.hpp"
#include "runner.hpp"
#include "violation.hpp"

namespace ipch {

struct Report {
  std::string verdict;  // pass, violations, deadlock, error
  std::vector<Violation> violations;
  std::vector<std::string> notes;  // the checkers' notes (the runner's own are in RunOutcome::notes)
  DeliveryReport delivery;         // counts
};

// How a run ended, as far as the checkers need it: from a RunOutcome, or history.jsonl's end line.
struct Ending {
  bool deadlock = false;
  std::uint64_t stalled_ms = 0;
  std::vector<Blocked> diagnosis;
  std::vector<std::string> leftovers;
  std::string error;
  int interrupted_by = 0;
  std::vector<Violation> outside;  // found outside the events (HistoryEnd::violations_outside)
};
Ending ending_of(const RunOutcome& r);
// Returns why `e` is malformed (a diagnosis entry without a pid...) as an error.
std::expected<Ending, std::string> ending_of(const HistoryEnd& e);
HistoryEnd history_end(const RunOutcome& r);

// Every checker, fed one event at a time. Memory grows with the messages in flight (and those
// lost or damaged), not with those delivered.
class Checkers {
 public:
  // `head`: the run's workers and faults (it may grow while events come; it must outlive this).
  Checkers(const History& head, const Contract& c);
  Checkers(const Checkers&) = delete;
  Checkers& operator=(const Checkers&) = delete;
  // The next event, at history.jsonl line `line`.
  void add(const Event& e, std::uint64_t line);
  // Once, after the last event. verdict: error iff the harness failed or was interrupted (and
  // did not stall), deadlock iff the run stalled (its liveness violations are still listed),
  // violations iff any checker fired, else pass.
  Report finish(const Ending& end);

 private:
  Contract c_;
  DeliveryCheck delivery_;
  LivenessCheck liveness_;
};

// Every checker on the in-memory run `r`. Requires r.history.complete (a streamed run was
// judged as it ran: its Report came from the Checkers it streamed into).
Report check_all(const RunOutcome& r);

// Writes the whole of in-memory run `r` (header, every event, the end line with `rep`'s verdict)
// to `path`. `outside`: violations found outside the events (a check program's protocol), kept in
// the end line so that judge gives them again. `run`: the header's facts.
Result<void> write_run_history(const std::string& path, const RunOutcome& r, const Report& rep, nlohmann::json run,
                               const std::vector<Violation>& outside = {});

// The verdict and violations of `rep` as `run --json` and `judge --json` print them.
nlohmann::json report_json(const Report& rep);

}  // namespace ipch
