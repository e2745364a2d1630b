#include "reordered.hpp"

#include "delivery.hpp"

namespace ipch {

void ReorderCheck::add(const Event& e, std::uint64_t line) {
  if (c_.ordering == Ordering::none) return;
  auto [it, fresh] = last_.try_emplace({e.worker, e.link, e.sender}, Last{e.seq, line});
  if (fresh) return;
  if (e.seq < it->second.seq) {
    out_.add(kinds::reordered, who(h_, e.worker) + " received " + message_id(e.sender, e.seq, e.link) + " after " +
                                   message_id(e.sender, it->second.seq, e.link) + " (" + history_line(line) + ", after " +
                                   history_line(it->second.line) + "); the contract promises " +
                                   std::string(to_string(c_.ordering)) + " order per sender",
             {{e.link, e.sender, e.seq}, {e.link, e.sender, it->second.seq}});
    return;
  }
  it->second = {e.seq, line};
}

std::vector<Violation> check_reordered(const History& h, const Contract& c) {
  std::vector<Violation> out;
  for (auto& v : check_delivery(h, c).violations)
    if (v.kind == kinds::reordered) out.push_back(std::move(v));
  return out;
}

}  // namespace ipch
