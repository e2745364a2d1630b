// Greedy shrinking of a failing scenario, for failures found outside rapidcheck's runner
// (`ipc-harness run --cases`, the mutant tests). rapidcheck shrinks the properties' own cases.
#pragma once

#include <functional>
#include <optional>

#include "scenario.hpp"

namespace ipch::gen {

struct Shrunk {
  Scenario scenario;     // the smallest scenario found that still fails
  int runs = 0;          // runs spent
  bool minimal = false;  // true iff every one-step-smaller variant (gen::smaller) of it was run and passed
};

// Returns true iff `s` shows the failure being shrunk; nullopt stops shrinking (an interrupted run).
using StillFails = std::function<std::optional<bool>(const Scenario& s)>;

// Starting from `failing`, repeatedly replaces the scenario by the first of gen::smaller(it) for
// which `still_fails` holds, until none does or `budget` runs are spent. Each run is a real one
// (a stall window each when the failure is a deadlock), hence the budget.
Shrunk shrink(const Scenario& failing, const StillFails& still_fails, int budget);

}  // namespace ipch::gen
