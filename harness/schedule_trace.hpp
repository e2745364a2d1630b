// The schedule as a record: every decision the supervisor took, in order. It is the truth of a
// controlled run: a replay follows it step by step and stops at the first step that differs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace ipch::schedule {

enum class StepKind : std::uint8_t {
  run = 0,      // task's parked call went on
  wake = 1,     // task's FUTEX_WAIT returned 0: a FUTEX_WAKE of its word was modelled
  timeout = 2,  // task's timed call returned as its timeout would
  harness = 3,  // the harness acted on task's process: `nr` is the signal (0: it was started)
};

struct Step {
  std::uint32_t task = 0;  // tasks are numbered in the order they first appear
  std::uint32_t nr = 0;    // the system call (or the signal, for harness steps)
  StepKind kind = StepKind::run;
  bool operator==(const Step&) const = default;
};

// Base64 (no padding) of `bytes`, the alphabet encode() writes with.
std::string to_base64(const std::vector<std::uint8_t>& bytes);

// Compact text: base64 of two varints per step. About 3 characters a step.
std::string encode(const std::vector<Step>& steps);
// Returns the steps iff `text` is what encode() writes; else a one-line reason.
Result<std::vector<Step>> decode(std::string_view text);

}  // namespace ipch::schedule
