// The faults `check` injects into users' programs, as external/ has always spelled them. They are
// entries of the one fault catalogue (faults/catalogue.hpp, Subject::program); this header only
// keeps external/'s names for them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue.hpp"
#include "preload.hpp"

namespace ipch::external {

using faults::Act;
using faults::Side;
using ExternalFault = faults::Entry;

// "none" first, then every fault, in the order cases cycle through them.
inline std::span<const ExternalFault> external_faults() { return faults::program_faults(); }
inline const ExternalFault* find_external_fault(std::string_view name) { return faults::find_program(name); }
// "none, kill-sender, ...": for errors that must name the choices.
inline std::string external_fault_names() { return faults::program_names(); }

// The environment entries a program runs with under `fault` (libfiu's preload for a fiu-* fault);
// empty for the others.
inline std::vector<std::string> fiu_environment(std::string_view fault, std::uint64_t seed) {
  const ExternalFault* f = find_external_fault(fault);
  return f && f->environment ? f->environment(seed) : std::vector<std::string>{};
}
// Where libfiu's POSIX preload is; empty iff it is not installed (fiu-utils / libfiu0).
inline std::string fiu_preload_path() { return faults::fiu_preload_path(); }

}  // namespace ipch::external
