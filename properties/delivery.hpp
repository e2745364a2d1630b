// The first checker: every message sent is received once, intact, and in per-sender order
// where the contract promises order. A pure function of (history, contract).
//
// Kinds, as Jepsen's queue checkers name them:
//   lost        sent (send completed) and never received; allowed, and only noted, when the
//               contract is lossy
//   duplicated  received more than once
//   unexpected  received, but never sent by anyone
//   corrupt     received with its envelope or body damaged
//   reordered   a receiver got a sender's message after a later one of the same sender
// A send that was invoked but never completed (its worker was killed) is indeterminate: it may
// arrive ("recovered") or not, and neither is a violation.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "contract.hpp"
#include "history.hpp"

namespace ipch {

struct Violation {
  std::string kind;
  std::string detail;
};

struct DeliveryReport {
  std::vector<Violation> violations;
  std::vector<std::string> notes;  // allowed losses, recovered sends, failed sends by errno
  std::uint64_t sent = 0, received = 0, lost = 0, indeterminate = 0;
};

DeliveryReport check_delivery(const History& h, const Contract& c);

nlohmann::json to_json(const Violation& v);

}  // namespace ipch
