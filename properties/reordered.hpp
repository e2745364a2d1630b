// reordered: a receiver got a sender's message after a later one of the same sender.
//
// Order is per sender and per receiver: a FIFO queue shared by several receivers gives each of
// them an increasing subsequence of every sender's messages, so that is what is checked. With
// Ordering::none nothing is promised and nothing is reported. Ordering::per_priority (posix-mq)
// and per_type (sysv-msg) promise FIFO only within one priority or type; the history carries no
// priority today (every send uses priority 0, type 1), so for them this is the same per-sender
// FIFO within that one priority. Only intact receipts of sent messages count: damaged ones are
// the integrity checkers', never-sent ones `unexpected`, and a repeat is `duplicated`, not a
// reorder. Pure function of (history, contract).
#pragma once

#include <vector>

#include "contract.hpp"
#include "history.hpp"
#include "violation.hpp"

namespace ipch {

std::vector<Violation> check_reordered(const History& h, const Contract& c);

}  // namespace ipch
