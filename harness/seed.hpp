// One 64-bit seed derives every other: scenario, payload bytes, message sizes, fault plan.
// splitmix64 so that nearby seeds give unrelated streams.
#pragma once

#include <cstdint>
#include <string_view>

namespace ipch {

std::uint64_t splitmix64(std::uint64_t& state);

// A sub-seed for one purpose ("payload", "sizes", ...): the same (seed, purpose) always gives
// the same value, different purposes give unrelated ones.
std::uint64_t derive_seed(std::uint64_t seed, std::string_view purpose);

// A small deterministic generator for one stream of choices.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return splitmix64(state_); }
  // Uniform in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi);

 private:
  std::uint64_t state_;
};

}  // namespace ipch
