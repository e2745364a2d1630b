#include "delivery.hpp"

#include <map>
#include <set>

namespace ipch {

namespace {
struct Key {
  std::uint8_t link;
  std::uint32_t sender;
  std::uint64_t seq;
  auto operator<=>(const Key&) const = default;
};
std::string name(const Key& k) {
  return "sender " + std::to_string(k.sender) + " seq " + std::to_string(k.seq) + (k.link ? " (responses)" : "");
}
constexpr std::size_t kDetailed = 20;  // violations listed one by one per kind; the rest are counted
}  // namespace

DeliveryReport check_delivery(const History& h, const Contract& c) {
  DeliveryReport r;
  std::set<Key> invoked, completed;
  std::map<Key, int> got;
  std::map<std::tuple<std::uint32_t, std::uint8_t, std::uint32_t>, std::uint64_t> last_seq;  // (receiver, link, sender)
  std::map<std::string, std::size_t> per_kind;
  std::map<std::string, std::uint64_t> failed_sends;
  auto add = [&](const std::string& kind, const std::string& detail) {
    if (per_kind[kind]++ < kDetailed) r.violations.push_back({kind, detail});
  };
  bool ordered = c.ordering != Ordering::none;
  // What a killed receiver held (taken from the kernel, not yet reported; a pipe's buffer) dies
  // with it: such losses are the fault's doing, reported as notes.
  bool receiver_killed = false;
  for (const Event& e : h.events) {
    if (e.kind != EventKind::fault || static_cast<FaultAction>(e.err) != FaultAction::killed) continue;
    if (e.sender < h.workers.size()) {
      auto role = h.workers[e.sender].role;
      receiver_killed |= role == WorkerRole::receiver || role == WorkerRole::server || role == WorkerRole::client;
    }
  }

  for (const Event& e : h.events) {
    Key k{e.link, e.sender, e.seq};
    switch (e.kind) {
      case EventKind::send_invoked: invoked.insert(k); break;
      case EventKind::send_ok: completed.insert(k); break;
      case EventKind::send_failed:
        ++failed_sends[describe({e.err, std::generic_category()})];
        break;
      case EventKind::received: {
        ++r.received;
        std::string by = e.worker < h.workers.size() ? h.workers[e.worker].name() : std::to_string(e.worker);
        if (e.damage != Damage::none) {
          add("corrupt", by + " received " + std::to_string(e.size) + " B: " + std::string(to_string(e.damage)));
          break;
        }
        if (!invoked.count(k)) {
          add("unexpected", by + " received " + name(k) + ", which was never sent");
          break;
        }
        if (++got[k] == 2) add("duplicated", by + " received " + name(k) + " a second time");
        auto slot = std::make_tuple(e.worker, e.link, e.sender);
        auto it = last_seq.find(slot);
        if (ordered && it != last_seq.end() && e.seq < it->second) {
          add("reordered", by + " received " + name(k) + " after seq " + std::to_string(it->second));
        }
        if (it == last_seq.end() || e.seq > it->second) last_seq[slot] = e.seq;
        break;
      }
      default:
        break;
    }
  }
  r.sent = completed.size();
  std::uint64_t recovered = 0;
  for (const Key& k : invoked) {
    bool arrived = got.count(k) > 0;
    if (completed.count(k)) {
      if (arrived) continue;
      ++r.lost;
      if (c.delivery == Delivery::reliable && !receiver_killed) add("lost", name(k) + " was sent and never received");
    } else {
      ++r.indeterminate;
      if (arrived) ++recovered;
    }
  }
  for (const auto& [kind, n] : per_kind) {
    if (n > kDetailed) r.violations.push_back({kind, "and " + std::to_string(n - kDetailed) + " more " + kind});
  }
  if (r.lost && c.delivery == Delivery::reliable && receiver_killed) {
    r.notes.push_back(std::to_string(r.lost) + " messages lost with the receiver the fault plan killed");
  }
  if (r.lost && c.delivery == Delivery::lossy) {
    r.notes.push_back(std::to_string(r.lost) + " of " + std::to_string(r.sent) +
                      " messages lost, which the contract allows (lossy)");
  }
  if (r.indeterminate) {
    r.notes.push_back(std::to_string(r.indeterminate) + " sends cut off in flight (indeterminate), " +
                      std::to_string(recovered) + " of them recovered");
  }
  for (const auto& [err, n] : failed_sends) r.notes.push_back(std::to_string(n) + " sends failed with " + err);
  return r;
}

nlohmann::json to_json(const Violation& v) { return {{"kind", v.kind}, {"detail", v.detail}}; }

}  // namespace ipch
