// The faults `check` injects into users' programs. Each fires at a logical point, the at-th
// message (given to the sender, or written out by the receiver), never at a wall-clock time, and
// the libfiu ones are seeded (FIU_PRNG_SEED), so a replay hits the same points.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipch::external {

enum class Side { none, sender, receiver, both };

struct ExternalFault {
  std::string_view name;
  Side side;
  std::string_view does;      // how it is injected
  std::string_view expected;  // what a correct pair does under it
};

// "none" first, then every fault, in the order cases cycle through them.
std::span<const ExternalFault> external_faults();
const ExternalFault* find_external_fault(std::string_view name);
// "none, kill-sender, ...": for errors that must name the choices.
std::string external_fault_names();

// libfiu's preload and the FIU_ENABLE commands for a fiu-* fault: LD_PRELOAD, FIU_ENABLE and
// FIU_PRNG_SEED entries for a program's environment; empty for the other faults.
std::vector<std::string> fiu_environment(std::string_view fault, std::uint64_t seed);
// Where libfiu's POSIX preload is; empty iff it is not installed (fiu-utils / libfiu0).
std::string fiu_preload_path();

}  // namespace ipch::external
