// Every checker over one run: the verdict a user reads. Each checker is a pure function of the
// run's history and contract (and, for `leaked`, of what the runner found left behind).
#pragma once

#include <string>
#include <vector>

#include "delivery.hpp"
#include "runner.hpp"

namespace ipch {

struct Report {
  std::string verdict;  // pass, violations, deadlock, error
  std::vector<Violation> violations;
  std::vector<std::string> notes;
  DeliveryReport delivery;  // counts
};

// Runs every checker on `r`. verdict: deadlock iff the run stalled, error iff the harness failed,
// violations iff any checker fired, else pass.
Report check_all(const RunOutcome& r);

}  // namespace ipch
