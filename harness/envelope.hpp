// What every payload carries, so that a receiver can tell exactly what it got: the sender, its
// sequence number, the length, and an xxHash (XXH3, 64 bits) of the body. The body is
// pseudo-random bytes from (payload seed, sender, sequence): the same seed gives the same bytes,
// and any change to any byte is found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "event.hpp"

namespace ipch {

struct EnvelopeHeader {
  std::uint32_t magic;
  std::uint32_t sender;
  std::uint64_t seq;
  std::uint32_t length;  // of the whole message, header included
  std::uint32_t reserved;
  std::uint64_t hash;    // XXH3_64bits of the body
};
constexpr std::size_t kEnvelopeSize = sizeof(EnvelopeHeader);  // the smallest message

// Fills `out` with message `seq` of `sender`, `size` bytes (at least kEnvelopeSize).
void make_envelope(std::uint64_t payload_seed, std::uint32_t sender, std::uint64_t seq, std::size_t size,
                   std::vector<std::byte>& out);

struct Opened {
  std::uint32_t sender = 0;
  std::uint64_t seq = 0;
  bool intact = false;
  Damage damage = Damage::none;
  std::string why;  // what is wrong, when not intact
};
// Reads a received message. Not intact iff the header is unreadable, the length differs from
// what arrived, or the body's hash or bytes differ from what that sender's seq must carry.
Opened open_envelope(std::uint64_t payload_seed, std::span<const std::byte> msg);

}  // namespace ipch
