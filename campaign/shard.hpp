// --shard i/n, shared by `run --cases` and `check`: case index % n == i runs on this machine, so
// n CI machines given the same seed split one run's cases between them, each exactly once.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace ipch::campaign {

struct Shard {
  unsigned index = 0, count = 1;
  bool mine(std::uint64_t case_index) const { return case_index % count == index; }
};

// Returns the shard iff `text` is "i/n" with 0 <= i < n; else nullopt (the caller names the fix).
inline std::optional<Shard> parse_shard(const std::string& text) {
  Shard s;
  char slash = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "%u%c%u%n", &s.index, &slash, &s.count, &used) != 3 || slash != '/' ||
      used != int(text.size()) || s.count == 0 || s.index >= s.count)
    return std::nullopt;
  return s;
}

}  // namespace ipch::campaign
