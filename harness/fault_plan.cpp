#include "fault_plan.hpp"

#include "catalogue.hpp"
#include "registry.hpp"
#include "runner.hpp"
#include "seed.hpp"

namespace ipch {

faults::Plan fault_plan(const Scenario& s) {
  auto p = faults::plan_from_json(s.faults);
  if (!p) throw BadInput(p.error());
  return *p;
}

void resolve_faults(Scenario& s) {
  faults::Plan plan = fault_plan(s);
  const Mechanism* m = registry::find(s.mechanism);
  if (!m) throw BadInput("unknown mechanism '" + s.mechanism + "'; use one of: " + registry::names());
  std::uint64_t per_sender = std::max<std::uint64_t>(1, s.messages_of(0));
  std::uint64_t per_receiver = std::max<std::uint64_t>(1, s.workload.messages / std::max<std::uint32_t>(1, s.workload.receivers));
  for (std::size_t i = 0; i < plan.size(); ++i) {
    faults::Fault& f = plan[i];
    const faults::Entry* e = faults::find(f.name);
    if (auto why = faults::why_not(*e, *m); !why.empty()) throw BadInput(why);
    Rng rng(derive_seed(s.seed, "fault/" + std::to_string(i) + "/" + f.name));
    faults::DrawContext x{*m, per_sender, per_receiver, s.workload.max_size,
                          [&rng](std::uint64_t lo, std::uint64_t hi) { return rng.between(lo, hi); }};
    if (e->draw) {
      if (auto bad = e->draw(f, x); !bad.empty()) throw BadInput(bad);
    }
    if (e->sets_capacity) s.settings.capacity = f.get_u64("capacity", 4096);
    for (const char* key : {"at", "for", "nth", "count", "us", "bytes", "every", "capacity"}) {
      if (f.params.count(key) && f.get_u64(key, UINT64_MAX) == UINT64_MAX) {
        throw BadInput("fault " + f.name + ": " + key + "=" + f.get(key) + " is not a number");
      }
    }
    if (f.params.count("restart") && f.get("restart") != "true" && f.get("restart") != "false") {
      throw BadInput("fault " + f.name + ": restart=" + f.get("restart") + " must be true or false");
    }
  }
  s.faults = faults::to_json(plan);
}

}  // namespace ipch
