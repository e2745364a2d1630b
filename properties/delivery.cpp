#include "delivery.hpp"

#include <algorithm>

namespace ipch {

namespace {
constexpr std::size_t kPerKind = 20;  // as Violations lists
std::string name(std::uint8_t link, std::uint32_t sender, std::uint64_t seq) { return message_id(sender, seq, link); }
bool receives(WorkerRole r) { return r == WorkerRole::receiver || r == WorkerRole::server || r == WorkerRole::client; }
}  // namespace

DeliveryCheck::DeliveryCheck(const History& head, const Contract& c)
    : h_(head), c_(c), integrity_(head, c), reordered_(head, c) {}

void DeliveryCheck::duplicate(const Key& k, std::uint32_t worker, std::uint64_t times, std::uint64_t line) {
  ++r_.duplicated;
  if (duplicates_.size() >= kPerKind) {
    ++duplicates_unlisted_;
    return;
  }
  auto [link, sender, seq] = k;
  bool cut_off = !stream(link, sender).completed.contains(seq);
  duplicates_.push_back({line,
                         {std::string(kinds::duplicated),
                          who(h_, worker) + " received " + name(link, sender, seq) + " " + std::to_string(times) +
                              " times (" + history_line(line) + ")" +
                              (cut_off ? "; its send was cut off in flight, so it may arrive at most once" : ""),
                          {{link, sender, seq}}}});
}

void DeliveryCheck::add(const Event& e, std::uint64_t line) {
  integrity_.add(e, line);
  Key k{e.link, e.sender, e.seq};
  switch (e.kind) {
    case EventKind::send_invoked: {
      Stream& s = stream(e.link, e.sender);
      s.invoked.insert(e.seq);
      // Received before it was read as sent (two pipes): a receipt after all.
      if (auto o = orphans_.find(k); o != orphans_.end()) {
        Orphan orphan = o->second;
        orphans_.erase(o);
        s.received.insert(e.seq);
        for (std::uint64_t n = 2; n <= orphan.count; ++n) duplicate(k, orphan.worker, n, orphan.line);
        if (orphan.count >= 2) times_[k] = orphan.count;
      }
      break;
    }
    case EventKind::send_ok:
      stream(e.link, e.sender).completed.insert(e.seq);
      break;
    case EventKind::send_failed:
      ++failed_sends_[describe({e.err, std::generic_category()})];
      break;
    case EventKind::received: {
      ++r_.received;
      Stream& s = stream(e.link, e.sender);
      if (e.damage != Damage::none) {
        if (names_its_message(e.damage)) s.damaged.insert(e.seq);
        break;
      }
      if (!s.invoked.contains(e.seq)) {
        auto [o, fresh] = orphans_.try_emplace(k, Orphan{line, e.worker, 0});
        ++o->second.count;
        break;
      }
      auto& last = last_intact_[{e.worker, e.link, e.sender}];
      last = std::max(last, e.seq);
      if (!s.received.insert(e.seq)) {
        auto& t = times_[k];
        if (t == 0) t = 1;
        duplicate(k, e.worker, ++t, line);
        break;
      }
      reordered_.add(e, line);
      break;
    }
    case EventKind::fault:
      if (static_cast<FaultAction>(e.err) == FaultAction::killed) killed_.push_back(e.sender);
      break;
    default:
      break;
  }
}

// Under fifo a receiver takes a sender's messages in order, so a killed receiver can only have
// taken down messages after the last one it wrote out. Returns why the kill cannot explain the
// loss of `k` ("; receiver-0 (pid 7), which the fault plan killed, had written out sender 0 seq
// 9: it took this one before that"), or "" if some killed receiver may have held it.
std::string DeliveryCheck::taken_before_kill(const Key& k) const {
  if (c_.ordering != Ordering::fifo) return "";
  auto [link, sender, seq] = k;
  std::string why;
  for (std::uint32_t w : killed_) {
    if (w >= h_.workers.size() || h_.workers[w].role == WorkerRole::sender || h_.workers[w].role == WorkerRole::bystander)
      continue;
    auto it = last_intact_.find({w, link, sender});
    if (it == last_intact_.end() || it->second < seq) return "";
    why = "; " + who(h_, w) + ", which the fault plan killed, had written out " + name(link, sender, it->second) +
          ": in fifo order it took this one before that, so the kill does not explain its loss";
  }
  return why;
}

DeliveryReport DeliveryCheck::finish() {
  DeliveryReport& r = r_;
  // What a killed receiver held (taken from the kernel, not yet reported; a pipe's buffer) dies
  // with it: losses are then the fault's doing, reported as notes.
  std::uint64_t kills = 0;
  for (std::uint32_t w : killed_)
    if (w < h_.workers.size() && receives(h_.workers[w].role)) ++kills;
  const std::uint64_t window = c_.killed_receiver_window;
  const bool killed = kills > 0;

  // The queue's violations in history order: duplicates as they came, orphans never sent.
  std::vector<Listed> queue = std::move(duplicates_);
  for (const auto& [k, o] : orphans_) {
    auto [link, sender, seq] = k;
    r.unexpected += o.count;
    for (std::uint64_t n = 0; n < o.count; ++n)
      queue.push_back({o.line,
                       {std::string(kinds::unexpected),
                        who(h_, o.worker) + " received " + name(link, sender, seq) + ", which was never sent (" +
                            history_line(o.line) + ")",
                        {{link, sender, seq}}}});
  }
  std::stable_sort(queue.begin(), queue.end(), [](const Listed& a, const Listed& b) { return a.line < b.line; });
  Violations queued;
  for (auto& l : queue) queued.add(l.v.kind, std::move(l.v.detail), std::move(l.v.messages));
  queued.add_unlisted(kinds::duplicated, duplicates_unlisted_);

  std::vector<Key> lost_keys;
  for (auto& [id, s] : streams_) {
    auto [link, sender] = id;
    r.sent += s.completed.size();
    SeqSet none;
    s.invoked.each_not_in(s.completed, none, [&](std::uint64_t seq) {
      ++r.indeterminate;
      if (s.received.contains(seq)) ++r.recovered;
    });
    s.completed.each_not_in(s.received, s.damaged, [&](std::uint64_t seq) {
      ++r.lost;
      if (c_.delivery == Delivery::reliable && lost_keys.size() < (std::size_t(1) << 20))
        lost_keys.emplace_back(link, sender, seq);
    });
  }
  const bool over_window = killed && window > 0 && r.lost > window * kills;
  std::uint64_t excused = 0;
  Violations losses;
  if (c_.delivery == Delivery::reliable) {
    for (const Key& k : lost_keys) {
      std::string unexcused;
      if (!killed) unexcused = "";
      else if (over_window)
        unexcused = " (" + std::to_string(r.lost) + " lost with " + std::to_string(kills) +
                    " receiver kill(s), over the declared window of " + std::to_string(window) + " per kill)";
      else if (auto why = taken_before_kill(k); !why.empty())
        unexcused = why;
      else {
        ++excused;  // it may have died with a killed receiver
        continue;
      }
      auto [link, sender, seq] = k;
      losses.add(kinds::lost, name(link, sender, seq) + " was sent and never received" + unexcused, {{link, sender, seq}});
    }
    // Past the keys kept (a million), losses are counted, not named.
    std::uint64_t beyond = r.lost - lost_keys.size();
    if (beyond && killed && !over_window) excused += beyond;
    else losses.add_unlisted(kinds::lost, beyond);
  }

  for (auto part : {integrity_.finish(), queued.take(), reordered_.finish(), losses.take()})
    r.violations.insert(r.violations.end(), part.begin(), part.end());

  if (excused)
    r.notes.push_back(std::to_string(excused) + " messages lost with the receiver the fault plan killed" +
                      (window ? " (window " + std::to_string(window) + " per kill)" : ""));
  if (r.lost && c_.delivery == Delivery::lossy) {
    r.notes.push_back(std::to_string(r.lost) + " of " + std::to_string(r.sent) +
                      " messages lost, which the contract allows (lossy)");
  }
  if (r.indeterminate) {
    r.notes.push_back(std::to_string(r.indeterminate) + " sends cut off in flight (indeterminate), " +
                      std::to_string(r.recovered) + " of them recovered");
  }
  for (const auto& [err, n] : failed_sends_) r.notes.push_back(std::to_string(n) + " sends failed with " + err);
  // Jepsen's total-queue line, only when something was not simply sent and received once.
  if (r.lost || r.duplicated || r.unexpected || r.indeterminate) {
    r.notes.push_back("total queue: " + std::to_string(r.sent) + " sent, " + std::to_string(r.received) +
                      " received; lost " + std::to_string(r.lost) + ", duplicated " + std::to_string(r.duplicated) +
                      ", unexpected " + std::to_string(r.unexpected) + ", recovered " + std::to_string(r.recovered) +
                      " of " + std::to_string(r.indeterminate) + " indeterminate");
  }
  return std::move(r_);
}

DeliveryReport check_delivery(const History& h, const Contract& c) {
  DeliveryCheck d(h, c);
  for (std::size_t i = 0; i < h.events.size(); ++i) d.add(h.events[i], event_line(i));
  return d.finish();
}

}  // namespace ipch
