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

class Classifier {
 public:
  Classifier(const History& h, const Contract& c) : c_(c) {
    for (const Event& e : h.events) {
      if (e.kind != EventKind::send_invoked) continue;
      writers_[e.link].insert(e.sender);
      sizes_[{e.link, e.sender, e.seq}] = e.size;
      largest_[e.link] = std::max(largest_[e.link], e.size);
    }
  }

  Classified operator()(const Event& e) const {
    Damage d = e.damage;
    if (c_.boundaries) {
      if (d == Damage::bad_length || d == Damage::short_message)
        return {kinds::boundary, "the contract keeps message boundaries, so a message arrived split or merged"};
      return {kinds::corrupted, "its bytes changed"};
    }
    auto w = writers_.find(e.link);
    std::size_t n = w == writers_.end() ? 0 : w->second.size();
    if (n < 2 || d == Damage::bad_body) {
      return {kinds::corrupted,
              n < 2 ? "one sender writes this byte stream, so its framing broke" : "its bytes changed"};
    }
    // The message the frame carried: its sent size when the header names a sent message, else
    // the largest sent on this link (the torn frame could be any of them).
    auto s = names_its_message(d) ? sizes_.find({e.link, e.sender, e.seq}) : sizes_.end();
    bool known = s != sizes_.end();
    auto l = largest_.find(e.link);
    std::uint64_t size = known ? s->second : (l == largest_.end() ? e.size : l->second);
    std::uint64_t frame = size + framing::kHeader;
    std::string what = (known ? "that message is " : "the largest message sent is ") + std::to_string(size) + " B + " +
                       std::to_string(framing::kHeader) + " B frame = " + std::to_string(frame) + " B";
    std::string writers = std::to_string(n) + " senders write this byte stream; ";
    if (c_.atomic_write_limit == 0)
      return {kinds::torn, writers + what + ", and the contract makes every message atomic"};
    if (frame <= c_.atomic_write_limit) {
      return {kinds::torn, writers + what + " <= the atomic write limit " + std::to_string(c_.atomic_write_limit) +
                               " B, so concurrent writes interleaved"};
    }
    return {kinds::corrupted, writers + what + " > the atomic write limit " + std::to_string(c_.atomic_write_limit) +
                                  " B: the kernel may interleave such writes, so the sender must not share the stream"};
  }

 private:
  const Contract& c_;
  std::map<std::uint8_t, std::set<std::uint32_t>> writers_;
  std::map<std::tuple<std::uint8_t, std::uint32_t, std::uint64_t>, std::uint64_t> sizes_;
  std::map<std::uint8_t, std::uint64_t> largest_;
};

// Every damaged receipt, classified; only those of kind `only` unless it is empty.
std::vector<Violation> damaged(const History& h, const Contract& c, std::string_view only) {
  Classifier classify(h, c);
  Violations out;
  // Where each receipt sits in what its receiver read on its link: the n-th message, at byte b
  // (counting each frame's 4 B length on a byte stream), so a reader can find it in a dump.
  std::map<std::pair<std::uint32_t, std::uint8_t>, std::pair<std::uint64_t, std::uint64_t>> at;
  for (std::size_t i = 0; i < h.events.size(); ++i) {
    const Event& e = h.events[i];
    if (e.kind != EventKind::received) continue;
    auto& [count, offset] = at[{e.worker, e.link}];
    std::uint64_t nth = ++count, byte = offset;
    offset += e.size + (c.boundaries ? 0 : framing::kHeader);
    if (e.damage == Damage::none) continue;
    Classified k = classify(e);
    if (!only.empty() && k.kind != only) continue;
    std::string msg = names_its_message(e.damage) ? " claiming to be " + message_id(e.sender, e.seq, e.link) : "";
    std::string where =
        "its message #" + std::to_string(nth) + (c.boundaries ? "" : " at byte " + std::to_string(byte));
    out.add(k.kind, who(h, e.worker) + " received " + std::to_string(e.size) + " B" + msg + ", " + where + ": " +
                        std::string(to_string(e.damage)) + "; " + k.why + " (" + history_line(i) + ")",
            names_its_message(e.damage) ? std::vector<MessageId>{{e.link, e.sender, e.seq}} : std::vector<MessageId>{});
  }
  return out.take();
}

}  // namespace

bool names_its_message(Damage d) {
  return d == Damage::bad_length || d == Damage::bad_hash || d == Damage::bad_body;
}

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
