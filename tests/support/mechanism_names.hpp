// Parameters for suites that run once per mechanism: the registry's names, and gtest-safe
// test names ("unix-dgram" -> "unix_dgram").
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "registry.hpp"

namespace ipch::test {

inline std::vector<std::string> mechanism_names() {
  std::vector<std::string> v;
  for (const Mechanism* m : registry::all()) v.push_back(m->name);
  return v;
}

inline std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

}  // namespace ipch::test
