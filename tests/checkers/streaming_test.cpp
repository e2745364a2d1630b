// The checkers as they run: online, one event at a time, in the runner's read order (a receipt
// may come before the send it received), in memory that grows with what is in flight, and the
// same report from history.jsonl read back as from the events in memory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "builder.hpp"
#include "check.hpp"
#include "history_reader.hpp"
#include "seq_set.hpp"

namespace ipch::test {
namespace {

TEST(SeqSet, InOrderSequenceNumbersCostOneRangeAndGapsAreFound) {
  SeqSet s, none;
  for (std::uint64_t i = 0; i < 100000; ++i) EXPECT_TRUE(s.insert(i));
  EXPECT_FALSE(s.insert(5));
  EXPECT_EQ(s.size(), 100000u);
  EXPECT_EQ(s.ranges(), 1u);
  SeqSet got;
  for (std::uint64_t i = 0; i < 100000; ++i)
    if (i != 7 && i != 99999) got.insert(i);
  got.insert(200);  // out of order
  std::vector<std::uint64_t> missing;
  s.each_not_in(got, none, [&](std::uint64_t q) { missing.push_back(q); });
  EXPECT_EQ(missing, (std::vector<std::uint64_t>{7, 99999}));
  EXPECT_EQ(got.ranges(), 2u);
}

TEST(Streaming, AReceiptReadBeforeItsSendIsNeitherUnexpectedNorLost) {
  Builder b(1);
  b.got(0, 0).sent(0, 0).sent(0, 1).got(0, 1);
  Contract c = messages();
  DeliveryReport d = check_delivery(b.h, c);
  EXPECT_TRUE(d.violations.empty()) << d.violations.front().detail;
  EXPECT_EQ(d.unexpected, 0u);
  EXPECT_EQ(d.lost, 0u);
}

TEST(Streaming, AReceiptNeverSentIsStillUnexpectedAndARepeatBeforeItsSendStillDuplicated) {
  Builder b(1);
  b.got(0, 0).got(0, 0).sent(0, 0).got(0, 5);
  DeliveryReport d = check_delivery(b.h, messages());
  EXPECT_EQ(kinds_of(d.violations), (std::vector<std::string>{"duplicated", "unexpected"}));
  EXPECT_EQ(d.duplicated, 1u);
  EXPECT_EQ(d.unexpected, 1u);
}

TEST(Streaming, DuplicatesPastTheListedOnesAreCounted) {
  Builder b(1);
  for (std::uint64_t i = 0; i < 30; ++i) b.sent(0, i).got(0, i).got(0, i);
  DeliveryReport d = check_delivery(b.h, messages());
  EXPECT_EQ(d.duplicated, 30u);
  ASSERT_EQ(d.violations.size(), 21u);
  EXPECT_EQ(d.violations.back().detail, "and 10 more duplicated");
}

// Written with a header and read back, a history gives the report the events in memory gave.
TEST(Streaming, AHistoryReadBackIsJudgedAsInMemory) {
  Builder b(2);
  b.sent(0, 0).sent(0, 1).sent(1, 0).sent(1, 1, false).got(0, 1).got(0, 0).got(1, 0, Damage::bad_hash).got(1, 9);
  b.fault("kill-receiver", FaultAction::killed, b.receiver);
  RunOutcome r;
  r.history = b.h;
  r.contract = pipe_like();
  r.deadlock = true;
  r.stalled_ms = 1500;
  Blocked blocked;
  blocked.pid = 102;
  blocked.role = "receiver-0";
  blocked.syscall = "read";
  blocked.fd = 3;
  r.diagnosis = {blocked};
  r.leftovers = {"pipe:[1]"};
  Report mem = check_all(r);
  std::string path = (std::filesystem::temp_directory_path() / ("ipch-stream-" + std::to_string(::getpid()))).string();
  ASSERT_TRUE(write_run_history(path, r, mem, {}));
  auto reader = HistoryReader::open(path);
  ASSERT_TRUE(reader) << reader.error();
  History head;
  head.workers = reader->head().workers;
  head.faults = reader->head().faults;
  Checkers checkers(head, reader->head().contract);
  for (;;) {
    auto item = reader->next();
    ASSERT_TRUE(item) << item.error();
    if (!*item) break;
    checkers.add((*item)->event, (*item)->line);
  }
  auto ending = ending_of(*reader->end());
  ASSERT_TRUE(ending) << ending.error();
  Report file = checkers.finish(*ending);
  std::filesystem::remove(path);
  EXPECT_EQ(file.verdict, mem.verdict);
  EXPECT_EQ(mem.verdict, "deadlock");
  ASSERT_EQ(file.violations.size(), mem.violations.size());
  for (std::size_t i = 0; i < mem.violations.size(); ++i) {
    EXPECT_EQ(file.violations[i].kind, mem.violations[i].kind);
    EXPECT_EQ(file.violations[i].detail, mem.violations[i].detail);
  }
  EXPECT_EQ(file.notes, mem.notes);
}

}  // namespace
}  // namespace ipch::test
