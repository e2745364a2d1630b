// `ipc-harness bench`: every mechanism's throughput and round-trip latency by message size, the
// bare ping-pong floors, the machine's limits, the envelope's cost and the harness's own speed,
// all from one run, with the ratios the project aims for.
#pragma once

#include "calibration.hpp"

#include <atomic>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "channel_bench.hpp"
#include "stats.hpp"

namespace ipch::bench {

struct Options {
  bool quick = false;                   // fewer repeats and messages: about a minute on 2 cores
  std::vector<std::string> mechanisms;  // empty: every registered mechanism
  std::ostream* progress = nullptr;     // one line per measurement, if set
  // Checked between measurements; a non-zero value (a signal number) stops the run.
  const std::atomic<int>* stop = nullptr;
};

// The run was stopped through Options::stop; every object made so far is already removed.
struct Interrupted {
  int signal = 0;
};

struct Figure {  // one mechanism, sync mode and size
  std::string mechanism;
  Sync sync = Sync::blocking;
  std::size_t size = 0;
  Spread mb_per_s, msgs_per_s;  // one-way throughput
  Spread rtt_p50_us, rtt_p99_us;
  std::uint64_t sent = 0, received = 0;  // over the throughput repeats; differ only where lossy
  std::uint64_t round_trips_lost = 0;
};

struct Floor {  // a bare ping-pong at 64 B
  std::string mechanism;
  Sync sync = Sync::blocking;
  Spread p50_us, p99_us;
};

struct EnvelopeCost {  // at 64 KiB
  std::string mechanism;
  Spread raw_mb_per_s, enveloped_mb_per_s;
  double cost = 0;  // 1 - enveloped / raw, from the medians
};

struct Target {
  std::string name;    // what is aimed for, in words
  std::string subject; // the mechanism, or "harness"
  double value = 0;    // the measured ratio
  double limit = 0;
  bool at_most = true; // value <= limit is met; else value >= limit
  bool met() const { return at_most ? value <= limit : value >= limit; }
};

struct Report {
  nlohmann::json machine;   // kernel, cpu, cpus, memory, pinned CPUs
  nlohmann::json settings;  // quick, repeats, sizes, counts
  // memcpy of 1 MiB (the bulk message size; it stays in cache) and of 256 MiB (it cannot).
  Spread memcpy_mb_per_s, memory_mb_per_s, syscall_ns, spawn_pairs_per_s, harness_cases_per_s;
  std::vector<Floor> floors;
  std::vector<Figure> figures;
  std::vector<EnvelopeCost> envelope;
  std::vector<Target> targets;
  ScheduleCost schedule;           // the price of a controlled schedule
  std::vector<std::string> notes;  // what was skipped and why
  double seconds = 0;
};

// The message sizes measured, where the mechanism allows: 8 B, 64 B, 512 B, 4 KiB, 64 KiB, 1 MiB.
std::vector<std::size_t> sizes();

// The bare ping-pong `mechanism` was measured against in `sync` mode; nullptr if none.
const Floor* floor_of(const Report& r, const std::string& mechanism, Sync sync);

// kernel, cpu, cpus and memory of this machine, as the report's header shows them.
nlohmann::json machine_facts();

// Runs the whole benchmark. Throws std::runtime_error (naming the mechanism and call) iff a
// measurement fails, Interrupted iff stopped; removes every kernel object it made either way.
Report run(const Options& o);

}  // namespace ipch::bench
