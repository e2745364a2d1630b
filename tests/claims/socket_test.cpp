// The socket claims: each judgement fed measurements that must give each verdict it can reach,
// and each experiment run for real (quick) with the verdict Linux gives, leaving no socket
// file, kernel object or process behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "leaks.hpp"
#include "objects.hpp"
#include "socket_checks.hpp"

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

std::string all(const Finding& f) {
  std::string s = std::string(to_string(f.verdict)) + ": " + f.condition;
  for (const auto& r : f.runs) s += "\n  run: " + r;
  for (const auto& e : f.evidence) s += "\n  " + e;
  for (const auto& c : f.counterexamples) s += "\n  counterexample: " + c.summary + " | " + c.replay;
  return s;
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

// ---- stream-boundaries

BoundaryRun run_of(const std::string& mech, std::vector<std::size_t> written, std::vector<std::size_t> read) {
  return {mech, std::move(written), std::move(read), true};
}

BoundaryMeasurement linux_like() {
  std::vector<std::size_t> w{10, 20, 30};
  BoundaryMeasurement m;
  m.runs = {run_of("unix-stream", w, {60}), run_of("unix-dgram", w, w), run_of("unix-seqpacket", w, w),
            run_of("tcp", w, {60}), run_of("pipe", w, {60})};
  m.truncation = {{"unix-dgram", 100, 10, 10, true, 100, 100, true},
                  {"unix-stream", 100, 10, 10, false, 0, 290, false}};
  return m;
}

TEST(SocketClaimsBoundaries, StreamMergingAndRecordsKeptGiveHolds) {
  Finding f = judge_boundaries(linux_like(), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
}

TEST(SocketClaimsBoundaries, AMergedDatagramOrAStreamThatKeptEveryBoundaryGivesRefuted) {
  BoundaryMeasurement m = linux_like();
  m.runs[1].read = {30, 30};
  Finding f = judge_boundaries(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("unix-dgram"), std::string::npos) << f.condition;
  EXPECT_FALSE(f.counterexamples.empty());

  m = linux_like();
  m.runs[0].read = m.runs[0].written;
  f = judge_boundaries(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("unix-stream"), std::string::npos) << f.condition;

  m = linux_like();
  m.runs[2].bytes_intact = false;
  EXPECT_EQ(judge_boundaries(m, kReplay).verdict, Verdict::refuted);
  EXPECT_EQ(judge_boundaries({}, kReplay).verdict, Verdict::not_checked);
}

// ---- unix-dgram-loses

DgramLoss no_loss() {
  DgramLoss m;
  m.max_dgram_qlen = 10;
  m.sent = m.received = 300;
  m.sent_before_sleep = 11;
  m.slept_in = "unix_wait_for_peer";
  m.nonblocking_sent = 11;
  m.nonblocking_errno = EAGAIN;
  m.received += 11;
  m.harness_run = "unix-dgram, stream 1x1: pass";
  m.harness_verdict = "pass";
  m.harness_sent = m.harness_received = 300;
  m.harness = Counterexample{"the harness: 300 of 300", "ipc-harness replay x/reproducer.json", Timeline{}};
  return m;
}

TEST(SocketClaimsDgram, NoLossIsRefutedWithTheHarnessRunAsCounterexample) {
  Finding f = judge_dgram_loss(no_loss(), kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted) << all(f);
  EXPECT_NE(f.condition.find("unix_wait_for_peer"), std::string::npos) << f.condition;
  EXPECT_NE(f.condition.find("EAGAIN"), std::string::npos) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_EQ(f.counterexamples[0].replay, "ipc-harness replay x/reproducer.json");
  expect_evidence(f);
}

TEST(SocketClaimsDgram, ALostDatagramGivesHolds) {
  DgramLoss m = no_loss();
  m.lost = 1;
  EXPECT_EQ(judge_dgram_loss(m, kReplay).verdict, Verdict::holds);
  m = no_loss();
  m.harness_lost = 2;
  EXPECT_EQ(judge_dgram_loss(m, kReplay).verdict, Verdict::holds);
  m = no_loss();
  m.harness.reset();
  Finding f = judge_dgram_loss(m, kReplay);
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_EQ(f.counterexamples[0].replay, kReplay);
}

// ---- udp-loopback-loses

UdpLoss udp(std::uint64_t lost) {
  UdpLoss m;
  m.rcvbuf_asked = 4096;
  m.rcvbuf_got = 8192;
  m.datagram_size = 256;
  m.sent = 300;
  m.received = 300 - lost;
  m.lost = lost;
  m.rcvbuf_errors = lost;
  m.lanes = {"sender", "receiver"};
  for (std::uint32_t i = 0; i < 30; ++i) {
    probe::Trace t{i, 0, double(i), std::nullopt, 0, true, ""};
    if (i < 10 || lost == 0) {
      t.to_lane = 1;
      t.received_ms = 100 + i;
      t.bad = false;
    }
    m.first.push_back(t);
  }
  return m;
}

TEST(SocketClaimsUdp, LossWithoutDuplicatesHoldsAndShowsTheLostOnes) {
  Finding f = judge_udp_loss(udp(290), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
  ASSERT_EQ(f.counterexamples.size(), 1u);
  ASSERT_TRUE(f.counterexamples[0].timeline.has_value());
  std::size_t bad = 0;
  for (const auto& mk : f.counterexamples[0].timeline->marks) bad += mk.bad;
  EXPECT_EQ(bad, 20u);
}

TEST(SocketClaimsUdp, NoLossIsHoldsOnlyIfAndDuplicatesOrReorderingRefute) {
  Finding f = judge_udp_loss(udp(0), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_NE(f.condition.find("kept up"), std::string::npos) << f.condition;
  UdpLoss d = udp(5);
  d.duplicated = 1;
  EXPECT_EQ(judge_udp_loss(d, kReplay).verdict, Verdict::refuted);
  UdpLoss r = udp(0);
  r.reordered = 2;
  EXPECT_EQ(judge_udp_loss(r, kReplay).verdict, Verdict::refuted);
}

// ---- sockets-full-duplex

DuplexMeasurement duplex(bool deadlock) {
  DuplexMeasurement m;
  m.runs = {{"unix-stream", 100, 100, 100, 0, 0, true}, {"tcp", 100, 100, 100, 0, 0, true}};
  DeadlockProbe p;
  p.mechanism = "unix-stream";
  p.attempted = 64 << 20;
  p.deadlocked = deadlock;
  p.a_written = p.b_written = deadlock ? 400 << 10 : p.attempted;
  if (deadlock) p.a_wchan = p.b_wchan = "sock_alloc_send_pskb";
  p.lanes = {"A", "B"};
  m.probes = {p};
  return m;
}

TEST(SocketClaimsDuplex, BothWaysDeliveredHoldsAndADeadlockMakesItConditional) {
  Finding f = judge_duplex(duplex(false), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
  f = judge_duplex(duplex(true), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_NE(f.condition.find("each side reads while it writes"), std::string::npos) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_TRUE(f.counterexamples[0].timeline.has_value());
}

TEST(SocketClaimsDuplex, AShortDirectionIsRefuted) {
  DuplexMeasurement m = duplex(true);
  m.runs[1].b_to_a = 99;
  Finding f = judge_duplex(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("tcp"), std::string::npos) << f.condition;
  m = duplex(false);
  m.runs[0].finished = false;
  EXPECT_EQ(judge_duplex(m, kReplay).verdict, Verdict::refuted);
  EXPECT_EQ(judge_duplex({}, kReplay).verdict, Verdict::not_checked);
}

// ---- the real experiments, quick

TEST(SocketClaimsReal, StreamBoundariesHold) {
  Finding f = judge_boundaries(measure_boundaries(quick(11)), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
  expect_nothing_left();
}

TEST(SocketClaimsReal, UnixDgramLosesIsRefutedByAWaitingSender) {
  std::string dir = ::testing::TempDir() + "b-socket-claims-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  Context ctx = quick(12);
  ctx.work_dir = dir;
  Finding f = judge_dgram_loss(measure_dgram_loss(ctx), kReplay);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(f.verdict, Verdict::refuted) << all(f);
  expect_evidence(f);
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_NE(f.counterexamples[0].replay.find("reproducer.json"), std::string::npos) << f.counterexamples[0].replay;
  EXPECT_TRUE(f.counterexamples[0].timeline.has_value());
  expect_nothing_left();
}

TEST(SocketClaimsReal, UdpLoopbackLoses) {
  Finding f = judge_udp_loss(measure_udp_loss(quick(13)), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << all(f);
  expect_evidence(f);
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_TRUE(f.counterexamples[0].timeline.has_value());
  expect_nothing_left();
}

TEST(SocketClaimsReal, FullDuplexHoldsIfEachSideReadsWhileItWrites) {
  Finding f = judge_duplex(measure_duplex(quick(14)), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if) << all(f);
  expect_evidence(f);
  expect_nothing_left();
}

}  // namespace
}  // namespace ipch::claims
