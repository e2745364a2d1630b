// Delivery, as Jepsen's total-queue checker sees a queue: every message sent is received once,
// intact, and in order where the contract promises order. A function of (history, contract),
// computed online: one pass over the events, in the order they are judged.
//
// Kinds:
//   lost        sent (send completed) and never received, under a reliable contract; under a lossy
//               one, or with a receiver the fault plan killed, only a note
//   duplicated  received more than once; a send cut off in flight (invoked, never completed) is
//               indeterminate and may arrive at most once, so twice is duplicated too
//   unexpected  received intact, but never sent by anyone (by the end of the history: a receipt
//               read before its send, as the runner may across two pipes, is not unexpected)
//   reordered   see reordered.hpp
//   corrupted, boundary, torn: damaged messages, see integrity.hpp
// An indeterminate send that arrives is "recovered", never unexpected; one that does not is
// not lost. A message that arrived damaged (its header still naming it) is reported by its
// damage, not also as lost. The notes carry the total-queue summary.
//
// Memory: per sender, the sequence numbers sent, completed and received as ranges (SeqSet), so
// it grows with the messages in flight or lost, not with those delivered.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "contract.hpp"
#include "history.hpp"
#include "integrity.hpp"
#include "reordered.hpp"
#include "seq_set.hpp"
#include "violation.hpp"

namespace ipch {

struct DeliveryReport {
  std::vector<Violation> violations;  // damage kinds, then unexpected/duplicated, reordered, lost
  std::vector<std::string> notes;     // allowed losses, recovered sends, failed sends by errno, the summary
  std::uint64_t sent = 0;             // sends completed
  std::uint64_t received = 0;         // receipts, damaged ones included
  std::uint64_t lost = 0;             // completed, never arrived (allowed or not)
  std::uint64_t indeterminate = 0;    // invoked, never completed
  std::uint64_t duplicated = 0;       // receipts beyond the first of a message
  std::uint64_t unexpected = 0;       // intact receipts of messages nobody sent
  std::uint64_t recovered = 0;        // indeterminate sends that arrived
};

class DeliveryCheck {
 public:
  // `head`: the run's workers and faults, read when a violation names one; it may grow (a
  // restart) while events come, and must outlive this. Its events are not read.
  DeliveryCheck(const History& head, const Contract& c);
  // The next event; `line` is where it is in history.jsonl.
  void add(const Event& e, std::uint64_t line);
  DeliveryReport finish();

 private:
  struct Stream {
    SeqSet invoked, completed, received, damaged;
  };
  using Key = std::tuple<std::uint8_t, std::uint32_t, std::uint64_t>;  // (link, sender, seq)
  struct Orphan {  // intact receipts of a message not (yet) sent
    std::uint64_t line;
    std::uint32_t worker;
    std::uint64_t count;
  };
  struct Listed {
    std::uint64_t line;
    Violation v;
  };
  Stream& stream(std::uint8_t link, std::uint32_t sender) { return streams_[{link, sender}]; }
  void duplicate(const Key& k, std::uint32_t worker, std::uint64_t times, std::uint64_t line);
  std::string taken_before_kill(const Key& k) const;

  const History& h_;
  const Contract& c_;
  IntegrityCheck integrity_;
  ReorderCheck reordered_;
  DeliveryReport r_;
  std::map<std::pair<std::uint8_t, std::uint32_t>, Stream> streams_;
  std::map<Key, Orphan> orphans_;
  std::map<Key, std::uint64_t> times_;  // receipts of a duplicated message so far
  std::vector<Listed> duplicates_;      // the first few; the rest counted
  std::uint64_t duplicates_unlisted_ = 0;
  std::map<std::string, std::uint64_t> failed_sends_;
  std::vector<std::uint32_t> killed_;   // receivers (servers, clients) the fault plan killed
  // The highest seq each receiver wrote out intact, per (receiver, link, sender).
  std::map<std::tuple<std::uint32_t, std::uint8_t, std::uint32_t>, std::uint64_t> last_intact_;
};

DeliveryReport check_delivery(const History& h, const Contract& c);

}  // namespace ipch
