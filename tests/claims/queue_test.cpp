// The message queue claims: each judgement fed measurements that must give each verdict it can
// reach, and each experiment run for real (quick) with the verdict Linux gives, leaving no
// queue and no process behind.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>

#include "leaks.hpp"
#include "objects.hpp"
#include "queue_checks.hpp"

namespace ipch::claims {
namespace {

const std::string kReplay = "ipc-harness claims --only x --seed 7";

Context quick(std::uint64_t seed) {
  Context c;
  c.quick = true;
  c.seed = seed;
  c.replay = kReplay;
  return c;
}

void expect_evidence(const Finding& f) {
  EXPECT_FALSE(f.runs.empty());
  EXPECT_FALSE(f.evidence.empty());
  for (const auto& e : f.evidence) EXPECT_FALSE(e.empty());
  for (const auto& r : f.runs) EXPECT_FALSE(r.empty());
}

void expect_nothing_left() {
  EXPECT_TRUE(objects::live().empty());
  EXPECT_TRUE(test::leftovers().empty()) << ::testing::PrintToString(test::leftovers());
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child is left";
  EXPECT_EQ(errno, ECHILD);
}

std::string all(const Finding& f) {
  std::string s = std::string(to_string(f.verdict)) + ": " + f.condition;
  for (const auto& r : f.runs) s += "\n  run: " + r;
  for (const auto& e : f.evidence) s += "\n  " + e;
  for (const auto& c : f.counterexamples) s += "\n  counterexample: " + c.summary;
  return s;
}

// ---- queue-keeps-until-read

KeepRun clean_keep(const std::string& mech, std::uint32_t n) {
  KeepRun r;
  r.mechanism = mech;
  r.sent = n;
  r.bytes = 100 * n;
  r.sender_end = "exit 0";
  r.first_read = n / 2;
  r.first_end = "killed by SIGKILL";
  r.second_read = n - n / 2;
  r.lanes = {"sender", "receiver-1", "receiver-2"};
  for (std::uint32_t i = 0; i < n; ++i) r.traces.push_back({i, 0, double(i), i < n / 2 ? 1u : 2u, 50.0 + i, false, ""});
  return r;
}

TEST(QueueClaimsKeeps, EveryMessageReadGivesHolds) {
  KeepMeasurement m{{clean_keep("sysv-msg", 40), clean_keep("posix-mq", 10)}};
  Finding f = judge_keeps(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
}

TEST(QueueClaimsKeeps, MessagesGoneWithTheKilledReceiverGiveRefutedNamingThem) {
  KeepRun r = clean_keep("posix-mq", 10);
  r.second_read = 3;
  r.missing = {5, 6};
  r.traces[5].to_lane.reset();
  r.traces[6].to_lane.reset();
  Finding f = judge_keeps({{clean_keep("sysv-msg", 40), r}}, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("#5, #6"), std::string::npos) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_EQ(f.counterexamples[0].replay, kReplay);
  ASSERT_TRUE(f.counterexamples[0].timeline.has_value());
  EXPECT_FALSE(f.counterexamples[0].timeline->marks.empty());
}

TEST(QueueClaimsKeeps, OutOfOrderOrDamagedGivesRefuted) {
  KeepRun r = clean_keep("sysv-msg", 20);
  r.out_of_order = 1;
  EXPECT_EQ(judge_keeps({{r}}, kReplay).verdict, Verdict::refuted);
  r.out_of_order = 0;
  r.damaged = 1;
  EXPECT_EQ(judge_keeps({{r}}, kReplay).verdict, Verdict::refuted);
  EXPECT_EQ(judge_keeps({}, kReplay).verdict, Verdict::not_checked);
}

// ---- sysv-msg-by-type

TEST(QueueClaimsByType, SelectFollowsMsgrcv) {
  std::vector<TypedMessage> q{{0, 3}, {1, 1}, {2, 2}, {3, 1}, {4, 5}};
  EXPECT_EQ(select(q, TypeOp::first, 0), 0u);
  EXPECT_EQ(select(q, TypeOp::exact, 1), 1u);
  EXPECT_EQ(select(q, TypeOp::exact, 4), std::nullopt);
  EXPECT_EQ(select(q, TypeOp::lowest, 5), 1u);  // the lowest type (1), its first message
  EXPECT_EQ(select(q, TypeOp::lowest, 2), 1u);
  EXPECT_EQ(select(q, TypeOp::lowest, 0), std::nullopt);
  EXPECT_EQ(select(q, TypeOp::except, 3), 1u);
  EXPECT_EQ(select({{0, 2}, {1, 2}}, TypeOp::except, 2), std::nullopt);
  EXPECT_EQ(select({}, TypeOp::first, 0), std::nullopt);
}

TEST(QueueClaimsByType, ReceivesAsTheLogSelectsGiveHoldsAndOneOtherGivesRefuted) {
  ByTypeRound r;
  r.sent = {{0, 3}, {1, 1}, {2, 2}, {3, 1}};
  r.received = {{TypeOp::exact, 2, TypedMessage{2, 2}, true},  {TypeOp::exact, 4, std::nullopt, true},
                {TypeOp::lowest, 3, TypedMessage{1, 1}, true}, {TypeOp::except, 1, TypedMessage{0, 3}, true},
                {TypeOp::first, 0, TypedMessage{3, 1}, true},  {TypeOp::first, 0, std::nullopt, true}};
  Finding f = judge_by_type({{r}}, kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);

  ByTypeRound arrival = r;  // a queue that ignored the type and gave the oldest
  arrival.received[0].got = TypedMessage{0, 3};
  f = judge_by_type({{arrival}}, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("selects #2"), std::string::npos) << f.condition;
  EXPECT_EQ(f.counterexamples.size(), 1u);

  ByTypeRound damaged = r;
  damaged.received[2].intact = false;
  EXPECT_EQ(judge_by_type({{damaged}}, kReplay).verdict, Verdict::refuted);
  EXPECT_EQ(judge_by_type({}, kReplay).verdict, Verdict::not_checked);
}

// ---- queue-priorities

TEST(QueueClaimsPriorities, ExpectedOrderIsStable) {
  std::vector<PrioMessage> sent{{0, 1}, {1, 3}, {2, 1}, {3, 3}, {4, 0}};
  auto hi = expected_order(sent, Order::highest_priority_first);
  std::vector<std::uint32_t> seqs;
  for (auto& m : hi) seqs.push_back(m.seq);
  EXPECT_EQ(seqs, (std::vector<std::uint32_t>{1, 3, 0, 2, 4}));
  seqs.clear();
  for (auto& m : expected_order(sent, Order::lowest_type_first)) seqs.push_back(m.seq);
  EXPECT_EQ(seqs, (std::vector<std::uint32_t>{4, 0, 2, 1, 3}));
  EXPECT_EQ(expected_order(sent, Order::arrival).front().seq, 0u);
}

TEST(QueueClaimsPriorities, RightOrderHoldsAndFifoBrokenWithinAPriorityIsRefuted) {
  PrioRound r;
  r.mechanism = "posix-mq";
  r.order = Order::highest_priority_first;
  r.sent = {{0, 1}, {1, 3}, {2, 1}, {3, 3}};
  r.received = expected_order(r.sent, r.order);
  PrioRound s = r;
  s.mechanism = "sysv-msg";
  s.order = Order::lowest_type_first;
  s.received = expected_order(s.sent, s.order);
  Finding f = judge_priorities({{r, s}}, kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);

  PrioRound lifo = r;  // highest first, but LIFO within a priority
  std::swap(lifo.received[0], lifo.received[1]);
  f = judge_priorities({{lifo}}, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("receive 1"), std::string::npos) << f.condition;

  PrioRound arrival = r;  // a queue with no priorities at all
  arrival.received = r.sent;
  EXPECT_EQ(judge_priorities({{arrival}}, kReplay).verdict, Verdict::refuted);
  PrioRound short_round = r;
  short_round.received.pop_back();
  f = judge_priorities({{short_round}}, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("receive 4 gave nothing"), std::string::npos) << f.condition;
  EXPECT_EQ(judge_priorities({}, kReplay).verdict, Verdict::not_checked);
}

// ---- queue-sender-never-blocks

FillRun fill(const std::string& mech, std::uint64_t room) {
  FillRun r;
  r.mechanism = mech;
  r.message_size = 1024;
  r.room = room;
  r.limit = mech == "posix-mq" ? "mq_maxmsg 10" : "msg_qbytes 16384 B";
  r.bound = 1000;
  r.blocking_sent = room;
  r.blocked_in = mech == "posix-mq" ? "wq_sleep" : "do_msgsnd";
  r.queued = room;
  r.nonblocking_sent = room;
  r.nonblocking_errno = EAGAIN;
  r.lane = mech + " sender";
  r.send_ms = {1, 2, 3};
  r.blocked_ms = 10;
  r.killed_ms = 11;
  return r;
}

TEST(QueueClaimsFill, BlockingAtTheLimitIsHoldsOnlyIfWithTheLimitsInTheCondition) {
  Finding f = judge_fill({{fill("posix-mq", 10), fill("sysv-msg", 16)}}, kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if) << all(f);
  EXPECT_NE(f.condition.find("posix-mq took 10 messages (mq_maxmsg 10)"), std::string::npos) << f.condition;
  EXPECT_NE(f.condition.find("sysv-msg took 16 messages of 1024 B (msg_qbytes 16384 B)"), std::string::npos)
      << f.condition;
  expect_evidence(f);
  ASSERT_EQ(f.counterexamples.size(), 1u);
  ASSERT_TRUE(f.counterexamples[0].timeline.has_value());
  EXPECT_EQ(f.counterexamples[0].timeline->lanes.size(), 2u);
}

TEST(QueueClaimsFill, NeverBlockingHoldsAndBlockingWithRoomIsRefuted) {
  FillRun free = fill("posix-mq", 10);
  free.blocked_in.reset();
  free.blocking_sent = free.nonblocking_sent = free.bound;
  free.nonblocking_errno = 0;
  EXPECT_EQ(judge_fill({{free}}, kReplay).verdict, Verdict::holds);

  FillRun early = fill("sysv-msg", 16);
  early.blocking_sent = 3;
  Finding f = judge_fill({{early}}, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("after 3 messages"), std::string::npos) << f.condition;
  EXPECT_EQ(judge_fill({}, kReplay).verdict, Verdict::not_checked);
}

// ---- the real experiments, quick

TEST(QueueClaimsReal, KeepsUntilReadHolds) {
  Finding f = judge_keeps(measure_keeps(quick(1)), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
  expect_nothing_left();
}

TEST(QueueClaimsReal, ByTypeHolds) {
  Finding f = judge_by_type(measure_by_type(quick(2)), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
  expect_nothing_left();
}

TEST(QueueClaimsReal, PrioritiesHold) {
  Finding f = judge_priorities(measure_priorities(quick(3)), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
  expect_nothing_left();
}

TEST(QueueClaimsReal, SenderBlocksOnceTheQueueIsFull) {
  Finding f = judge_fill(measure_fill(quick(4)), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if) << all(f);
  EXPECT_NE(f.condition.find("posix-mq took"), std::string::npos) << f.condition;
  EXPECT_NE(f.condition.find("sysv-msg took"), std::string::npos) << f.condition;
  expect_evidence(f);
  ASSERT_FALSE(f.counterexamples.empty());
  EXPECT_EQ(f.counterexamples[0].replay, kReplay);
  expect_nothing_left();
}

}  // namespace
}  // namespace ipch::claims
