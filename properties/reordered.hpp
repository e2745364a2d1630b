// reordered: a receiver got a sender's message after a later one of the same sender.
//
// Order is per sender and per receiver: a FIFO queue shared by several receivers gives each of
// them an increasing subsequence of every sender's messages, so that is what is checked. With
// Ordering::none nothing is promised and nothing is reported. Ordering::per_priority (posix-mq)
// and per_type (sysv-msg) promise FIFO only within one priority or type; the history carries no
// priority today (every send uses priority 0, type 1), so for them this is the same per-sender
// FIFO within that one priority. Only intact receipts of sent messages count: damaged ones are
// the integrity checkers', never-sent ones `unexpected`, and a repeat is `duplicated`, not a
// reorder. A function of (history, contract), online: one entry per (receiver, link, sender).
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "contract.hpp"
#include "history.hpp"
#include "violation.hpp"

namespace ipch {

class ReorderCheck {
 public:
  ReorderCheck(const History& head, const Contract& c) : h_(head), c_(c) {}
  // The first intact receipt of a sent message (DeliveryCheck decides which those are), at
  // history.jsonl line `line`. A receiver's own receipts come in its order.
  void add(const Event& e, std::uint64_t line);
  std::vector<Violation> finish() { return out_.take(); }

 private:
  struct Last {
    std::uint64_t seq;
    std::uint64_t line;
  };
  const History& h_;
  const Contract& c_;
  // The priority (or type) would join this key once the history records it; today it is always 0.
  std::map<std::tuple<std::uint32_t, std::uint8_t, std::uint32_t>, Last> last_;  // (receiver, link, sender)
  Violations out_;
};

std::vector<Violation> check_reordered(const History& h, const Contract& c);

}  // namespace ipch
