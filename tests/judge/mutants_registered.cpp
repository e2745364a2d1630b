// ipc-harness with the mutants findable by name (as tests/mutants/ runs them): a `run --cases`
// that fails deterministically, with real violations, for the judge tests to judge again.
#include "mutants.hpp"

namespace {

const bool kRegistered = (ipch::mutants::register_mutants(), true);

}  // namespace
