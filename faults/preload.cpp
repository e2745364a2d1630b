#include "preload.hpp"

#include <unistd.h>

namespace ipch::faults {

std::string fiu_preload_path() {
  for (const char* p : {"/usr/lib/fiu/fiu_posix_preload.so", "/usr/local/lib/fiu/fiu_posix_preload.so"})
    if (::access(p, R_OK) == 0) return p;
  return "";
}

std::vector<std::string> fiu_preload_environment(const std::vector<std::string>& enable_lines, std::uint64_t seed) {
  std::string commands;
  for (const auto& l : enable_lines) commands += l + "\n";
  std::string dir = fiu_preload_path();
  dir = dir.substr(0, dir.rfind('/'));
  return {"LD_PRELOAD=" + dir + "/fiu_run_preload.so " + dir + "/fiu_posix_preload.so", "FIU_ENABLE=" + commands,
          "FIU_PRNG_SEED=" + std::to_string(seed % 2147483647)};
}

}  // namespace ipch::faults
