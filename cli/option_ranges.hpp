// The ranges of the command line's numeric options, as CLI11 validators.
//
// A validator runs on the text before CLI11 converts it, so it sees "-5" and not the 1.8e19 that
// an unsigned conversion would wrap it to, and it sees "99999999999999999999999" before strtoull
// saturates it. Every number is plain decimal: CLI11 would otherwise read "010" as 8 and "0x10"
// as 16, and a seed must mean what it says. A validator that passes a number hands CLI11 its
// decimal form without leading zeros.
// Attach in_range and seed_number with Option::transform: check() would discard that form.
//
// A refusal is one line that CLI11 prefixes with the option's name:
//   --messages: -5 is not in 1..1000000000; give a count of messages
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "envelope.hpp"

namespace ipch::cli {

// Ceilings chosen for a run that still finishes and fits in memory; README "Options" lists them.
inline constexpr std::uint64_t kMaxMessages = 1'000'000'000;  // about 15 min of a fast pipe at 1 us each
inline constexpr std::uint64_t kMaxCases = 1'000'000;         // at ~10 cases/s, more than a day
inline constexpr std::uint64_t kMaxSize = 16 * 1024 * 1024;   // 16 MiB: each worker holds a buffer this big
inline constexpr std::uint64_t kMinSize = kEnvelopeSize;      // the envelope alone: 32 B
inline constexpr std::uint64_t kMaxDepth = 65'536;            // requests in flight before the first response
inline constexpr std::uint64_t kMinStallMs = 100;             // below this a busy machine looks like a hang
inline constexpr std::uint64_t kMaxStallMs = 3'600'000;       // 1 h: longer is not a watchdog
inline constexpr std::uint64_t kMaxTimes = 10'000;            // replays of one reproducer
inline constexpr std::uint64_t kMaxShards = 1'000'000;
inline constexpr std::uint64_t kMaxSchedules = 1'000'000;     // schedules tried per case

// Returns the value of `text` iff it is a plain decimal number (digits only, no sign, no spaces)
// that fits in 64 bits; nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

// Passes iff the text is a plain decimal number in lo..hi; else the refusal names the value, the
// range and `why` (what the option counts, or the limit that sets hi).
CLI::Validator in_range(std::uint64_t lo, std::uint64_t hi, const std::string& why);

// Passes iff the text is a plain decimal number that fits in 64 bits: every seed is one.
CLI::Validator seed_number();

// Passes iff the text is i/n in plain decimal with 0 <= i < n <= kMaxShards.
CLI::Validator shard_form();

// Passes iff the text is one or more comma-separated ids of the claims catalogue.
CLI::Validator claim_ids();

// Passes iff the text names a schedule strategy (schedule_strategy.hpp); hands CLI11 its
// canonical form ("pct" becomes "pct:depth=3").
CLI::Validator schedule_spec();

// Passes iff the text names a mechanism of the registry, or is "all" when `all_too`.
CLI::Validator mechanism_name(bool all_too);

}  // namespace ipch::cli
