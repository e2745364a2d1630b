// libfiu's POSIX preload, which the program faults fiu-eintr and fiu-short-io run users' programs
// under.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ipch::faults {

// Where libfiu's POSIX preload is; empty iff it is not installed (fiu-utils / libfiu0).
std::string fiu_preload_path();
// LD_PRELOAD, FIU_ENABLE (one enable_random line per point) and FIU_PRNG_SEED entries.
std::vector<std::string> fiu_preload_environment(const std::vector<std::string>& enable_lines, std::uint64_t seed);

}  // namespace ipch::faults
