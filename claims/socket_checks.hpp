// The experiments behind the socket claims (socket_claims.cpp). Each is a measurement, which
// runs real processes on Unix domain sockets, TCP and UDP over loopback (and a pipe for
// comparison) and returns what they saw, and a judgement, a pure function from that to a
// Finding, so that tests can feed it any outcome. Measurements throw std::runtime_error (naming
// the call and its errno) iff the experiment itself cannot run; they leave no socket file and
// no process behind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "claim.hpp"
#include "message_probe.hpp"

namespace ipch::claims {

// ---- stream-boundaries ----------------------------------------------------------------------

// A sender process makes one send() per message and exits; only then does the receiver read,
// with a buffer larger than all of them together.
struct BoundaryRun {
  std::string mechanism;             // unix-stream, unix-dgram, unix-seqpacket, tcp, pipe
  std::vector<std::size_t> written;  // the size of each send()
  std::vector<std::size_t> read;     // the size of each receive
  bool bytes_intact = true;          // the bytes read are the bytes written, in order
};
// A receive into a buffer smaller than the message, then the next receive.
struct TruncationRun {
  std::string mechanism;
  std::size_t message_size = 0, buffer = 0;
  std::size_t returned = 0;           // what the small receive returned
  bool msg_trunc = false;             // MSG_TRUNC in msg_flags
  std::size_t real_length = 0;        // what recv(..., MSG_TRUNC) returned for a message that size
  std::size_t next_returned = 0;      // the next receive, with a large buffer
  bool next_is_next_message = false;  // it began with the next message: the rest was discarded
};
struct BoundaryMeasurement {
  std::vector<BoundaryRun> runs;
  std::vector<TruncationRun> truncation;
};
BoundaryMeasurement measure_boundaries(const Context& ctx);
// holds iff unix-stream merged writes (fewer receives than sends) with every byte intact, and
// unix-dgram and unix-seqpacket returned exactly one message per receive with the sizes sent;
// else refuted. tcp and pipe are comparison only.
Finding judge_boundaries(const BoundaryMeasurement& m, const std::string& replay);

// ---- unix-dgram-loses -----------------------------------------------------------------------

struct DgramLoss {
  std::uint64_t max_dgram_qlen = 0;  // /proc/sys/net/unix/max_dgram_qlen
  std::uint64_t sent = 0, received = 0, lost = 0, damaged = 0, duplicated = 0, reordered = 0;
  std::uint64_t sent_before_sleep = 0;  // by the blocking sender while the receiver did not read
  std::optional<std::string> slept_in;  // its wchan, iff it slept in the kernel
  std::uint64_t nonblocking_sent = 0;   // by a non-blocking sender before its error
  int nonblocking_errno = 0;            // 0: it never met one
  // The harness's run of the same thing (full-buffer: the receiver held back with SIGSTOP).
  std::string harness_run;      // "unix-dgram, stream 1x1, ...: pass"
  std::string harness_verdict;  // pass, violations, deadlock, error
  std::uint64_t harness_sent = 0, harness_received = 0, harness_lost = 0;
  std::optional<Counterexample> harness;  // its timeline and replay command
};
DgramLoss measure_dgram_loss(const Context& ctx);
// holds iff any datagram was lost (ours or the harness's); else refuted with the harness's run
// as the counterexample.
Finding judge_dgram_loss(const DgramLoss& m, const std::string& replay);

// ---- udp-loopback-loses ---------------------------------------------------------------------

struct UdpLoss {
  int rcvbuf_asked = 0, rcvbuf_got = 0;  // SO_RCVBUF set and as the kernel reports it
  std::size_t datagram_size = 0;
  std::uint64_t sent = 0, received = 0, lost = 0, damaged = 0, duplicated = 0, reordered = 0;
  std::optional<std::int64_t> rcvbuf_errors;  // the rise of Udp RcvbufErrors in /proc/net/snmp
  std::vector<std::string> lanes;             // sender, receiver, with pids
  std::vector<probe::Trace> first;            // the first datagrams, lost ones unreceived
};
UdpLoss measure_udp_loss(const Context& ctx);
// holds iff some were lost and none duplicated or reordered; holds-only-if iff none were lost
// (the receiver kept up); refuted iff any was duplicated or reordered.
Finding judge_udp_loss(const UdpLoss& m, const std::string& replay);

// ---- sockets-full-duplex --------------------------------------------------------------------

// Both ends send `each_way` messages and receive as many at the same time, each a process.
struct DuplexRun {
  std::string mechanism;
  std::uint64_t each_way = 0;
  std::uint64_t a_to_b = 0, b_to_a = 0;  // messages received intact, in order
  std::uint64_t damaged = 0, out_of_order = 0;
  bool finished = true;  // both ended within the hang guard
};
// Both ends write `attempted` bytes with blocking writes before reading anything.
struct DeadlockProbe {
  std::string mechanism;
  std::uint64_t attempted = 0;
  std::uint64_t a_written = 0, b_written = 0;
  bool deadlocked = false;  // both asleep in the kernel with no progress, until SIGKILLed
  std::string a_wchan, b_wchan;
  std::vector<std::string> lanes;
  std::vector<Mark> marks;  // progress, the sleeps, the kills
};
struct DuplexMeasurement {
  std::vector<DuplexRun> runs;
  std::vector<DeadlockProbe> probes;
};
DuplexMeasurement measure_duplex(const Context& ctx);
// refuted iff a direction lost, damaged or reordered anything, or did not finish; else
// holds-only-if iff a probe deadlocked (the condition: each side reads while it writes); else
// holds.
Finding judge_duplex(const DuplexMeasurement& m, const std::string& replay);

}  // namespace ipch::claims
