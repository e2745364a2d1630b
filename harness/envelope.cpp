#include "envelope.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "seed.hpp"

namespace ipch {

namespace {
constexpr std::uint32_t kMagic = 0x68637069;  // "ipch"

// A body is a run-wide pad of pseudo-random words, XORed with a key per (sender, seq) and a tweak
// per pad-sized block: a message's bytes then differ from every other message's in every word,
// a shift or a swapped block shows, and filling or checking it runs at memory speed. (Drawing
// every word from splitmix64 cost a fifth of a pipe's throughput at 64 KiB.)
constexpr std::size_t kPadWords = 1024;
constexpr std::uint64_t kBlockTweak = 0x9e3779b97f4a7c15ULL;

const std::uint64_t* pad(std::uint64_t payload_seed) {
  thread_local std::uint64_t seed = 0;
  thread_local std::vector<std::uint64_t> words;
  if (words.empty() || seed != payload_seed) {
    seed = payload_seed;
    words.resize(kPadWords);
    std::uint64_t state = payload_seed;
    for (auto& w : words) w = splitmix64(state);
  }
  return words.data();
}

std::uint64_t key(std::uint64_t payload_seed, std::uint32_t sender, std::uint64_t seq) {
  std::uint64_t state = payload_seed ^ (std::uint64_t(sender) << 40) ^ (seq * kBlockTweak);
  return splitmix64(state);
}

// Calls f(word index, expected word) over the body's whole words, block by block.
template <class F>
void for_each_word(std::uint64_t payload_seed, std::uint64_t k, std::size_t words, F f) {
  const std::uint64_t* p = pad(payload_seed);
  for (std::size_t block = 0; block * kPadWords < words; ++block) {
    std::uint64_t t = k ^ (block * kBlockTweak);
    std::size_t base = block * kPadWords, n = std::min(kPadWords, words - base);
    for (std::size_t i = 0; i < n; ++i) f(base + i, p[i] ^ t);
  }
}

std::uint64_t tail_word(std::uint64_t payload_seed, std::uint64_t k, std::size_t words) {
  return pad(payload_seed)[words % kPadWords] ^ k ^ ((words / kPadWords) * kBlockTweak);
}

void fill_body(std::uint64_t payload_seed, std::uint32_t sender, std::uint64_t seq, std::span<std::byte> body) {
  std::uint64_t k = key(payload_seed, sender, seq);
  std::size_t words = body.size() / 8;
  std::byte* out = body.data();
  for_each_word(payload_seed, k, words, [out](std::size_t i, std::uint64_t w) { std::memcpy(out + 8 * i, &w, 8); });
  if (std::size_t rest = body.size() - 8 * words) {
    std::uint64_t w = tail_word(payload_seed, k, words);
    std::memcpy(out + 8 * words, &w, rest);
  }
}

// True iff `body` is exactly what fill_body() writes for (sender, seq), without writing it out.
bool body_is(std::uint64_t payload_seed, std::uint32_t sender, std::uint64_t seq, std::span<const std::byte> body) {
  std::uint64_t k = key(payload_seed, sender, seq), diff = 0;
  std::size_t words = body.size() / 8;
  const std::byte* in = body.data();
  for_each_word(payload_seed, k, words, [in, &diff](std::size_t i, std::uint64_t w) {
    std::uint64_t got;
    std::memcpy(&got, in + 8 * i, 8);
    diff |= got ^ w;
  });
  if (std::size_t rest = body.size() - 8 * words) {
    std::uint64_t want = tail_word(payload_seed, k, words), got = 0;
    std::memcpy(&got, in + 8 * words, rest);
    std::uint64_t mask = rest == 8 ? ~0ULL : ((1ULL << (8 * rest)) - 1);
    diff |= (got ^ want) & mask;
  }
  return diff == 0;
}

std::uint64_t hash(std::span<const std::byte> body) { return XXH3_64bits(body.data(), body.size()); }
}  // namespace

void make_envelope(std::uint64_t payload_seed, std::uint32_t sender, std::uint64_t seq, std::size_t size,
                   std::vector<std::byte>& out) {
  if (size < kEnvelopeSize) size = kEnvelopeSize;
  out.resize(size);
  auto body = std::span(out).subspan(kEnvelopeSize);
  fill_body(payload_seed, sender, seq, body);
  EnvelopeHeader h{kMagic, sender, seq, static_cast<std::uint32_t>(size), 0, hash(body)};
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
  // The body's bytes decide; the hash only says which way a wrong body is wrong: changed in
  // transit (its hash no longer matches) or sent like this (another run's or message's bytes).
  auto body = msg.subspan(kEnvelopeSize);
  if (!body_is(payload_seed, h.sender, h.seq, body)) {
    if (hash(body) != h.hash) {
      o.damage = Damage::bad_hash;
      o.why = "body hash differs from the envelope's";
    } else {
      o.damage = Damage::bad_body;
      o.why = "body is not what sender " + std::to_string(h.sender) + " seq " + std::to_string(h.seq) + " carries";
    }
    return o;
  }
  o.intact = true;
  return o;
}

}  // namespace ipch
