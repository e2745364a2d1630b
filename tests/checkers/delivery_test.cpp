// The total-queue checker (lost, duplicated, unexpected, recovered) fires on bad histories with
// the message as evidence, and stays quiet where the contract allows what happened.
#include "delivery.hpp"

#include <gtest/gtest.h>

#include "builder.hpp"

namespace ipch::test {
namespace {

bool mentions(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

TEST(Delivery, ACleanHistoryIsQuietAndNeedsNoSummary) {
  auto r = check_delivery(Builder().sent(0, 0).sent(1, 0).sent(0, 1).got(0, 0).got(1, 0).got(0, 1).h, messages());
  EXPECT_TRUE(r.violations.empty()) << ::testing::PrintToString(kinds_of(r.violations));
  EXPECT_TRUE(r.notes.empty()) << ::testing::PrintToString(r.notes);
  EXPECT_EQ(r.sent, 3u);
  EXPECT_EQ(r.received, 3u);
}

TEST(Delivery, LostNamesTheMessage) {
  auto r = check_delivery(Builder().sent(0, 0).sent(0, 1).got(0, 0).h, messages());
  ASSERT_EQ(kinds_of(r.violations), std::vector<std::string>{"lost"});
  EXPECT_TRUE(mentions(r.violations[0].detail, "sender 0 seq 1")) << r.violations[0].detail;
  EXPECT_EQ(r.lost, 1u);
}

TEST(Delivery, DuplicatedNamesTheMessageTheReceiverAndTheLine) {
  auto r = check_delivery(Builder().sent(0, 0).got(0, 0).got(0, 0).h, messages());
  ASSERT_EQ(kinds_of(r.violations), std::vector<std::string>{"duplicated"});
  const auto& d = r.violations[0].detail;
  EXPECT_TRUE(mentions(d, "receiver-0 (pid 102)") && mentions(d, "sender 0 seq 0") && mentions(d, "2 times") &&
              mentions(d, "history.jsonl line 5"))
      << d;
  EXPECT_EQ(r.duplicated, 1u);
}

TEST(Delivery, UnexpectedNamesTheMessageNobodySent) {
  auto r = check_delivery(Builder().sent(0, 0).got(0, 0).got(1, 7).h, messages());
  ASSERT_EQ(kinds_of(r.violations), std::vector<std::string>{"unexpected"});
  EXPECT_TRUE(mentions(r.violations[0].detail, "sender 1 seq 7")) << r.violations[0].detail;
  EXPECT_EQ(r.unexpected, 1u);
}

TEST(Delivery, AnIndeterminateSendMayArriveOnceButNotTwice) {
  auto once = check_delivery(Builder().sent(0, 0, false).got(0, 0).h, messages());
  EXPECT_TRUE(once.violations.empty());
  EXPECT_EQ(once.recovered, 1u);
  auto never = check_delivery(Builder().sent(0, 0, false).h, messages());
  EXPECT_TRUE(never.violations.empty()) << "a send cut off in flight is never lost";
  EXPECT_EQ(never.indeterminate, 1u);
  auto twice = check_delivery(Builder().sent(0, 0, false).got(0, 0).got(0, 0).h, messages());
  ASSERT_EQ(kinds_of(twice.violations), std::vector<std::string>{"duplicated"});
  EXPECT_TRUE(mentions(twice.violations[0].detail, "cut off in flight")) << twice.violations[0].detail;
}

TEST(Delivery, NotesCarryTheTotalQueueSummary) {
  auto r =
      check_delivery(Builder().sent(0, 0).sent(0, 1).sent(0, 2, false).got(0, 0).got(0, 0).got(0, 2).h, messages());
  ASSERT_FALSE(r.notes.empty());
  EXPECT_EQ(r.notes.back(),
            "total queue: 2 sent, 3 received; lost 1, duplicated 1, unexpected 0, recovered 1 of 1 indeterminate");
}

TEST(Delivery, LossIsANoteWhereTheContractIsLossyOrTheReceiverWasKilled) {
  Contract lossy;
  lossy.delivery = Delivery::lossy;
  auto r = check_delivery(Builder().sent(0, 0).sent(0, 1).got(0, 1).h, lossy);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_EQ(r.lost, 1u);
  Builder killed;
  killed.sent(0, 0).sent(0, 1).fault("kill-receiver", FaultAction::killed, killed.receiver);
  EXPECT_TRUE(check_delivery(killed.h, messages()).violations.empty());
}

TEST(Delivery, AMessageThatArrivedDamagedIsNotAlsoLost) {
  auto r = check_delivery(Builder().sent(0, 0).got(0, 0, Damage::bad_hash).h, messages());
  EXPECT_EQ(kinds_of(r.violations), std::vector<std::string>{"corrupted"});
  EXPECT_EQ(r.lost, 0u);
}

TEST(Delivery, ListsTwentyPerKindThenCounts) {
  Builder b(1);
  for (std::uint64_t i = 0; i < 25; ++i) b.sent(0, i);
  auto r = check_delivery(b.h, messages());
  ASSERT_EQ(r.violations.size(), 21u);
  EXPECT_EQ(r.violations.back().detail, "and 5 more lost");
}

// A user's declared window (check --contract window=N): a killed receiver may take N messages
// down with it per kill, and no more.
TEST(Delivery, AKilledReceiverMayLoseItsWindowAndNoMore) {
  // receiver-0 (worker 2) is killed; receiver-1 (worker 3) takes over the channel.
  auto restarted = [] {
    Builder b;
    b.h.workers.push_back({3, WorkerRole::receiver, 1, 103});
    return b;
  };
  Contract c = messages();
  c.killed_receiver_window = 1;
  auto within = check_delivery(
      restarted().sent(0, 0).sent(0, 1).fault("kill-receiver", FaultAction::killed, 2).got_by(3, 0, 1).h, c);
  EXPECT_TRUE(within.violations.empty()) << ::testing::PrintToString(kinds_of(within.violations));
  auto over = check_delivery(
      restarted().sent(0, 0).sent(0, 1).sent(0, 2).fault("kill-receiver", FaultAction::killed, 2).got_by(3, 0, 2).h, c);
  ASSERT_EQ(kinds_of(over.violations), (std::vector<std::string>{"lost", "lost"}));
  EXPECT_TRUE(mentions(over.violations[0].detail, "over the declared window of 1")) << over.violations[0].detail;
  c.killed_receiver_window = 0;
  auto any = check_delivery(
      restarted().sent(0, 0).sent(0, 1).sent(0, 2).fault("kill-receiver", FaultAction::killed, 2).got_by(3, 0, 2).h, c);
  EXPECT_TRUE(any.violations.empty()) << "window 0: our own workers' losses on a kill are the fault's";
}

// Under fifo a killed receiver can only take down messages after the last one it wrote out: a
// gap before that is a loss the kill does not explain (a mechanism that drops every 7th message
// must not hide behind kill-receiver).
TEST(Delivery, AKillExplainsOnlyLossesAfterTheKilledReceiversLastMessage) {
  auto gap = check_delivery(Builder()
                                .sent(0, 0).sent(0, 1).sent(0, 2).sent(0, 3)
                                .got(0, 0).got(0, 2)
                                .fault("kill-receiver", FaultAction::killed, 2)
                                .h,
                            messages());
  ASSERT_EQ(kinds_of(gap.violations), std::vector<std::string>{"lost"});
  EXPECT_TRUE(mentions(gap.violations[0].detail, "sender 0 seq 1") &&
              mentions(gap.violations[0].detail, "in fifo order it took this one before that"))
      << gap.violations[0].detail;
  Contract unordered = messages();
  unordered.ordering = Ordering::none;
  auto no_order = check_delivery(Builder()
                                     .sent(0, 0).sent(0, 1).sent(0, 2).sent(0, 3)
                                     .got(0, 0).got(0, 2)
                                     .fault("kill-receiver", FaultAction::killed, 2)
                                     .h,
                                 unordered);
  EXPECT_TRUE(no_order.violations.empty()) << "without order any loss may have died with the receiver";
}

}  // namespace
}  // namespace ipch::test
