// A mechanism's own figures, between two real processes over our Channel: one-way throughput
// and round-trip latency for one message size. The sender (or pinger) is this process; the
// other end is a forked child that dies with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "channel.hpp"

namespace ipch::bench {

// How the two processes wait for each other. blocking: the mechanism's own sleep (futex,
// semaphore, poll, a blocking call). spinning: non-blocking calls retried at once on EAGAIN.
enum class Sync { blocking, spinning };
std::string_view to_string(Sync s);

struct Placement {
  int parent_cpu = -1;  // -1: wherever the scheduler likes
  int child_cpu = -1;
};

struct ThroughputSample {
  double seconds = 0;        // from the first send to the last message's arrival
  std::uint64_t sent = 0;
  std::uint64_t received = 0;  // fewer than sent only where the contract is lossy (udp)
  std::size_t size = 0;
  double mb_per_s() const { return seconds > 0 ? double(received) * double(size) / seconds / 1e6 : 0; }
  double msgs_per_s() const { return seconds > 0 ? double(received) / seconds : 0; }
};

// Sends `count` messages of `size` bytes from this process to a forked receiver over a fresh
// link of `mechanism`. With `envelope`, every message is sealed (make_envelope) before its send
// and opened and verified (open_envelope) after its receive, as the harness does: the difference
// to a run without is what the envelope costs. Throws std::runtime_error naming the mechanism and
// the failed call iff the link cannot be made or a send or receive fails (a lossy receiver that
// hears nothing for `quiet_ms` stops counting instead). Leaves no kernel object behind.
ThroughputSample throughput(const std::string& mechanism, std::size_t size, std::uint64_t count, Sync sync,
                            bool envelope, Placement where, unsigned quiet_ms = 300);

// `count` round trips of `size` bytes, each way over its own link, after `warmup` unmeasured
// ones. Returns each round trip's ns; a lossy mechanism's lost round trip is left out (after
// waiting `quiet_ms` for it) and counted in `lost`.
struct RoundTripSample {
  std::vector<double> ns;
  std::uint64_t lost = 0;
};
RoundTripSample round_trips(const std::string& mechanism, std::size_t size, int count, int warmup, Sync sync,
                            Placement where, unsigned quiet_ms = 300);

// The settings the benchmark runs `mechanism` with: its defaults, except buffers large enough for
// 1 MiB messages where a setting allows it (the shared-memory rings, datagram and seqpacket
// socket buffers), and non-blocking when spinning.
Settings bench_settings(const std::string& mechanism, Sync sync);

// The largest message `mechanism`'s channel moves with bench_settings() (Link::limit()).
std::size_t largest_message(const std::string& mechanism);

// Whether `mechanism` can run with `sync`: spinning needs a non-blocking mode, measured for the
// shared-memory rings, whose blocking mode is a futex or semaphore wait.
bool measured_with(const std::string& mechanism, Sync sync);

}  // namespace ipch::bench
