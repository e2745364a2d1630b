#include "check.hpp"

#include "leaked.hpp"
#include "liveness.hpp"

namespace ipch {

Report check_all(const RunOutcome& r) {
  Report rep;
  rep.delivery = check_delivery(r.history, r.contract);
  rep.violations = rep.delivery.violations;
  rep.notes = rep.delivery.notes;
  std::optional<Stall> stall;
  if (r.deadlock) stall = Stall{r.stalled_ms, r.diagnosis};
  for (auto part : {check_liveness(r.history, stall), check_leaked(r.contract, r.leftovers)})
    rep.violations.insert(rep.violations.end(), part.begin(), part.end());
  if (std::string why = expected_stall(r.history); r.deadlock && !why.empty()) rep.notes.push_back(why);
  if (r.interrupted_by || (!r.error.empty() && !r.deadlock))
    rep.verdict = "error";
  else if (r.deadlock)
    rep.verdict = "deadlock";
  else
    rep.verdict = rep.violations.empty() ? "pass" : "violations";
  return rep;
}

}  // namespace ipch
