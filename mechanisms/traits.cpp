#include "traits.hpp"

#include <nlohmann/json.hpp>

namespace ipch {

std::string_view to_string(CapacityUnit u) {
  switch (u) {
    case CapacityUnit::unset: return "unset";
    case CapacityUnit::bytes: return "bytes";
    case CapacityUnit::messages: return "messages";
    case CapacityUnit::declared: return "the mechanism's own unit";
  }
  return "?";
}

std::string incomplete(const Traits& t) {
  std::string missing;
  auto need = [&](bool ok, const char* what) {
    if (!ok) missing += (missing.empty() ? "" : ", ") + std::string(what);
  };
  need(t.capacity_unit != CapacityUnit::unset, "capacity_unit");
  need(!t.capacities.empty(), "capacities");
  need(static_cast<bool>(t.full_buffer_capacity), "full_buffer_capacity");
  need(static_cast<bool>(t.bench_capacity), "bench_capacity");
  return missing.empty() ? "" : "traits without " + missing;
}

namespace {
std::string points_of(const FaultPoints& p) {
  std::string out;
  auto add = [&](bool on, const char* what) {
    if (on) out += (out.empty() ? "" : ", ") + std::string(what);
  };
  add(p.calls, "send/receive");
  add(p.drop, "drop");
  add(p.lock, "lock");
  add(p.short_io, "short reads/writes");
  return out.empty() ? "none" : out;
}
}  // namespace

void to_json(nlohmann::json& j, const Traits& t) {
  j = {{"capacity_unit", to_string(t.capacity_unit)},
       {"capacities", t.capacities},
       {"shared_memory", t.shared_memory},
       {"receiver_takes_over", t.receiver_takes_over},
       {"fault_points", {{"calls", t.points.calls}, {"drop", t.points.drop}, {"lock", t.points.lock},
                         {"short_io", t.points.short_io}}},
       {"inherited_ends", t.inherited_ends}};
  if (t.full_buffer_message_limit) j["full_buffer_message_limit"] = *t.full_buffer_message_limit;
}

std::string describe(const Traits& t) {
  std::string caps;
  for (auto c : t.capacities) caps += (caps.empty() ? "" : ", ") + std::to_string(c);
  return "capacity in " + std::string(to_string(t.capacity_unit)) + " (" + caps + ")" +
         (t.shared_memory ? ", shared memory" : "") +
         (t.receiver_takes_over ? ", a new receiver takes over after a kill" : ", no takeover after a kill") +
         ", fault points: " + points_of(t.points) + (t.inherited_ends ? ", ends inheritable" : "");
}

}  // namespace ipch
