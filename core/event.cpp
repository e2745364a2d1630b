#include "event.hpp"

#include <ctime>

namespace ipch {

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::started: return "started";
    case EventKind::send_invoked: return "send-invoked";
    case EventKind::send_ok: return "send-ok";
    case EventKind::send_failed: return "send-failed";
    case EventKind::received: return "received";
    case EventKind::receive_failed: return "receive-failed";
    case EventKind::finished: return "finished";
    case EventKind::exited: return "exited";
    case EventKind::fault: return "fault";
    case EventKind::would_block: return "would-block";
  }
  return "?";
}

std::string_view to_string(FaultAction a) {
  switch (a) {
    case FaultAction::killed: return "killed";
    case FaultAction::stopped: return "stopped";
    case FaultAction::continued: return "continued";
    case FaultAction::signalled: return "signalled";
    case FaultAction::held: return "held";
    case FaultAction::released: return "released";
    case FaultAction::armed: return "armed";
    case FaultAction::bystander: return "bystander";
  }
  return "?";
}

std::string_view to_string(Damage d) {
  switch (d) {
    case Damage::none: return "intact";
    case Damage::short_message: return "shorter than the envelope";
    case Damage::bad_magic: return "envelope overwritten";
    case Damage::bad_length: return "length differs from the envelope";
    case Damage::bad_hash: return "body hash differs";
    case Damage::bad_body: return "body is another message's";
  }
  return "?";
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1'000'000'000ULL + std::uint64_t(ts.tv_nsec);
}

}  // namespace ipch
