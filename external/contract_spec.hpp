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
  bool eof = false;   // the receiver must end by itself once the sender has closed
  // The channel survives a killed program: after kill-sender or kill-receiver a new program is
  // started and takes it over (a restart). Else the channel lives and dies with its processes:
  // a kill ends the stream, and the other program must end (an error is fine), never hang.
  bool restart = true;
  // How many messages a receiver may hold between taking them from the channel and writing
  // them out: a killed receiver may lose at most this many.
  std::uint32_t window = 1;
};

constexpr const char* kDefaultContract = "reliable,fifo,boundaries";

// Parses a comma list of: reliable|lossy, fifo|unordered, boundaries|bytes, eof,
// restart|no-restart, window=N (N in 1..1000000). Each pair's first word is the default, but
// for restart|no-restart: without either, a contract with eof is no-restart and one without is
// restart (a program that ends at end of stream usually lives on a connection that dies with
// it; one that runs until told usually serves an object that outlives it). A word may appear
// once, and the two words of one pair never together. Blanks around words are ignored.
// Returns the contract iff every word is known; else one line naming the word at fault and
// the choices ("contract word 'relaible' is not one of: reliable, lossy, fifo, unordered,
// boundaries, bytes, eof, restart, no-restart, window=N").
std::expected<ProgramContract, std::string> parse_contract(std::string_view list);

// The canonical list: every pair's word, eof if set, restart or no-restart, then window=N. parse_contract of it
// gives the same contract back.
std::string to_string(const ProgramContract& c);

}  // namespace ipch::external
