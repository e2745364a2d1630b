// Generated scenarios: what the properties and `ipc-harness run --cases` feed the runner.
//
// A scenario is drawn from independent components (mechanism, workload shape, message count,
// size ceiling, capacity, blocking, fault, seed), each an integer that shrinks toward 0, so
// rapidcheck's shrinking moves a failing case toward fewer messages, smaller sizes, fewer
// processes, default buffers and no fault. The scenario seed is drawn without shrinking: a
// shrunk case keeps the payload bytes and fault points of the case it came from.
//
// Every generated scenario is one the contract promises to pass: workloads the contract
// allows, buffers the kernel accepts, request-response depths both buffers hold, and at most
// one fault, never one whose expected outcome is a failure (drop-datagram on unix-dgram is a
// violation by contract; leaked-fd + kill-receiver is a deadlock by contract).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "scenario.hpp"

namespace ipch::gen {

struct Options {
  std::string mechanism;          // one mechanism; empty or "all": any of registry::all()
  std::uint64_t max_messages = 200;
  std::size_t max_size = 64 * 1024;  // the ceiling of every size; the runner caps it further
  bool faults = true;
};

// The faults generated for `mechanism`: those the catalogue applies to it, minus those whose
// contract outcome is a failure. Throws std::invalid_argument iff the mechanism is unknown.
std::vector<std::string> generated_faults(const std::string& mechanism);

// The size ceilings worth drawing for `mechanism`, ascending: 32 B (the envelope alone),
// PIPE_BUF, the atomic write limit + 1 where there is one, and `ceiling`, which the runner caps
// to the mechanism's maximum (Link::limit()) when that is lower.
std::vector<std::size_t> size_edges(const std::string& mechanism, std::size_t ceiling);

// Capacities worth drawing for `mechanism`, smallest valid first, in its unit: its
// Traits::capacities. An empty capacity (the default) is drawn besides these. Throws
// std::invalid_argument iff the mechanism is unknown.
std::vector<std::size_t> capacities(const std::string& mechanism);

// Scenarios with their faults resolved (resolve_faults): ready for run_scenario.
rc::Gen<Scenario> scenario(const Options& o);

// Case `index` of a run seeded `seed`: the same generator, drawn without rapidcheck's runner, so
// `run --cases` is deterministic from its seed.
Scenario draw(const Options& o, std::uint64_t seed, std::uint64_t index);

// Scenarios one step smaller than `s`, most promising first: no fault, fewer messages, fewer
// processes, a smaller size ceiling, default buffers. For shrinking a failure outside
// rapidcheck; faults are re-resolved for the smaller workload.
std::vector<Scenario> smaller(const Scenario& s);

// One line: "pipe, stream 2x1, 57 messages <= 4096 B, capacity 8192, fault stop".
std::string describe(const Scenario& s);
// The scenario's fault name, or "none".
std::string fault_name(const Scenario& s);

}  // namespace ipch::gen
