// `ipc-harness check`: a user's own sender and receiver programs, in any language, run case after
// case through the frame protocol with faults, judged against the contract they declare.
// Exit codes as for run: 0 every case passed, 1 a violation or a hang, 2 bad input (a command
// that does not split or start, an unknown contract word or fault, a malformed corpus entry),
// 3 harness error, 128 + signal when interrupted.
#pragma once

#include "schedule_strategy.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ipch::cli {

struct CheckArgs {
  std::string sender, receiver;        // command lines, split as a shell would, run without one
  std::string contract = "reliable,fifo,boundaries";
  std::vector<std::string> faults;     // empty: every fault that applies, cycled over the cases
  std::uint64_t cases = 16;
  std::uint64_t messages = 100;
  std::size_t max_size = 4096;
  std::uint64_t seed = 0;
  std::uint32_t stall_ms = 5000;
  std::optional<std::string> junit;    // JUnit XML: one testcase per program pair x fault
  std::string shard = "0/1";           // i/n: this machine runs the cases whose index % n == i
  bool json = false;
  std::string out = "ipch-check";      // a folder per failing case: reproducer, history, stderr
  std::optional<std::string> corpus;   // reproducers replayed first; new failures are added
  std::string command;                 // how it was invoked, for the report
  schedule::Spec schedule;             // os: the kernel's scheduler decides
  std::uint64_t schedules = 1;         // under a controlled schedule: tried per case until one fails
};

int check(const CheckArgs& a, std::ostream& out, std::ostream& err);

// True iff `path` holds a reproducer written by check (format 2), which `replay` hands here.
bool is_check_reproducer(const std::string& path);
int replay_check(const std::string& path, unsigned times, bool json, std::ostream& out, std::ostream& err);

}  // namespace ipch::cli
