// The fault catalogue: every fault the harness injects, the mechanisms it applies to, its
// parameters, and what a correct mechanism must do under it. That expected behaviour is part of
// the contract: the verdict of a run with a fault is judged against it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "contract.hpp"

namespace ipch::faults {

struct Param {
  std::string name;
  std::string meaning;  // with its default
};

struct Entry {
  std::string name;
  std::string how;       // how it is injected: a signal from the runner, a libfiu point, buffer sizing
  std::vector<std::string> mechanisms;  // where it applies
  std::vector<Param> params;
  std::string expected;  // what a correct mechanism does under it
};

const std::vector<Entry>& catalogue();
const Entry* find(const std::string& name);
std::string names();  // "kill-receiver, kill-sender, ..."

// Empty iff `fault` applies to `mechanism`; else one line saying why not and where it does.
std::string why_not(const Entry& fault, const std::string& mechanism);

nlohmann::json to_json(const Entry& e);

}  // namespace ipch::faults
