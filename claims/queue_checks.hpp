// The experiments behind the message queue claims (queue_claims.cpp). Each is a measurement,
// which runs real processes on sysv-msg and posix-mq queues and returns what they saw, and a
// judgement, a pure function from that to a Finding, so that tests can feed it any outcome.
// Measurements throw std::runtime_error (naming the call and its errno) iff the experiment
// itself cannot run; they leave no queue and no process behind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "claim.hpp"
#include "message_probe.hpp"

namespace ipch::claims {

// ---- queue-keeps-until-read -----------------------------------------------------------------

// A sender sends `sent` messages and exits; then a receiver reads about half and is SIGKILLed;
// then a receiver forked after that reads what is left.
struct KeepRun {
  std::string mechanism;
  std::uint64_t sent = 0, bytes = 0;
  std::string sender_end;              // "exit 0"
  std::uint64_t first_read = 0;        // by the receiver that was then killed
  std::string first_end;               // "killed by SIGKILL"
  std::uint64_t second_read = 0;       // by the receiver forked after it
  std::vector<std::uint32_t> missing;  // seqs sent and never read
  std::uint64_t damaged = 0, duplicated = 0, out_of_order = 0;
  std::uint64_t left = 0;            // still queued afterwards
  std::vector<std::string> lanes;    // sender, receiver-1, receiver-2, with pids
  std::vector<probe::Trace> traces;  // one per seq sent, in seq order
  std::vector<Mark> marks;           // exits and the kill
};
struct KeepMeasurement {
  std::vector<KeepRun> runs;
};
KeepMeasurement measure_keeps(const Context& ctx);
// holds iff every message of every run was read once, intact and in order; else refuted,
// naming the missing ones.
Finding judge_keeps(const KeepMeasurement& m, const std::string& replay);

// ---- sysv-msg-by-type -----------------------------------------------------------------------

enum class TypeOp { first, exact, lowest, except };  // msgtyp 0; t; -t; t with MSG_EXCEPT
std::string_view to_string(TypeOp op);               // "msgtyp 0", "msgtyp t", "msgtyp -t", "MSG_EXCEPT t"

struct TypedMessage {
  std::uint32_t seq = 0;
  long type = 0;
};
struct TypedReceive {
  TypeOp op = TypeOp::first;
  long arg = 0;                     // t (0 for TypeOp::first)
  std::optional<TypedMessage> got;  // nullopt: ENOMSG
  bool intact = true;
};
struct ByTypeRound {
  std::vector<TypedMessage> sent;      // in arrival order
  std::vector<TypedReceive> received;  // in the order the receiver asked
};
struct ByTypeMeasurement {
  std::vector<ByTypeRound> rounds;
};
// Which message of `queue` (in arrival order) msgrcv takes for `op` and `arg`; nullopt iff none
// qualifies (ENOMSG with IPC_NOWAIT).
std::optional<std::size_t> select(const std::vector<TypedMessage>& queue, TypeOp op, long arg);
ByTypeMeasurement measure_by_type(const Context& ctx);
// holds iff every receive took the message select() names from the send log; else refuted.
Finding judge_by_type(const ByTypeMeasurement& m, const std::string& replay);

// ---- queue-priorities -----------------------------------------------------------------------

enum class Order { highest_priority_first, lowest_type_first, arrival };
struct PrioMessage {
  std::uint32_t seq = 0;
  long prio = 0;  // posix-mq: the priority; sysv-msg: the type
};
struct PrioRound {
  std::string mechanism;
  Order order = Order::arrival;  // what the receiver asked for (sysv-msg: msgtyp -max or 0)
  std::vector<PrioMessage> sent, received;
  std::vector<std::string> lanes;    // sender, receiver, with pids
  std::vector<probe::Trace> traces;  // one per message, in send order
};
struct PrioMeasurement {
  std::vector<PrioRound> rounds;
};
// `sent` in the order a queue keeping `order` delivers it: stably sorted, so FIFO within a
// priority (a type).
std::vector<PrioMessage> expected_order(const std::vector<PrioMessage>& sent, Order order);
PrioMeasurement measure_priorities(const Context& ctx);
// holds iff every round was received in expected_order(); else refuted.
Finding judge_priorities(const PrioMeasurement& m, const std::string& replay);

// ---- queue-sender-never-blocks --------------------------------------------------------------

struct FillRun {
  std::string mechanism;
  std::size_t message_size = 0;
  std::uint64_t room = 0;                 // messages of that size the queue's limit admits
  std::string limit;                      // "mq_maxmsg 10", "msg_qbytes 16384 B"
  std::uint64_t bound = 0;                // the most sends tried
  std::uint64_t blocking_sent = 0;        // sends completed by the blocking sender
  std::optional<std::string> blocked_in;  // its wchan, iff it slept in the kernel for good
  std::uint64_t queued = 0;               // messages the queue held then
  std::uint64_t nonblocking_sent = 0;     // sends completed by the non-blocking sender
  int nonblocking_errno = 0;              // the error that stopped it; 0: it reached the bound
  std::string lane;                       // "posix-mq sender (pid 12)"
  std::vector<double> send_ms;            // the blocking sender's sends (the first 64)
  double blocked_ms = 0, killed_ms = 0;
};
struct FillMeasurement {
  std::vector<FillRun> runs;
};
FillMeasurement measure_fill(const Context& ctx);
// holds iff no sender ever blocked (nor met EAGAIN) within the bound; holds-only-if iff they
// did only once the queue's limit was reached (the condition names the limits); refuted iff a
// sender blocked while the limit left room.
Finding judge_fill(const FillMeasurement& m, const std::string& replay);

}  // namespace ipch::claims
