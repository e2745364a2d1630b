// Medians with their spread: every figure the benchmark reports is one of these over repeats.
#pragma once

#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ipch::bench {

struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
  int n = 0;
};

// The median, least and greatest of `v`; all zero iff `v` is empty.
Spread spread(std::vector<double> v);
// The q-th quantile (0..1) of `v` by nearest rank; 0 iff `v` is empty.
double quantile(std::vector<double> v, double q);

void to_json(nlohmann::json& j, const Spread& s);

}  // namespace ipch::bench
