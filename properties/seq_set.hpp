// A set of sequence numbers as disjoint ranges: a sender's messages, sent and received mostly in
// order, cost one range, not one entry each. Memory grows with the gaps (messages still in flight,
// or lost), never with the count.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>

namespace ipch {

class SeqSet {
 public:
  // True iff `s` was not in the set.
  bool insert(std::uint64_t s) {
    auto next = r_.upper_bound(s);  // first range starting after s
    if (next != r_.begin()) {
      auto prev = std::prev(next);
      if (s < prev->second) return false;
      if (s == prev->second) {  // extends prev; may join next
        prev->second = s + 1;
        if (next != r_.end() && next->first == s + 1) {
          prev->second = next->second;
          r_.erase(next);
        }
        ++count_;
        return true;
      }
    }
    if (next != r_.end() && next->first == s + 1) {
      std::uint64_t end = next->second;
      r_.erase(next);
      r_.emplace(s, end);
    } else {
      r_.emplace(s, s + 1);
    }
    ++count_;
    return true;
  }
  bool contains(std::uint64_t s) const {
    auto next = r_.upper_bound(s);
    return next != r_.begin() && s < std::prev(next)->second;
  }
  std::uint64_t size() const { return count_; }
  std::size_t ranges() const { return r_.size(); }
  // Calls f(s) for every s in this set and in neither `a` nor `b`, in order.
  template <class F>
  void each_not_in(const SeqSet& a, const SeqSet& b, F&& f) const {
    for (auto [lo, hi] : r_) {
      std::uint64_t s = lo;
      while (s < hi) {
        std::uint64_t skip = std::max(a.covered_from(s), b.covered_from(s));
        if (skip > s) {
          s = skip;
          continue;
        }
        f(s);
        ++s;
      }
    }
  }

 private:
  // The end of the range holding s, or s if none does.
  std::uint64_t covered_from(std::uint64_t s) const {
    auto next = r_.upper_bound(s);
    if (next == r_.begin()) return s;
    auto prev = std::prev(next);
    return s < prev->second ? prev->second : s;
  }

  std::map<std::uint64_t, std::uint64_t> r_;  // [first, end)
  std::uint64_t count_ = 0;
};

}  // namespace ipch
