#include "check.hpp"

namespace ipch {

Report check_all(const RunOutcome& r) {
  Report rep;
  rep.delivery = check_delivery(r.history, r.contract);
  rep.violations = rep.delivery.violations;
  rep.notes = rep.delivery.notes;
  if (r.interrupted_by || (!r.error.empty() && !r.deadlock)) rep.verdict = "error";
  else if (r.deadlock) rep.verdict = "deadlock";
  else rep.verdict = rep.violations.empty() ? "pass" : "violations";
  return rep;
}

}  // namespace ipch
