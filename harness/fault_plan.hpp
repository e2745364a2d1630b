// From `--fault` specs to a fault plan with every logical point fixed: each parameter left out
// is drawn from the run's seed, so the reproducer carries explicit values and a replay hits the
// same points.
#pragma once

#include "plan.hpp"
#include "scenario.hpp"

namespace ipch {

// Fills every seeded default of `s.faults` (each fault draws its own, faults/catalogue.hpp) and
// applies what a fault sets up before the run (a fault that sets_capacity shrinks the capacity). Throws BadInput iff a fault does not apply to the
// mechanism, or a value does not parse; the message says why and what applies.
void resolve_faults(Scenario& s);

// The plan of a scenario whose faults are already resolved.
faults::Plan fault_plan(const Scenario& s);

}  // namespace ipch
