#include "seed.hpp"

namespace ipch {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t derive_seed(std::uint64_t seed, std::string_view purpose) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a of the purpose, mixed into the seed
  for (unsigned char c : purpose) h = (h ^ c) * 1099511628211ULL;
  std::uint64_t state = seed ^ h;
  return splitmix64(state);
}

std::uint64_t Rng::between(std::uint64_t lo, std::uint64_t hi) {
  if (hi <= lo) return lo;
  std::uint64_t span = hi - lo + 1;
  return lo + (span == 0 ? next() : next() % span);
}

}  // namespace ipch
