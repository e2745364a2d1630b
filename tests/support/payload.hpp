// Test messages whose every byte is checkable: an 8-byte sequence number, then bytes derived
// from (sequence, offset). Any lost, repeated, reordered or changed byte is found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ipch::test {

std::vector<std::byte> make_payload(std::uint64_t seq, std::size_t size);
// Returns nullopt iff `msg` is exactly make_payload(seq, expected_size); else what is wrong.
std::optional<std::string> check_payload(std::span<const std::byte> msg, std::uint64_t seq, std::size_t expected_size);
// The sequence number a payload of at least 8 bytes carries.
std::uint64_t payload_seq(std::span<const std::byte> msg);

}  // namespace ipch::test
