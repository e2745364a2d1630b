#include "leaked.hpp"

namespace ipch {

std::vector<Violation> check_leaked(const Contract& c, const std::vector<std::string>& leftovers) {
  Violations out;
  std::string lasts = c.persistence.empty() ? "" : " (persistence: " + c.persistence + ")";
  for (const auto& o : leftovers) {
    out.add(kinds::leaked, o + " still exists after the run" + lasts +
                               "; `ipc-harness clean` removes it once this process has exited");
  }
  return out.take();
}

}  // namespace ipch
