// The first checker fires on each kind of bad history, and stays quiet where the contract
// allows what happened.
#include <gtest/gtest.h>

#include "delivery.hpp"

namespace ipch {
namespace {

struct Builder {
  History h;
  Builder() { h.workers = {{0, WorkerRole::sender, 0, 100}, {1, WorkerRole::sender, 1, 101}, {2, WorkerRole::receiver, 0, 102}}; }
  Builder& sent(std::uint32_t sender, std::uint64_t seq, bool completed = true) {
    h.events.push_back({.worker = sender, .kind = EventKind::send_invoked, .sender = sender, .seq = seq, .size = 32});
    if (completed) h.events.push_back({.worker = sender, .kind = EventKind::send_ok, .sender = sender, .seq = seq, .size = 32});
    return *this;
  }
  Builder& got(std::uint32_t sender, std::uint64_t seq, Damage d = Damage::none) {
    h.events.push_back({.worker = 2, .kind = EventKind::received, .damage = d, .sender = sender, .seq = seq, .size = 32});
    return *this;
  }
};

Contract reliable_fifo() { return Contract{}; }

std::vector<std::string> kinds(const DeliveryReport& r) {
  std::vector<std::string> k;
  for (const auto& v : r.violations) k.push_back(v.kind);
  return k;
}

TEST(DeliveryChecker, ACleanHistoryPasses) {
  Builder b;
  b.sent(0, 0).sent(1, 0).sent(0, 1).got(0, 0).got(1, 0).got(0, 1);
  auto r = check_delivery(b.h, reliable_fifo());
  EXPECT_TRUE(r.violations.empty()) << ::testing::PrintToString(kinds(r));
  EXPECT_EQ(r.sent, 3u);
}

TEST(DeliveryChecker, FiresOnEachKind) {
  struct Case {
    const char* kind;
    Builder b;
  };
  std::vector<Case> cases;
  cases.push_back({"lost", Builder().sent(0, 0).sent(0, 1).got(0, 0)});
  cases.push_back({"duplicated", Builder().sent(0, 0).got(0, 0).got(0, 0)});
  cases.push_back({"unexpected", Builder().sent(0, 0).got(0, 0).got(1, 7)});
  cases.push_back({"corrupted", Builder().sent(0, 0).got(0, 0).got(0, 0, Damage::bad_hash)});
  cases.push_back({"reordered", Builder().sent(0, 0).sent(0, 1).got(0, 1).got(0, 0)});
  for (auto& c : cases) {
    auto r = check_delivery(c.b.h, reliable_fifo());
    EXPECT_EQ(kinds(r), std::vector<std::string>{c.kind}) << c.kind;
  }
}

TEST(DeliveryChecker, LossIsOnlyANoteWhenTheContractIsLossy) {
  Contract lossy;
  lossy.delivery = Delivery::lossy;
  auto r = check_delivery(Builder().sent(0, 0).sent(0, 1).got(0, 1).h, lossy);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_EQ(r.lost, 1u);
  EXPECT_FALSE(r.notes.empty());
}

TEST(DeliveryChecker, ReorderIsAllowedWithoutAnOrderingPromise) {
  Contract none;
  none.ordering = Ordering::none;
  EXPECT_TRUE(check_delivery(Builder().sent(0, 0).sent(0, 1).got(0, 1).got(0, 0).h, none).violations.empty());
}

TEST(DeliveryChecker, ASendCutOffInFlightIsIndeterminateNeverLost) {
  auto r = check_delivery(Builder().sent(0, 0).sent(0, 1, false).got(0, 0).h, reliable_fifo());
  EXPECT_TRUE(r.violations.empty());
  EXPECT_EQ(r.indeterminate, 1u);
  auto rec = check_delivery(Builder().sent(0, 0, false).got(0, 0).h, reliable_fifo());
  EXPECT_TRUE(rec.violations.empty()) << "a recovered in-flight send is not unexpected";
}

TEST(DeliveryChecker, OrderIsPerSenderNotGlobal) {
  auto r = check_delivery(Builder().sent(0, 0).sent(1, 0).sent(0, 1).got(1, 0).got(0, 0).got(0, 1).h, reliable_fifo());
  EXPECT_TRUE(r.violations.empty());
}

}  // namespace
}  // namespace ipch
