#include "integrity.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "framing.hpp"

namespace ipch {

namespace {

// The kind a damaged receipt is reported as (see integrity.hpp), and why, given the senders that
// write `e.link` and the size each message was sent with.
struct Classified {
  std::string_view kind;
  std::string why;
};

Classified classify(const Contract& c, const Event& e, std::size_t writers, std::uint64_t sent_size,
                    std::uint64_t largest) {
  Damage d = e.damage;
  if (c.boundaries) {
    if (d == Damage::bad_length || d == Damage::short_message)
      return {kinds::boundary, "the contract keeps message boundaries, so a message arrived split or merged"};
    return {kinds::corrupted, "its bytes changed"};
  }
  std::size_t n = writers;
  if (n < 2 || d == Damage::bad_body) {
    return {kinds::corrupted, n < 2 ? "one sender writes this byte stream, so its framing broke" : "its bytes changed"};
  }
  // The message the frame carried: its sent size when the header names a sent message, else
  // the largest sent on this link (the torn frame could be any of them).
  bool known = names_its_message(d) && sent_size > 0;
  std::uint64_t size = known ? sent_size : (largest ? largest : e.size);
  std::uint64_t frame = size + framing::kHeader;
  std::string what = (known ? "that message is " : "the largest message sent is ") + std::to_string(size) + " B + " +
                     std::to_string(framing::kHeader) + " B frame = " + std::to_string(frame) + " B";
  std::string ws = std::to_string(n) + " senders write this byte stream; ";
  if (c.atomic_write_limit == 0) return {kinds::torn, ws + what + ", and the contract makes every message atomic"};
  if (frame <= c.atomic_write_limit) {
    return {kinds::torn, ws + what + " <= the atomic write limit " + std::to_string(c.atomic_write_limit) +
                             " B, so concurrent writes interleaved"};
  }
  return {kinds::corrupted, ws + what + " > the atomic write limit " + std::to_string(c.atomic_write_limit) +
                                " B: the kernel may interleave such writes, so the sender must not share the stream"};
}

}  // namespace

bool names_its_message(Damage d) {
  return d == Damage::bad_length || d == Damage::bad_hash || d == Damage::bad_body;
}

void IntegrityCheck::add(const Event& e, std::uint64_t line) {
  if (e.kind == EventKind::send_invoked) {
    writers_[e.link].insert(e.sender);
    largest_[e.link] = std::max(largest_[e.link], e.size);
    if (c_.boundaries) return;  // sizes only matter for a torn frame of a byte stream
    Key k{e.link, e.sender, e.seq};
    if (auto w = wanted_.find(k); w != wanted_.end()) {
      for (std::size_t i : w->second) damaged_[i].sent_size = e.size;
      wanted_.erase(w);
    }
    in_flight_[k] = e.size;
    return;
  }
  if (e.kind != EventKind::received) return;
  // Where each receipt sits in what its receiver read on its link: the n-th message, at byte b
  // (counting each frame's 4 B length on a byte stream), so a reader can find it in a dump.
  auto& [count, offset] = at_[{e.worker, e.link}];
  std::uint64_t nth = ++count, byte = offset;
  offset += e.size + (c_.boundaries ? 0 : framing::kHeader);
  Key k{e.link, e.sender, e.seq};
  if (e.damage == Damage::none) {
    if (!c_.boundaries) in_flight_.erase(k);
    return;
  }
  Damaged d{e, line, nth, byte, 0};
  if (names_its_message(e.damage) && !c_.boundaries) {
    if (auto s = in_flight_.find(k); s != in_flight_.end()) d.sent_size = s->second;
    else wanted_[k].push_back(damaged_.size());
  }
  damaged_.push_back(d);
}

std::vector<Violation> IntegrityCheck::finish(std::string_view only) {
  Violations out;
  for (const Damaged& d : damaged_) {
    const Event& e = d.e;
    auto w = writers_.find(e.link);
    auto l = largest_.find(e.link);
    Classified k = classify(c_, e, w == writers_.end() ? 0 : w->second.size(), d.sent_size,
                            l == largest_.end() ? 0 : l->second);
    if (!only.empty() && k.kind != only) continue;
    std::string msg = names_its_message(e.damage) ? " claiming to be " + message_id(e.sender, e.seq, e.link) : "";
    std::string where =
        "its message #" + std::to_string(d.nth) + (c_.boundaries ? "" : " at byte " + std::to_string(d.byte));
    out.add(k.kind, who(h_, e.worker) + " received " + std::to_string(e.size) + " B" + msg + ", " + where + ": " +
                        std::string(to_string(e.damage)) + "; " + k.why + " (" + history_line(d.line) + ")",
            names_its_message(e.damage) ? std::vector<MessageId>{{e.link, e.sender, e.seq}} : std::vector<MessageId>{});
  }
  return out.take();
}

namespace {
std::vector<Violation> damaged(const History& h, const Contract& c, std::string_view only) {
  IntegrityCheck check(h, c);
  for (std::size_t i = 0; i < h.events.size(); ++i) check.add(h.events[i], event_line(i));
  return check.finish(only);
}
}  // namespace

std::vector<Violation> check_corrupted(const History& h, const Contract& c) {
  return damaged(h, c, kinds::corrupted);
}
std::vector<Violation> check_boundary(const History& h, const Contract& c) {
  return damaged(h, c, kinds::boundary);
}
std::vector<Violation> check_torn(const History& h, const Contract& c) {
  return damaged(h, c, kinds::torn);
}
std::vector<Violation> check_integrity(const History& h, const Contract& c) {
  return damaged(h, c, "");
}

}  // namespace ipch
