// The machine's own limits, measured in the same run as the mechanisms, so every figure can be
// read as a ratio: memcpy bandwidth (the ceiling for shared memory), a bare system call (the
// floor of any kernel-mediated transfer), and the cost of spawning processes (the floor of a
// harness case).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ipch::bench {

// MB/s of memcpy between two `bytes` buffers, repeated for about `budget`.
double memcpy_mb_per_s(std::size_t bytes, std::chrono::milliseconds budget);

// ns per getpid() made as a real system call, over about `budget`.
double syscall_ns(std::chrono::milliseconds budget);

// Per second: forking two processes that exit at once and reaping both, as the runner does for
// a 2-process case. Over about `budget`.
double spawn_pairs_per_s(std::chrono::milliseconds budget);

// Per second: harness cases of a 2-process, 100-message pipe scenario, run and checked
// (run_scenario), over about `budget`. Throws iff a case does not pass.
double harness_cases_per_s(std::chrono::milliseconds budget);

// The price of a controlled schedule: one `messages`-message pipe run (1 sender, 1 receiver,
// messages up to 4 KiB, one seed) under the kernel's scheduler and under --schedule random.
struct ScheduleCost {
  std::uint64_t messages = 0;
  double os_s = 0, random_s = 0;    // wall time of each run
  std::uint64_t decisions = 0;      // scheduling points the supervisor decided
  double ns_per_decision = 0;       // random_s over decisions: the cost of one scheduling point
  double ratio() const { return os_s > 0 ? random_s / os_s : 0; }
};
// Throws iff either run does not pass.
ScheduleCost schedule_cost(std::uint64_t messages);

}  // namespace ipch::bench
