// The performance judgements, fed benchmark figures that must give each verdict.
#include <gtest/gtest.h>

#include "performance_checks.hpp"

namespace ipch::claims {
namespace {

bench::Figure fig(std::string m, std::size_t size, double mb_s, double rtt_us, bench::Sync sync = bench::Sync::blocking) {
  bench::Figure f;
  f.mechanism = std::move(m);
  f.size = size;
  f.sync = sync;
  f.mb_per_s = {mb_s, mb_s, mb_s, 3};
  f.msgs_per_s = {mb_s * 1e6 / double(size), 0, 0, 3};
  f.rtt_p50_us = {rtt_us, rtt_us, rtt_us, 3};
  return f;
}

constexpr std::size_t k64K = 64 * 1024, k1M = 1024 * 1024;

TEST(PerformanceClaims, SharedMemoryFastestAtEveryBulkSizeHolds) {
  bench::Report b;
  b.figures = {fig("posix-shm", k64K, 5000, 10), fig("pipe", k64K, 1500, 90), fig("posix-shm", k1M, 4500, 300),
               fig("unix-stream", k1M, 4000, 350)};
  EXPECT_EQ(judge_shm_fastest(b, "r").verdict, Verdict::holds);
}

TEST(PerformanceClaims, ASocketFasterAtOneBulkSizeMakesItHoldOnlyIf) {
  bench::Report b;
  b.figures = {fig("posix-shm", k64K, 5000, 10), fig("unix-dgram", k64K, 3000, 40), fig("posix-shm", k1M, 4400, 300),
               fig("unix-dgram", k1M, 4800, 390)};
  auto f = judge_shm_fastest(b, "replay");
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_NE(f.condition.find("64 KiB"), std::string::npos) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_NE(f.counterexamples[0].summary.find("unix-dgram"), std::string::npos);
}

TEST(PerformanceClaims, SharedMemoryNeverFastestIsRefuted) {
  bench::Report b;
  b.figures = {fig("sysv-shm", k1M, 1000, 900), fig("pipe", k1M, 1500, 800)};
  EXPECT_EQ(judge_shm_fastest(b, "r").verdict, Verdict::refuted);
}

TEST(PerformanceClaims, NoBulkSizeIsNotChecked) {
  bench::Report b;
  b.figures = {fig("pipe", 64, 10, 20)};
  EXPECT_EQ(judge_shm_fastest(b, "r").verdict, Verdict::not_checked);
}

TEST(PerformanceClaims, SmallMessagesWithinTwiceHold) {
  bench::Report b;
  b.figures = {fig("pipe", 64, 20, 22), fig("tcp", 64, 15, 38)};
  EXPECT_EQ(judge_small_negligible(b, "r").verdict, Verdict::holds);
}

TEST(PerformanceClaims, CloseRoundTripsButFarApartRatesHoldOnlyIf) {
  bench::Report b;
  b.figures = {fig("posix-shm", 64, 100, 24), fig("sysv-shm", 64, 3, 34)};
  auto f = judge_small_negligible(b, "r");
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_NE(f.condition.find("one message at a time"), std::string::npos) << f.condition;
}

TEST(PerformanceClaims, FarApartRoundTripsAndRatesAreRefuted) {
  bench::Report b;
  b.figures = {fig("posix-shm", 64, 100, 2), fig("sysv-shm", 64, 3, 34)};
  EXPECT_EQ(judge_small_negligible(b, "r").verdict, Verdict::refuted);
}

TEST(PerformanceClaims, UnixSocketsWinningEverywhereHold) {
  bench::Report b;
  b.figures = {fig("unix-stream", 64, 12, 35), fig("tcp", 64, 10, 38)};
  EXPECT_EQ(judge_unix_efficient(b, "r").verdict, Verdict::holds);
  b.figures.push_back(fig("unix-dgram", 64, 9, 30));
  b.figures.push_back(fig("udp", 64, 10, 26));
  EXPECT_EQ(judge_unix_efficient(b, "r").verdict, Verdict::holds_only_if);
  b.figures = {fig("unix-stream", 64, 9, 40), fig("tcp", 64, 10, 38)};
  EXPECT_EQ(judge_unix_efficient(b, "r").verdict, Verdict::refuted);
}

TEST(PerformanceClaims, QueuesFasterThanAPipeRefuteTheOverhead) {
  bench::Report b;
  b.figures = {fig("pipe", 64, 20, 22), fig("sysv-msg", 64, 30, 21), fig("posix-mq", 64, 25, 21)};
  EXPECT_EQ(judge_queue_overhead(b, "r").verdict, Verdict::refuted);
  b.figures.push_back(fig("pipe", 4096, 900, 30));
  b.figures.push_back(fig("sysv-msg", 4096, 500, 30));
  EXPECT_EQ(judge_queue_overhead(b, "r").verdict, Verdict::holds_only_if);
  b.figures = {fig("pipe", 64, 20, 22), fig("sysv-msg", 64, 10, 21)};
  EXPECT_EQ(judge_queue_overhead(b, "r").verdict, Verdict::holds);
  b.figures = {fig("pipe", 64, 20, 22)};
  EXPECT_EQ(judge_queue_overhead(b, "r").verdict, Verdict::not_checked);
}

}  // namespace
}  // namespace ipch::claims
