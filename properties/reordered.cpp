#include "reordered.hpp"

#include <map>
#include <set>
#include <tuple>

namespace ipch {

std::vector<Violation> check_reordered(const History& h, const Contract& c) {
  if (c.ordering == Ordering::none) return {};
  using Msg = std::tuple<std::uint8_t, std::uint32_t, std::uint64_t>;  // (link, sender, seq)
  // The priority (or type) would join this key once the history records it; today it is always 0.
  using Stream = std::tuple<std::uint32_t, std::uint8_t, std::uint32_t>;  // (receiver, link, sender)
  struct Last {
    std::uint64_t seq;
    std::size_t line;
  };
  std::set<Msg> invoked, seen;
  std::map<Stream, Last> last;
  Violations out;
  for (std::size_t i = 0; i < h.events.size(); ++i) {
    const Event& e = h.events[i];
    if (e.kind == EventKind::send_invoked) invoked.insert({e.link, e.sender, e.seq});
    if (e.kind != EventKind::received || e.damage != Damage::none) continue;
    Msg m{e.link, e.sender, e.seq};
    if (!invoked.count(m) || !seen.insert(m).second) continue;
    Stream s{e.worker, e.link, e.sender};
    auto it = last.find(s);
    if (it != last.end() && e.seq < it->second.seq) {
      out.add(kinds::reordered, who(h, e.worker) + " received " + message_id(e.sender, e.seq, e.link) + " after " +
                                    message_id(e.sender, it->second.seq, e.link) + " (" + history_line(i) + ", after " +
                                    history_line(it->second.line) + "); the contract promises " +
                                    std::string(to_string(c.ordering)) + " order per sender",
              {{e.link, e.sender, e.seq}, {e.link, e.sender, it->second.seq}});
      continue;
    }
    last[s] = {e.seq, i};
  }
  return out.take();
}

}  // namespace ipch
