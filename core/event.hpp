// One event of a run, as a worker reports it over its control pipe and as the history keeps
// it. Fixed size and far below PIPE_BUF, so one write() per event is atomic and a worker
// killed mid-report never tears one.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace ipch {

enum class EventKind : std::uint8_t {
  started,         // the worker opened its channels
  send_invoked,    // about to call send(): from here until send_ok/send_failed the send is in flight
  send_ok,
  send_failed,     // err = errno
  received,        // damage = 0 iff intact
  receive_failed,  // err = errno, or kEndOfStream
  finished,        // the worker's part is done; it exits next
  exited,          // written by the runner: err = exit code, or -signal
  fault,           // written by the runner: seq = fault index in the plan, err = FaultAction, sender = target
  would_block,     // a non-blocking send met a full buffer (EAGAIN); once per message
};
enum class FaultAction : std::int32_t { killed = 1, stopped, continued, signalled, held, released, armed, bystander };
std::string_view to_string(FaultAction a);
std::string_view to_string(EventKind k);

// Why a received message is not intact (0 = intact).
enum class Damage : std::uint8_t { none = 0, short_message, bad_magic, bad_length, bad_hash, bad_body };
std::string_view to_string(Damage d);

constexpr std::int32_t kEndOfStream = -1;  // in Event::err of receive_failed: every sender closed

struct Event {
  std::uint64_t t_ns = 0;     // CLOCK_MONOTONIC, the same clock in every process
  std::uint32_t worker = 0;   // index into the run's workers
  EventKind kind = EventKind::started;
  std::uint8_t link = 0;      // which channel: 0, or 1 for responses in request-response
  Damage damage = Damage::none;
  std::uint8_t stopped = 0;   // exited: 1 iff the runner ended the worker on purpose
  std::int32_t err = 0;
  std::uint32_t sender = 0;   // the message's sender (worker index)
  std::uint64_t seq = 0;
  std::uint64_t size = 0;
};
static_assert(sizeof(Event) == 40);

// One message of a run, as every process names it: its link, its sender and its sequence number.
struct MessageId {
  std::uint8_t link = 0;
  std::uint32_t sender = 0;
  std::uint64_t seq = 0;
  auto operator<=>(const MessageId&) const = default;
};

std::uint64_t monotonic_ns();

}  // namespace ipch
