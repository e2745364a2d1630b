// A fault plan: which faults a scenario injects, each at a logical point (after the k-th
// message of a worker, at the n-th hit of a fault point), never at a wall-clock time, so that
// a replay hits the same points. Part of the scenario JSON and of every reproducer.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipch::faults {

struct Fault {
  std::string name;                            // a catalogue name: kill-receiver, short-io...
  std::map<std::string, std::string> params;   // every parameter, the seeded ones resolved
  // The value of `key`, or `fallback` when absent.
  std::string get(const std::string& key, const std::string& fallback = "") const;
  std::uint64_t get_u64(const std::string& key, std::uint64_t fallback) const;
};
using Plan = std::vector<Fault>;

// Parses "NAME[:key=value,...]". Returns the fault iff NAME is in the catalogue and every key
// is one it takes; else one line naming the bad part and the valid choices.
std::expected<Fault, std::string> parse(const std::string& spec);

nlohmann::json to_json(const Plan& p);
// Returns the plan iff `j` is a list of {name, params} with known names and keys.
std::expected<Plan, std::string> plan_from_json(const nlohmann::json& j);

// The seed libfiu uses in one worker (FIU_PRNG_SEED), derived from the run's seed.
std::uint64_t fiu_seed(std::uint64_t run_seed, std::uint32_t worker);

}  // namespace ipch::faults
