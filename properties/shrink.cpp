#include "shrink.hpp"

#include "generators.hpp"

namespace ipch::gen {

Shrunk shrink(const Scenario& failing, const StillFails& still_fails, int budget) {
  Shrunk out{failing, 0, false};
  for (;;) {
    bool replaced = false;
    for (const Scenario& t : smaller(out.scenario)) {
      if (out.runs >= budget) return out;
      ++out.runs;
      auto fails = still_fails(t);
      if (!fails) return out;
      if (*fails) {
        out.scenario = t;
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.minimal = true;
      return out;
    }
  }
}

}  // namespace ipch::gen
