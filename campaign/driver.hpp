// One campaign of cases, the same for `run --cases` (generated scenarios) and `check` (users'
// programs): the corpus's reproducers first, each of which must now pass, then this shard's cases
// in index order, one after another, until every one has run, a case asks to stop, or SIGINT or
// SIGTERM arrives, wherever it lands: between two cases, or during one (the case's own engine
// loop sees it, and the driver stops before the next).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shard.hpp"

namespace ipch::campaign {

enum class Next { go_on, stop };

struct Steps {
  std::vector<std::filesystem::path> corpus;  // replayed first, in this order
  std::uint64_t cases = 0;                    // case indices 0 .. cases-1, of which this shard's run
  Shard shard;
  // One reproducer of the corpus; one generated case. Either may return stop (a case that was
  // interrupted, an entry that cannot be read): the campaign ends there.
  std::function<Next(const std::filesystem::path& reproducer)> corpus_case;
  std::function<Next(std::uint64_t index)> generated_case;
};

struct Driven {
  int signal = 0;          // SIGINT or SIGTERM, iff one ended the campaign
  bool stopped = false;    // a step returned stop
  std::uint64_t ran = 0;   // generated cases run (this shard's)
};

// Runs the steps. Catches SIGINT and SIGTERM for its whole length (signal_pipe.hpp, shared with
// a guard the caller may hold around it), and checks before every step whether one arrived.
Driven drive(const Steps& steps);

// The reproducers (*.json) of folder `dir`, in name order; none if it is not a folder.
std::vector<std::filesystem::path> corpus_files(const std::optional<std::string>& dir);

// "12 s", "3 min 05 s": the ETA of a progress line.
std::string eta(double seconds);

}  // namespace ipch::campaign
