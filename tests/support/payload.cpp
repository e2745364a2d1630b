#include "payload.hpp"

#include <cstring>

namespace ipch::test {

namespace {
std::byte at(std::uint64_t seq, std::size_t i) { return std::byte((seq * 131 + i * 7 + (i >> 8)) & 0xff); }
}  // namespace

std::vector<std::byte> make_payload(std::uint64_t seq, std::size_t size) {
  std::vector<std::byte> v(size);
  for (std::size_t i = 0; i < size; ++i) v[i] = at(seq, i);
  if (size >= 8) std::memcpy(v.data(), &seq, 8);
  return v;
}

std::uint64_t payload_seq(std::span<const std::byte> msg) {
  std::uint64_t seq = 0;
  if (msg.size() >= 8) std::memcpy(&seq, msg.data(), 8);
  return seq;
}

std::optional<std::string> check_payload(std::span<const std::byte> msg, std::uint64_t seq, std::size_t expected_size) {
  if (msg.size() != expected_size) {
    return "message " + std::to_string(seq) + ": " + std::to_string(msg.size()) + " B, expected " +
           std::to_string(expected_size) + " B";
  }
  auto want = make_payload(seq, expected_size);
  for (std::size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] != want[i]) return "message " + std::to_string(seq) + ": byte " + std::to_string(i) + " differs";
  }
  return std::nullopt;
}

}  // namespace ipch::test
