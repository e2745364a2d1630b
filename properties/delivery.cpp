#include "delivery.hpp"

#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "integrity.hpp"
#include "reordered.hpp"

namespace ipch {

namespace {
using Key = std::tuple<std::uint8_t, std::uint32_t, std::uint64_t>;  // (link, sender, seq)
std::string name(const Key& k) {
  return message_id(std::get<1>(k), std::get<2>(k), std::get<0>(k));
}
MessageId id(const Key& k) { return {std::get<0>(k), std::get<1>(k), std::get<2>(k)}; }

// What a killed receiver held (taken from the kernel, not yet reported; a pipe's buffer) dies
// with it: losses are then the fault's doing, reported as notes.
std::uint64_t receivers_killed(const History& h) {
  std::uint64_t n = 0;
  for (const Event& e : h.events) {
    if (e.kind != EventKind::fault || static_cast<FaultAction>(e.err) != FaultAction::killed) continue;
    if (e.sender >= h.workers.size()) continue;
    auto role = h.workers[e.sender].role;
    if (role == WorkerRole::receiver || role == WorkerRole::server || role == WorkerRole::client) ++n;
  }
  return n;
}
// Under fifo a receiver takes a sender's messages in order, so a killed receiver can only have
// taken down messages after the last one it wrote out. Returns why the kill cannot explain the
// loss of `k` ("; receiver-0 (pid 7), which the fault plan killed, had written out sender 0 seq
// 9: it took this one before that"), or "" if some killed receiver may have held it.
std::string taken_before_kill(const History& h, const Contract& c, const Key& k) {
  if (c.ordering != Ordering::fifo) return "";
  std::string why;
  for (const Event& f : h.events) {
    if (f.kind != EventKind::fault || static_cast<FaultAction>(f.err) != FaultAction::killed) continue;
    if (f.sender >= h.workers.size() || h.workers[f.sender].role == WorkerRole::sender ||
        h.workers[f.sender].role == WorkerRole::bystander)
      continue;
    std::optional<std::uint64_t> last;
    for (const Event& e : h.events) {
      if (e.kind == EventKind::received && e.worker == f.sender && e.damage == Damage::none && e.link == std::get<0>(k) &&
          e.sender == std::get<1>(k))
        last = std::max(last.value_or(0), e.seq);
    }
    if (!last || *last < std::get<2>(k)) return "";
    why = "; " + who(h, f.sender) + ", which the fault plan killed, had written out " +
          message_id(std::get<1>(k), *last, std::get<0>(k)) +
          ": in fifo order it took this one before that, so the kill does not explain its loss";
  }
  return why;
}

}  // namespace

DeliveryReport check_delivery(const History& h, const Contract& c) {
  DeliveryReport r;
  std::set<Key> invoked, completed, damaged;
  std::map<Key, std::size_t> got;  // intact receipts
  std::map<std::string, std::uint64_t> failed_sends;
  Violations queue;
  for (std::size_t i = 0; i < h.events.size(); ++i) {
    const Event& e = h.events[i];
    Key k{e.link, e.sender, e.seq};
    switch (e.kind) {
      case EventKind::send_invoked:
        invoked.insert(k);
        break;
      case EventKind::send_ok:
        completed.insert(k);
        break;
      case EventKind::send_failed:
        ++failed_sends[describe({e.err, std::generic_category()})];
        break;
      case EventKind::received:
        ++r.received;
        if (e.damage != Damage::none) {
          if (names_its_message(e.damage)) damaged.insert(k);
        } else if (!invoked.count(k)) {
          ++r.unexpected;
          queue.add(kinds::unexpected,
                    who(h, e.worker) + " received " + name(k) + ", which was never sent (" + history_line(i) + ")",
                    {id(k)});
        } else if (++got[k] >= 2) {
          ++r.duplicated;
          bool cut_off = !completed.count(k);
          queue.add(kinds::duplicated,
                    who(h, e.worker) + " received " + name(k) + " " + std::to_string(got[k]) + " times (" +
                        history_line(i) + ")" +
                        (cut_off ? "; its send was cut off in flight, so it may arrive at most once" : ""),
                    {id(k)});
        }
        break;
      default:
        break;
    }
  }
  const std::uint64_t kills = receivers_killed(h);
  const std::uint64_t window = c.killed_receiver_window;
  // Excused: every loss with a killed receiver (window 0), or at most `window` per kill.
  const bool killed = kills > 0;
  std::vector<Key> lost_keys;
  Violations losses;
  r.sent = completed.size();
  for (const Key& k : invoked) {
    bool arrived = got.count(k) || damaged.count(k);
    if (!completed.count(k)) {
      ++r.indeterminate;
      if (got.count(k)) ++r.recovered;
      continue;
    }
    if (arrived) continue;
    ++r.lost;
    lost_keys.push_back(k);
  }
  const bool over_window = killed && window > 0 && r.lost > window * kills;
  std::uint64_t excused = 0;
  if (c.delivery == Delivery::reliable) {
    for (const Key& k : lost_keys) {
      std::string unexcused;
      if (!killed) unexcused = "";
      else if (over_window)
        unexcused = " (" + std::to_string(r.lost) + " lost with " + std::to_string(kills) +
                    " receiver kill(s), over the declared window of " + std::to_string(window) + " per kill)";
      else if (auto why = taken_before_kill(h, c, k); !why.empty())
        unexcused = why;
      else {
        ++excused;  // it may have died with a killed receiver
        continue;
      }
      losses.add(kinds::lost, name(k) + " was sent and never received" + unexcused, {id(k)});
    }
  }

  for (auto part : {check_integrity(h, c), queue.take(), check_reordered(h, c), losses.take()})
    r.violations.insert(r.violations.end(), part.begin(), part.end());

  if (excused)
    r.notes.push_back(std::to_string(excused) + " messages lost with the receiver the fault plan killed" +
                      (window ? " (window " + std::to_string(window) + " per kill)" : ""));
  if (r.lost && c.delivery == Delivery::lossy) {
    r.notes.push_back(std::to_string(r.lost) + " of " + std::to_string(r.sent) +
                      " messages lost, which the contract allows (lossy)");
  }
  if (r.indeterminate) {
    r.notes.push_back(std::to_string(r.indeterminate) + " sends cut off in flight (indeterminate), " +
                      std::to_string(r.recovered) + " of them recovered");
  }
  for (const auto& [err, n] : failed_sends) r.notes.push_back(std::to_string(n) + " sends failed with " + err);
  // Jepsen's total-queue line, only when something was not simply sent and received once.
  if (r.lost || r.duplicated || r.unexpected || r.indeterminate) {
    r.notes.push_back("total queue: " + std::to_string(r.sent) + " sent, " + std::to_string(r.received) +
                      " received; lost " + std::to_string(r.lost) + ", duplicated " + std::to_string(r.duplicated) +
                      ", unexpected " + std::to_string(r.unexpected) + ", recovered " + std::to_string(r.recovered) +
                      " of " + std::to_string(r.indeterminate) + " indeterminate");
  }
  return r;
}

}  // namespace ipch
