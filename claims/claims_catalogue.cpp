#include "claims_catalogue.hpp"

#include "groups.hpp"

namespace ipch::claims {

const std::vector<Claim>& catalogue() {
  static const std::vector<Claim> all = [] {
    std::vector<Claim> v;
    for (auto group : {pipe_claims, queue_claims, socket_claims, shm_claims, harness_claims, performance_claims}) {
      auto g = group();
      for (auto& c : g) v.push_back(std::move(c));
    }
    return v;
  }();
  return all;
}

const Claim* find(std::string_view id) {
  for (const auto& c : catalogue()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string ids() {
  std::string s;
  for (const auto& c : catalogue()) s += (s.empty() ? "" : ", ") + c.id;
  return s;
}

}  // namespace ipch::claims
