// Delivery, as Jepsen's total-queue checker sees a queue: every message sent is received once,
// intact, and in order where the contract promises order. A pure function of (history, contract).
//
// Kinds:
//   lost        sent (send completed) and never received, under a reliable contract; under a lossy
//               one, or with a receiver the fault plan killed, only a note
//   duplicated  received more than once; a send cut off in flight (invoked, never completed) is
//               indeterminate and may arrive at most once, so twice is duplicated too
//   unexpected  received intact, but never sent by anyone
//   reordered   see reordered.hpp
//   corrupted, boundary, torn: damaged messages, see integrity.hpp
// An indeterminate send that arrives is "recovered", never unexpected; one that does not is
// not lost. A message that arrived damaged (its header still naming it) is reported by its
// damage, not also as lost. The notes carry the total-queue summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "contract.hpp"
#include "history.hpp"
#include "violation.hpp"

namespace ipch {

struct DeliveryReport {
  std::vector<Violation> violations;  // damage kinds, then unexpected/duplicated, reordered, lost
  std::vector<std::string> notes;     // allowed losses, recovered sends, failed sends by errno, the summary
  std::uint64_t sent = 0;             // sends completed
  std::uint64_t received = 0;         // receipts, damaged ones included
  std::uint64_t lost = 0;             // completed, never arrived (allowed or not)
  std::uint64_t indeterminate = 0;    // invoked, never completed
  std::uint64_t duplicated = 0;       // receipts beyond the first of a message
  std::uint64_t unexpected = 0;       // intact receipts of messages nobody sent
  std::uint64_t recovered = 0;        // indeterminate sends that arrived
};

DeliveryReport check_delivery(const History& h, const Contract& c);

}  // namespace ipch
