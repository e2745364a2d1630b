// reordered: per-sender FIFO per receiver; fires with both messages and lines as evidence.
#include "reordered.hpp"

#include <gtest/gtest.h>

#include "builder.hpp"

namespace ipch::test {
namespace {

TEST(Reordered, FiresWhenASendersLaterMessageOvertakesAnEarlierOne) {
  auto v = check_reordered(Builder().sent(0, 0).sent(0, 1).got(0, 1).got(0, 0).h, messages());
  ASSERT_EQ(kinds_of(v), std::vector<std::string>{"reordered"});
  EXPECT_NE(v[0].detail.find("receiver-0 (pid 102) received sender 0 seq 0 after sender 0 seq 1"), std::string::npos)
      << v[0].detail;
  EXPECT_NE(v[0].detail.find("history.jsonl line 7, after history.jsonl line 6"), std::string::npos) << v[0].detail;
}

TEST(Reordered, InOrderPerSenderIsQuietEvenWhenSendersInterleave) {
  EXPECT_TRUE(
      check_reordered(Builder().sent(0, 0).sent(1, 0).sent(0, 1).got(1, 0).got(0, 0).got(0, 1).h, messages()).empty());
}

TEST(Reordered, EachReceiverOfASharedQueueSeesAnIncreasingSubsequence) {
  Builder b(1);
  b.h.workers.push_back({2, WorkerRole::receiver, 1, 103});
  b.sent(0, 0).sent(0, 1).sent(0, 2).sent(0, 3).got(0, 1).got_by(2, 0, 0).got_by(2, 0, 2).got(0, 3);
  EXPECT_TRUE(check_reordered(b.h, messages()).empty());
}

TEST(Reordered, NothingIsPromisedWithoutAnOrdering) {
  Contract none;
  none.ordering = Ordering::none;
  EXPECT_TRUE(check_reordered(Builder().sent(0, 0).sent(0, 1).got(0, 1).got(0, 0).h, none).empty());
}

TEST(Reordered, PerPriorityAndPerTypeAreFifoWithinTheOnePriorityRunsUse) {
  for (Ordering o : {Ordering::per_priority, Ordering::per_type}) {
    Contract c;
    c.ordering = o;
    EXPECT_EQ(kinds_of(check_reordered(Builder().sent(0, 0).sent(0, 1).got(0, 1).got(0, 0).h, c)),
              std::vector<std::string>{"reordered"});
  }
}

TEST(Reordered, ARepeatIsDuplicatedNotReordered) {
  EXPECT_TRUE(check_reordered(Builder().sent(0, 0).sent(0, 1).got(0, 0).got(0, 1).got(0, 0).h, messages()).empty());
}

}  // namespace
}  // namespace ipch::test
