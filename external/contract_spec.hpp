// What a user declares their programs promise: `check --contract reliable,fifo,boundaries,eof,window=1`.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "contract.hpp"

namespace ipch::external {

struct ProgramContract {
  Contract contract;  // delivery (reliable|lossy), ordering (fifo -> fifo, unordered -> none),
                      // boundaries (boundaries -> true, bytes -> false), end_of_stream
                      // (eof -> after_close_or_death, else none)
  bool eof = false;   // the receiver ends by itself once the sender has closed
  // How many messages a receiver may hold between taking them from the channel and writing
  // them out: a killed receiver may lose at most this many.
  std::uint32_t window = 1;
};

constexpr const char* kDefaultContract = "reliable,fifo,boundaries";

// Parses a comma list of: reliable|lossy, fifo|unordered, boundaries|bytes, eof, window=N
// (N in 1..1000000). Each pair's first word is the default; a word may appear once, and
// the two words of one pair never together. Blanks around words are ignored.
// Returns the contract iff every word is known; else one line naming the word at fault and
// the choices ("contract word 'relaible' is not one of: reliable, lossy, fifo, unordered,
// boundaries, bytes, eof, window=N").
std::expected<ProgramContract, std::string> parse_contract(std::string_view list);

// The canonical list: every pair's word, then eof if set, then window=N. parse_contract of it
// gives the same contract back.
std::string to_string(const ProgramContract& c);

}  // namespace ipch::external
