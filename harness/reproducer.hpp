// A reproducer: everything needed to run a failing scenario again and expect the same verdict.
// Written for every failing run; `ipc-harness replay FILE` reads it back.
#pragma once

#include <expected>
#include <optional>
#include <vector>
#include <string>

#include "scenario.hpp"
#include "schedule_strategy.hpp"
#include "schedule_trace.hpp"

namespace ipch {

constexpr const char* kVersion = "0.1.0";

struct Reproducer {
  static constexpr int kFormat = 1;
  Scenario scenario;
  std::string verdict;  // pass, violations, deadlock, error
  // Under a controlled schedule: the strategy, and every decision it took (replay follows them).
  std::optional<schedule::Spec> strategy = std::nullopt;
  std::vector<schedule::Step> steps = {};
};

// Writes `path` (0600). Returns {} iff written whole; else one line saying why.
std::expected<void, std::string> write_reproducer(const std::string& path, const Reproducer& r);
// Reads `path`. Returns the reproducer iff it is complete and of this format; else one line
// naming the file, the field at fault and the fix.
std::expected<Reproducer, std::string> read_reproducer(const std::string& path);

// The command that replays `path`, as a user pastes it.
std::string replay_command(const std::string& path);

}  // namespace ipch
