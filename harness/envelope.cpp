#include "envelope.hpp"

#include <xxhash.h>

#include <cstring>

#include "seed.hpp"

namespace ipch {

namespace {
constexpr std::uint32_t kMagic = 0x68637069;  // "ipch"

void fill_body(std::uint64_t payload_seed, std::uint32_t sender, std::uint64_t seq, std::span<std::byte> body) {
  std::uint64_t state = payload_seed ^ (std::uint64_t(sender) << 40) ^ (seq * 0x9e3779b97f4a7c15ULL);
  std::size_t i = 0;
  for (; i + 8 <= body.size(); i += 8) {
    std::uint64_t v = splitmix64(state);
    std::memcpy(body.data() + i, &v, 8);
  }
  if (i < body.size()) {
    std::uint64_t v = splitmix64(state);
    std::memcpy(body.data() + i, &v, body.size() - i);
  }
}
}  // namespace

void make_envelope(std::uint64_t payload_seed, std::uint32_t sender, std::uint64_t seq, std::size_t size,
                   std::vector<std::byte>& out) {
  if (size < kEnvelopeSize) size = kEnvelopeSize;
  out.resize(size);
  auto body = std::span(out).subspan(kEnvelopeSize);
  fill_body(payload_seed, sender, seq, body);
  EnvelopeHeader h{kMagic, sender, seq, static_cast<std::uint32_t>(size), 0, XXH64(body.data(), body.size(), 0)};
  std::memcpy(out.data(), &h, sizeof h);
}

Opened open_envelope(std::uint64_t payload_seed, std::span<const std::byte> msg) {
  Opened o;
  if (msg.size() < kEnvelopeSize) {
    o.damage = Damage::short_message;
    o.why = "a " + std::to_string(msg.size()) + " B message is shorter than the envelope";
    return o;
  }
  EnvelopeHeader h;
  std::memcpy(&h, msg.data(), sizeof h);
  o.sender = h.sender;
  o.seq = h.seq;
  if (h.magic != kMagic) {
    o.damage = Damage::bad_magic;
    o.why = "no envelope magic: not a message of this run, or its first bytes were overwritten";
    return o;
  }
  if (h.length != msg.size()) {
    o.damage = Damage::bad_length;
    o.why = "length " + std::to_string(h.length) + " B in the envelope, " + std::to_string(msg.size()) + " B arrived";
    return o;
  }
  auto body = msg.subspan(kEnvelopeSize);
  if (XXH64(body.data(), body.size(), 0) != h.hash) {
    o.damage = Damage::bad_hash;
    o.why = "body hash differs from the envelope's";
    return o;
  }
  thread_local std::vector<std::byte> want;
  want.resize(body.size());
  fill_body(payload_seed, h.sender, h.seq, want);
  if (std::memcmp(want.data(), body.data(), body.size()) != 0) {
    o.damage = Damage::bad_body;
    o.why = "body is not what sender " + std::to_string(h.sender) + " seq " + std::to_string(h.seq) + " carries";
    return o;
  }
  o.intact = true;
  return o;
}

}  // namespace ipch
