#include "schedule_trace.hpp"

#include <array>

namespace ipch::schedule {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

}  // namespace

std::string to_base64(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (auto b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::string encode(const std::vector<Step>& steps) {
  std::vector<std::uint8_t> bytes;
  for (const auto& s : steps) {
    varint(bytes, (std::uint64_t(s.task) << 2) | static_cast<std::uint64_t>(s.kind));
    varint(bytes, s.nr);
  }
  return to_base64(bytes);
}

Result<std::vector<Step>> decode(std::string_view text) {
  std::array<int, 256> value;
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(kAlphabet[i])] = i;
  std::vector<std::uint8_t> bytes;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value[static_cast<unsigned char>(c)];
    if (v < 0) return std::unexpected(std::make_error_code(std::errc::illegal_byte_sequence));
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  std::vector<Step> steps;
  std::size_t i = 0;
  auto next = [&](std::uint64_t& v) {
    v = 0;
    for (int shift = 0; i < bytes.size() && shift < 64; shift += 7) {
      std::uint8_t b = bytes[i++];
      v |= std::uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  while (i < bytes.size()) {
    std::uint64_t a, b;
    if (!next(a) || !next(b) || (a >> 2) > UINT32_MAX || b > UINT32_MAX)
      return std::unexpected(std::make_error_code(std::errc::illegal_byte_sequence));
    steps.push_back({static_cast<std::uint32_t>(a >> 2), static_cast<std::uint32_t>(b), static_cast<StepKind>(a & 3)});
  }
  return steps;
}

}  // namespace ipch::schedule
