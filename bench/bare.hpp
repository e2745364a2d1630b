// Bare ping-pongs: the same round trip as a mechanism's channel, written straight against the
// system calls (no framing, no envelope, no wrapper, no fault points). A mechanism's measured
// round trip is held against its bare one: the ratio is what our Channel layer costs.
//
// This file is the one place outside mechanisms/sys.cpp that calls the kernel directly; that is
// the point of a floor. It still retries EINTR and finishes short I/O, since the floor must
// measure a correct program.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ipch::bench {

struct RoundTrips {
  std::vector<double> ns;  // one entry per round trip, in the order they ran
};

// Runs `count` round trips of `size`-byte messages between this process and one forked child
// over `mechanism`'s raw kernel objects (two of them, one per direction, where the object is
// one-way), after `warmup` unmeasured ones. The parent is pinned to `cpu_parent` and the child to
// `cpu_child` when those are >= 0 (sched_setaffinity). Every object is created with a name
// carrying `prefix` (e.g. "ipch-4242-bare") and removed before returning, also on failure.
// Returns nullopt iff `mechanism` is not one this file knows; throws std::runtime_error (the
// call and its errno) iff a system call fails.
// Shared memory ("sysv-shm", "posix-shm") round-trips through a futex word in the segment when
// `spin` is false, and by spinning on an atomic flag when it is true.
std::optional<RoundTrips> bare_ping_pong(const std::string& mechanism, std::size_t size, int count, int warmup,
                                         bool spin, int cpu_parent, int cpu_child, const std::string& prefix);

// The mechanisms bare_ping_pong() knows: every name in the registry.
std::vector<std::string> bare_mechanisms();

}  // namespace ipch::bench
