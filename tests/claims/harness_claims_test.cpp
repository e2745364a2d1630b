// The judgements of the claims the harness checks, fed tallies that must give each verdict; and
// the real checks once, quick.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "claims_catalogue.hpp"
#include "harness_checks.hpp"
#include "objects.hpp"
#include "naming.hpp"

namespace ipch::claims {
namespace {

RunTally tally(std::string m, std::string fault, std::string verdict, std::uint64_t lost = 0) {
  RunTally t;
  t.mechanism = std::move(m);
  t.fault = std::move(fault);
  t.verdict = std::move(verdict);
  t.sent = 100;
  t.received = 100 - lost;
  t.lost = lost;
  t.describe = t.mechanism + " run";
  t.replay = "ipc-harness replay x";
  if (t.verdict != "pass") t.first_violation = "lost: sender 0 seq 3 was sent and never received";
  return t;
}

TEST(HarnessClaims, QueuesThatPassEverythingHold) {
  QueueRuns q;
  q.runs = {tally("sysv-msg", "none", "pass"), tally("posix-mq", "stop", "pass")};
  EXPECT_EQ(judge_queues_reliable(q).verdict, Verdict::holds);
}

TEST(HarnessClaims, MessagesGoneWithAKilledReceiverMakeItHoldOnlyIf) {
  QueueRuns q;
  q.runs = {tally("sysv-msg", "none", "pass"), tally("sysv-msg", "kill-receiver", "pass", 1)};
  auto f = judge_queues_reliable(q);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_NE(f.condition.find("1 messages"), std::string::npos) << f.condition;
}

TEST(HarnessClaims, AFailedQueueRunRefutes) {
  QueueRuns q;
  q.runs = {tally("posix-mq", "none", "violations", 1)};
  auto f = judge_queues_reliable(q);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("lost"), std::string::npos) << f.condition;
  EXPECT_EQ(judge_queues_reliable(QueueRuns{}).verdict, Verdict::not_checked);
}

TEST(HarnessClaims, TornLargeWritesMakeKernelSynchronisationHoldOnlyIf) {
  SyncRuns k;
  k.runs = {tally("pipe", "none", "pass")};
  InterleaveResult whole;
  whole.writers = 4;
  whole.records = 64;
  whole.record_size = 65537;
  k.streams.emplace_back("pipe", whole);
  EXPECT_EQ(judge_kernel_synchronises(k, "r").verdict, Verdict::holds);
  k.streams.back().second.torn = 5;
  auto f = judge_kernel_synchronises(k, "r");
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_NE(f.condition.find("5 of 64 pipe writes of 65537 B"), std::string::npos) << f.condition;
  k.runs.push_back(tally("unix-dgram", "none", "violations", 2));
  EXPECT_EQ(judge_kernel_synchronises(k, "r").verdict, Verdict::refuted);
  EXPECT_EQ(judge_kernel_synchronises(SyncRuns{}, "r").verdict, Verdict::not_checked);
}

class RealHarnessClaim : public ::testing::TestWithParam<const char*> {};

TEST_P(RealHarnessClaim, RunsQuickAndLeavesNothing) {
  const Claim* c = find(GetParam());
  ASSERT_NE(c, nullptr);
  auto dir = naming::make_folder();
  ASSERT_TRUE(dir);
  Context ctx;
  ctx.quick = true;
  ctx.seed = 77;
  ctx.work_dir = *dir;
  ctx.replay = "ipc-harness claims --only " + c->id + " --seed 77 --quick";
  Finding f = c->check(ctx);
  EXPECT_NE(f.verdict, Verdict::refuted) << f.condition;
  EXPECT_NE(f.verdict, Verdict::not_checked) << f.condition;
  EXPECT_FALSE(f.runs.empty());
  for (const auto& e : f.evidence) EXPECT_FALSE(e.empty());
  naming::remove_folder(*dir);
  EXPECT_TRUE(objects::live().empty());
  int st = 0;
  EXPECT_EQ(::waitpid(-1, &st, WNOHANG), -1);
}

INSTANTIATE_TEST_SUITE_P(HarnessClaims, RealHarnessClaim, ::testing::Values("local-queues-reliable", "kernel-synchronises"),
                         [](const auto& i) { return std::string(i.param) == "local-queues-reliable" ? "Queues" : "Kernel"; });

}  // namespace
}  // namespace ipch::claims
