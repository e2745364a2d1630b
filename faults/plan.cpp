#include "plan.hpp"

#include <algorithm>
#include <charconv>

#include "catalogue.hpp"

namespace ipch::faults {

std::string Fault::get(const std::string& key, const std::string& fallback) const {
  auto it = params.find(key);
  return it == params.end() ? fallback : it->second;
}

std::uint64_t Fault::get_u64(const std::string& key, std::uint64_t fallback) const {
  auto v = get(key);
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return (v.empty() || ec != std::errc() || p != v.data() + v.size()) ? fallback : n;
}

namespace {
std::expected<void, std::string> check_keys(const Entry& e, const std::map<std::string, std::string>& params) {
  for (const auto& [k, v] : params) {
    bool known = std::any_of(e.params.begin(), e.params.end(), [&](const Param& p) { return p.name == k; });
    if (!known) {
      std::string valid;
      for (const auto& p : e.params) valid += (valid.empty() ? "" : ", ") + p.name;
      return std::unexpected("fault " + e.name + " takes no parameter '" + k + "'" +
                             (valid.empty() ? "; it takes none" : "; it takes: " + valid));
    }
  }
  return {};
}
}  // namespace

std::expected<Fault, std::string> parse(const std::string& spec) {
  Fault f;
  auto colon = spec.find(':');
  f.name = spec.substr(0, colon);
  const Entry* e = find(f.name);
  if (!e) return std::unexpected("unknown fault '" + f.name + "'; use one of: " + names());
  if (colon != std::string::npos) {
    std::string rest = spec.substr(colon + 1);
    std::size_t pos = 0;
    while (pos <= rest.size() && !rest.empty()) {
      auto comma = rest.find(',', pos);
      std::string item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0) {
        return std::unexpected("fault " + f.name + ": '" + item + "' is not key=value; write " + f.name +
                               ":key=value[,key=value...]");
      }
      f.params[item.substr(0, eq)] = item.substr(eq + 1);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  if (auto ok = check_keys(*e, f.params); !ok) return std::unexpected(ok.error());
  return f;
}

nlohmann::json to_json(const Plan& p) {
  auto j = nlohmann::json::array();
  for (const auto& f : p) j.push_back({{"name", f.name}, {"params", f.params}});
  return j;
}

std::expected<Plan, std::string> plan_from_json(const nlohmann::json& j) {
  if (!j.is_array()) return std::unexpected("field 'faults' must be a list");
  Plan p;
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string at = "faults[" + std::to_string(i) + "]";
    const auto& x = j[i];
    if (!x.is_object() || !x.contains("name") || !x["name"].is_string()) return std::unexpected("field '" + at + ".name' is missing");
    Fault f;
    f.name = x["name"].get<std::string>();
    const Entry* e = find(f.name);
    if (!e) return std::unexpected("field '" + at + ".name' is '" + f.name + "'; use one of: " + names());
    if (x.contains("params")) {
      if (!x["params"].is_object()) return std::unexpected("field '" + at + ".params' must be an object");
      for (const auto& [k, v] : x["params"].items()) {
        if (!v.is_string()) return std::unexpected("field '" + at + ".params." + k + "' must be a string");
        f.params[k] = v.get<std::string>();
      }
    }
    if (auto ok = check_keys(*e, f.params); !ok) return std::unexpected("field '" + at + "': " + ok.error());
    p.push_back(std::move(f));
  }
  return p;
}

std::uint64_t fiu_seed(std::uint64_t run_seed, std::uint32_t worker) {
  std::uint64_t h = run_seed ^ (0x66697500ULL + worker) * 0x9e3779b97f4a7c15ULL;
  h ^= h >> 31;
  return h * 0xbf58476d1ce4e5b9ULL;
}

}  // namespace ipch::faults
