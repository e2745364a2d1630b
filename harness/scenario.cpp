#include "scenario.hpp"

#include "envelope.hpp"
#include "seed.hpp"

namespace ipch {

std::string_view to_string(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::stream: return "stream";
    case WorkloadKind::request_response: return "request-response";
    case WorkloadKind::fan_in: return "fan-in";
  }
  return "?";
}

std::optional<WorkloadKind> workload_kind(std::string_view s) {
  for (auto k : {WorkloadKind::stream, WorkloadKind::request_response, WorkloadKind::fan_in})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::uint64_t Scenario::payload_seed() const { return derive_seed(seed, "payload"); }
std::uint64_t Scenario::size_seed() const { return derive_seed(seed, "sizes"); }

std::size_t Scenario::message_size(std::uint32_t sender, std::uint64_t seq, std::size_t cap) const {
  if (cap <= kEnvelopeSize) return kEnvelopeSize;
  std::uint64_t state = size_seed() ^ (std::uint64_t(sender) << 40) ^ (seq * 0x9e3779b97f4a7c15ULL);
  std::uint64_t h = splitmix64(state);
  switch (h % 8) {
    case 0: return kEnvelopeSize;
    case 1: return cap;
    default: return kEnvelopeSize + splitmix64(state) % (cap - kEnvelopeSize + 1);
  }
}

std::uint64_t Scenario::messages_of(std::uint32_t index) const {
  std::uint32_t n = std::max<std::uint32_t>(1, workload.senders);
  return workload.messages / n + (index < workload.messages % n ? 1 : 0);
}

nlohmann::json to_json(const Scenario& s) {
  auto opt = [](const std::optional<std::size_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {
      {"version", Scenario::kVersion},
      {"seed", s.seed},
      {"mechanism", s.mechanism},
      {"settings", {{"capacity", opt(s.settings.capacity)}, {"message_size", opt(s.settings.message_size)},
                    {"blocking", s.settings.blocking}}},
      {"workload", {{"kind", to_string(s.workload.kind)}, {"senders", s.workload.senders},
                    {"receivers", s.workload.receivers}, {"messages", s.workload.messages},
                    {"max_size", s.workload.max_size}, {"depth", s.workload.depth}}},
      {"faults", s.faults},
      {"stall_ms", s.stall_ms},
  };
}

namespace {
// Reads field `path` of `j` (dotted, for messages) as T, or says what is wrong with it.
template <class T>
std::expected<T, std::string> field(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.is_object() || !j.contains(key)) return std::unexpected("field '" + path + "' is missing");
  const auto& v = j.at(key);
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) return std::unexpected("field '" + path + "' must be true or false");
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<long long>() >= 0))
      return std::unexpected("field '" + path + "' must be a non-negative integer");
    if (v.get<unsigned long long>() > std::numeric_limits<T>::max())
      return std::unexpected("field '" + path + "' is too large");
  } else {
    if (!v.is_string()) return std::unexpected("field '" + path + "' must be a string");
  }
  return v.get<T>();
}
std::expected<std::optional<std::size_t>, std::string> optional_size(const nlohmann::json& j, const char* key,
                                                                     const std::string& path) {
  if (!j.is_object() || !j.contains(key)) return std::unexpected("field '" + path + "' is missing");
  if (j.at(key).is_null()) return std::optional<std::size_t>{};
  auto v = field<std::size_t>(j, key, path);
  if (!v) return std::unexpected(v.error());
  return std::optional<std::size_t>(*v);
}
}  // namespace

#define IPCH_TRY(var, expr)                          \
  auto var##_r = (expr);                             \
  if (!var##_r) return std::unexpected(var##_r.error()); \
  auto var = *var##_r

std::expected<Scenario, std::string> scenario_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::unexpected("a scenario must be a JSON object");
  IPCH_TRY(version, field<int>(j, "version", "version"));
  if (version != Scenario::kVersion) {
    return std::unexpected("field 'version' is " + std::to_string(version) + ", this ipc-harness reads version " +
                           std::to_string(Scenario::kVersion) + "; rerun with the ipc-harness that wrote it");
  }
  Scenario s;
  IPCH_TRY(seed, field<std::uint64_t>(j, "seed", "seed"));
  IPCH_TRY(mechanism, field<std::string>(j, "mechanism", "mechanism"));
  s.seed = seed;
  s.mechanism = mechanism;
  if (!j.contains("settings") || !j["settings"].is_object()) return std::unexpected("field 'settings' is missing");
  const auto& st = j["settings"];
  IPCH_TRY(capacity, optional_size(st, "capacity", "settings.capacity"));
  IPCH_TRY(message_size, optional_size(st, "message_size", "settings.message_size"));
  IPCH_TRY(blocking, field<bool>(st, "blocking", "settings.blocking"));
  s.settings = Settings{capacity, message_size, blocking};
  if (!j.contains("workload") || !j["workload"].is_object()) return std::unexpected("field 'workload' is missing");
  const auto& w = j["workload"];
  IPCH_TRY(kind, field<std::string>(w, "kind", "workload.kind"));
  auto k = workload_kind(kind);
  if (!k) return std::unexpected("field 'workload.kind' is '" + kind + "'; it must be one of " + kWorkloadNames);
  IPCH_TRY(senders, field<std::uint32_t>(w, "senders", "workload.senders"));
  IPCH_TRY(receivers, field<std::uint32_t>(w, "receivers", "workload.receivers"));
  IPCH_TRY(messages, field<std::uint64_t>(w, "messages", "workload.messages"));
  IPCH_TRY(max_size, field<std::size_t>(w, "max_size", "workload.max_size"));
  IPCH_TRY(depth, field<std::uint32_t>(w, "depth", "workload.depth"));
  s.workload = Workload{*k, senders, receivers, messages, max_size, depth};
  if (!j.contains("faults") || !j["faults"].is_array()) return std::unexpected("field 'faults' must be a list");
  s.faults = j["faults"];
  IPCH_TRY(stall, field<std::uint32_t>(j, "stall_ms", "stall_ms"));
  s.stall_ms = stall;
  return s;
}

}  // namespace ipch
