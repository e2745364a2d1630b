// Every checker over one run: the verdict a user reads. Each checker is a pure function of the
// run's history and contract (and, for `liveness`, of the stall's diagnosis; for `leaked`, of
// what the runner found left in the kernel):
//   delivery.hpp    lost, duplicated, unexpected (Jepsen's total queue), and through it
//   reordered.hpp   reordered
//   integrity.hpp   corrupted, boundary, torn
//   liveness.hpp    liveness
//   leaked.hpp      leaked
#pragma once

#include <string>
#include <vector>

#include "delivery.hpp"
#include "runner.hpp"
#include "violation.hpp"

namespace ipch {

struct Report {
  std::string verdict;  // pass, violations, deadlock, error
  std::vector<Violation> violations;
  std::vector<std::string> notes;  // the checkers' notes (the runner's own are in RunOutcome::notes)
  DeliveryReport delivery;         // counts
};

// Runs every checker on `r`. verdict: error iff the harness failed or was interrupted (and did
// not stall), deadlock iff the run stalled (its liveness violations are still listed),
// violations iff any checker fired, else pass.
Report check_all(const RunOutcome& r);

}  // namespace ipch
