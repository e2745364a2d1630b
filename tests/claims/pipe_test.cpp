// The pipe and FIFO claims: each judgement fed measurements that must give each of its verdicts,
// then each experiment run for real (quick) with the verdict Linux gives, leaving nothing behind.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "groups.hpp"
#include "interleave.hpp"
#include "leaks.hpp"
#include "naming.hpp"
#include "objects.hpp"
#include "pipe_checks.hpp"
#include "sys.hpp"

namespace ipch::claims {
namespace {

Context fake() {
  Context c;
  c.seed = 1;
  c.replay = "ipc-harness claims --only X --seed 1";
  return c;
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Our own timelines (replayed by `ipc-harness claims`) stay small; a harness run's is drawn by
// from_history with its own budget.
void expect_lines(const Finding& f) {
  EXPECT_FALSE(f.evidence.empty());
  for (const auto& e : f.evidence) EXPECT_FALSE(e.empty());
  EXPECT_FALSE(f.runs.empty());
  for (const auto& r : f.runs) EXPECT_FALSE(r.empty());
  for (const auto& c : f.counterexamples) {
    EXPECT_FALSE(c.summary.empty());
    EXPECT_FALSE(c.replay.empty());
    if (c.timeline) {
      EXPECT_FALSE(c.timeline->lanes.empty());
      if (c.replay.find(" claims ") != std::string::npos) {
        EXPECT_LE(c.timeline->marks.size(), 70u);
      }
      for (const auto& m : c.timeline->marks) EXPECT_LT(m.lane, c.timeline->lanes.size());
    }
  }
}

// ---- pipe-fifo-order

OrderRun order_ok(const std::string& mech) {
  OrderRun r;
  r.mechanism = mech;
  r.bytes = r.received = 1 << 20;
  r.writes = 100;
  r.reads = 90;
  r.largest_write = r.largest_read = 65536;
  return r;
}

TEST(PipeClaimsOrder, HoldsIffEveryByteCameBackInPlace) {
  OrderMeasurement m{{order_ok("pipe"), order_ok("fifo")}};
  Finding f = judge_order(m, fake());
  EXPECT_EQ(f.verdict, Verdict::holds);
  EXPECT_TRUE(f.counterexamples.empty());
  expect_lines(f);

  m.runs[1].first_difference = 4242;
  m.runs[1].difference_write = 3;
  f = judge_order(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_TRUE(has(f.condition, "fifo: byte 4242")) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_EQ(f.counterexamples[0].replay, fake().replay);
  expect_lines(f);
}

TEST(PipeClaimsOrder, AStreamThatEndsEarlyIsRefuted) {
  OrderMeasurement m{{order_ok("pipe")}};
  m.runs[0].received = 1000;
  m.runs[0].first_difference = 1000;
  Finding f = judge_order(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_TRUE(has(f.condition, "ended after 1000")) << f.condition;
  EXPECT_EQ(judge_order(OrderMeasurement{}, fake()).verdict, Verdict::not_checked);
}

// ---- fifo-unrelated

UnrelatedMeasurement unrelated_ok() {
  UnrelatedMeasurement m;
  m.path = "/tmp/ipch-1-1/fifo";
  m.is_fifo = true;
  m.token = m.received = "ipch-token-00ff";
  m.reader_command = "cat";
  m.writer_command = "printf";
  m.writer_end = m.reader_end = "exit 0";
  m.our_session = 10;
  m.reader_session = 20;
  m.writer_session = 30;
  m.reader_wchan = "wait_for_partner";
  return m;
}

TEST(PipeClaimsUnrelated, HoldsIffTheTokenArrivedThroughAFifo) {
  Finding f = judge_unrelated(unrelated_ok(), fake());
  EXPECT_EQ(f.verdict, Verdict::holds) << f.condition;
  expect_lines(f);

  auto m = unrelated_ok();
  m.received = "ipch-tok";
  f = judge_unrelated(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_EQ(f.counterexamples.size(), 1u);
  expect_lines(f);

  m = unrelated_ok();
  m.is_fifo = false;
  EXPECT_EQ(judge_unrelated(m, fake()).verdict, Verdict::refuted);
}

TEST(PipeClaimsUnrelated, ProgramsThatDidNotRunOrShareASessionCheckNothing) {
  auto m = unrelated_ok();
  m.received.clear();
  m.writer_end = "exit 127";
  EXPECT_EQ(judge_unrelated(m, fake()).verdict, Verdict::not_checked);
  m = unrelated_ok();
  m.writer_session = m.our_session;
  EXPECT_EQ(judge_unrelated(m, fake()).verdict, Verdict::not_checked);
}

// ---- fifo-open-blocks

FifoOpen blocked_open(const std::string& how) {
  FifoOpen o;
  o.how = how;
  o.wchan = "wait_for_partner";
  o.peer_opened = true;
  o.returned_with_peer = true;
  o.t_open_ms = 1;
  o.t_slept_ms = 2;
  o.t_peer_ms = 3;
  o.t_return_ms = 4;
  return o;
}

FifoOpen at_once(const std::string& how, bool blocking, bool wants_peer, int error) {
  FifoOpen o;
  o.how = how;
  o.blocking = blocking;
  o.wants_peer = wants_peer;
  o.returned_alone = true;
  o.error = error;
  o.t_open_ms = 5;
  o.t_return_ms = 6;
  return o;
}

OpenMeasurement linux_opens() {
  OpenMeasurement m;
  m.guard_ms = 300;
  m.opens = {blocked_open("O_RDONLY"), blocked_open("O_WRONLY"), at_once("O_RDONLY|O_NONBLOCK", false, true, 0),
             at_once("O_WRONLY|O_NONBLOCK", false, true, ENXIO), at_once("O_RDWR", true, false, 0)};
  return m;
}

TEST(PipeClaimsOpen, LinuxOpensGiveHoldsOnlyIfWithTheConditionSpelledOut) {
  Finding f = judge_open(linux_opens(), fake());
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_TRUE(has(f.condition, "only O_RDONLY and O_WRONLY opens block")) << f.condition;
  EXPECT_TRUE(has(f.condition, "O_WRONLY|O_NONBLOCK fails at once with ENXIO")) << f.condition;
  EXPECT_TRUE(has(f.condition, "O_RDWR returns at once")) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 1u);
  ASSERT_TRUE(f.counterexamples[0].timeline);
  EXPECT_EQ(f.counterexamples[0].timeline->lanes.size(), 6u);
  expect_lines(f);
}

TEST(PipeClaimsOpen, HoldsIffEveryOpenBlocked) {
  OpenMeasurement m;
  m.opens = {blocked_open("O_RDONLY"), blocked_open("O_WRONLY")};
  Finding f = judge_open(m, fake());
  EXPECT_EQ(f.verdict, Verdict::holds) << f.condition;
  expect_lines(f);
}

TEST(PipeClaimsOpen, ABlockingOpenThatReturnsAloneOrNeverReturnsRefutes) {
  OpenMeasurement m = linux_opens();
  m.opens[0] = at_once("O_RDONLY", true, true, 0);
  Finding f = judge_open(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_TRUE(has(f.condition, "blocking O_RDONLY open returned")) << f.condition;
  expect_lines(f);

  m = linux_opens();
  m.opens[1].returned_with_peer = false;
  m.opens[1].t_return_ms = -1;
  f = judge_open(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_TRUE(has(f.condition, "O_WRONLY stayed blocked")) << f.condition;
  EXPECT_EQ(judge_open(OpenMeasurement{}, fake()).verdict, Verdict::not_checked);
}

// ---- pipe-capacity

Fill fill(std::size_t buffer, bool resized, std::size_t size, std::uint64_t filled) {
  Fill f;
  f.buffer = buffer;
  f.resized = resized;
  f.write_size = size;
  f.filled = filled;
  f.writes = filled / size;
  return f;
}

CapacityMeasurement capacity(bool slot_waste) {
  CapacityMeasurement m;
  m.pipe_max_size = 1 << 20;
  m.default_buffer = 65536;
  m.requested = m.resized_buffer = 1 << 20;
  for (std::size_t b : {std::size_t{65536}, std::size_t{1} << 20}) {
    for (std::size_t s : {1, 512, 4096}) m.fills.push_back(fill(b, b != 65536, s, b));
    m.fills.push_back(fill(b, b != 65536, 3000, slot_waste ? b / 4096 * 3000 : b));
  }
  return m;
}

TEST(PipeClaimsCapacity, HoldsIffEveryWriteSizeFillsTheBuffer) {
  Finding f = judge_capacity(capacity(false), fake());
  EXPECT_EQ(f.verdict, Verdict::holds) << f.condition;
  expect_lines(f);
}

TEST(PipeClaimsCapacity, PageSlotsGiveHoldsOnlyIfNamingTheWriteSizes) {
  Finding f = judge_capacity(capacity(true), fake());
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_TRUE(has(f.condition, "1, 512 and 4096 B")) << f.condition;
  EXPECT_TRUE(has(f.condition, "divide the 4096 B page")) << f.condition;
  EXPECT_TRUE(has(f.condition, "writes of 3000 B fill 48000 of 65536 B, 3000 B in each of its 16 pages"))
      << f.condition;
  EXPECT_EQ(f.counterexamples.size(), 1u);
  expect_lines(f);
}

TEST(PipeClaimsCapacity, AnOverfullPipeOrAnIneffectiveResizeRefutes) {
  auto m = capacity(false);
  m.fills[0].filled = 65537;
  Finding f = judge_capacity(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_TRUE(has(f.condition, "65537 B into a 65536 B buffer")) << f.condition;

  m = capacity(false);
  for (auto& x : m.fills) {
    if (x.resized && x.write_size == 4096) x.filled = 65536;
  }
  f = judge_capacity(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_TRUE(has(f.condition, "after F_SETPIPE_SZ")) << f.condition;
  expect_lines(f);
  EXPECT_EQ(judge_capacity(CapacityMeasurement{}, fake()).verdict, Verdict::not_checked);
}

// ---- pipe-buf-atomic

InterleaveResult interleaved(std::size_t size, std::uint64_t torn) {
  InterleaveResult r;
  r.record_size = size;
  r.writers = 4;
  r.records = 256;
  r.torn = torn;
  if (torn > 0) {
    Timeline t;
    t.lanes = {"writer-0", "writer-1", "reader"};
    t.marks = {{0, 1, Mark::Kind::send, "w0#0", true}, {2, 2, Mark::Kind::receive, "w0#0 100 B, w1#0 4096 B", true}};
    r.first_torn.push_back(t);
  }
  return r;
}

TEST(PipeClaimsAtomic, HoldsWhenOnlyLargerRecordsTearAndShowsOneOfThem) {
  AtomicMeasurement m;
  m.pipe = {interleaved(4096, 0), interleaved(4097, 12), interleaved(65537, 40)};
  m.unix_stream = {interleaved(4096, 0)};
  Finding f = judge_atomic(m, fake());
  EXPECT_EQ(f.verdict, Verdict::holds) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_TRUE(has(f.counterexamples[0].summary, "4097 B")) << f.counterexamples[0].summary;
  EXPECT_TRUE(f.counterexamples[0].timeline);
  expect_lines(f);

  m.pipe = {interleaved(4096, 0), interleaved(4097, 0)};
  f = judge_atomic(m, fake());
  EXPECT_EQ(f.verdict, Verdict::holds);
  EXPECT_TRUE(f.counterexamples.empty());
}

TEST(PipeClaimsAtomic, ATornRecordOfAtMostPipeBufRefutes) {
  AtomicMeasurement m;
  m.pipe = {interleaved(4096, 1), interleaved(65537, 40)};
  Finding f = judge_atomic(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_TRUE(has(f.condition, "1 of 256 pipe records of 4096 B")) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 2u);
  EXPECT_TRUE(f.counterexamples[0].timeline);
  expect_lines(f);
  EXPECT_EQ(judge_atomic(AtomicMeasurement{}, fake()).verdict, Verdict::not_checked);
}

// ---- writer-blocks-when-reader-dies

DeathCase death(const std::string& mech, const std::string& key, DeathCase::Outcome o) {
  DeathCase c;
  c.mechanism = mech;
  c.key = key;
  c.situation = key;
  c.offered = 1 << 20;
  c.outcome = o;
  c.t_write_ms = 1;
  c.t_reader_died_ms = 2;
  c.t_return_ms = c.t_end_ms = 3;
  if (o == DeathCase::Outcome::epipe) c.error = EPIPE;
  if (o == DeathCase::Outcome::short_count) {
    c.returned = 65536;
    c.error = EPIPE;
  }
  if (o == DeathCase::Outcome::still_blocked) c.wchan = "anon_pipe_write";
  return c;
}

DeathMeasurement linux_deaths() {
  using O = DeathCase::Outcome;
  DeathMeasurement m;
  m.guard_ms = 300;
  m.cases = {death("pipe", "exited-before", O::epipe), death("pipe", "exited-before", O::killed_by_sigpipe),
             death("pipe", "killed-during", O::short_count), death("pipe", "leaked-bystander", O::still_blocked),
             death("pipe", "kept-by-writer", O::still_blocked)};
  m.harness_run = "pipe, stream 1x1: deadlock";
  m.harness_verdict = "deadlock";
  m.harness = Counterexample{"harness run", "ipc-harness replay x/reproducer.json", std::nullopt};
  return m;
}

TEST(PipeClaimsDeath, LinuxGivesHoldsOnlyIfAReadEndStaysOpen) {
  Finding f = judge_death(linux_deaths(), fake());
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_TRUE(has(f.condition,
                  "a read end stays open elsewhere: a descriptor leaked to another process or the "
                  "writer's own;"))
      << f.condition;
  EXPECT_TRUE(has(f.condition, "EPIPE")) << f.condition;
  EXPECT_TRUE(has(f.condition, "SIGPIPE kills")) << f.condition;
  ASSERT_EQ(f.counterexamples.size(), 3u);
  EXPECT_TRUE(has(f.counterexamples[0].summary, "leaked-bystander")) << f.counterexamples[0].summary;
  EXPECT_EQ(f.counterexamples[1].replay, "ipc-harness replay x/reproducer.json");
  expect_lines(f);
}

TEST(PipeClaimsDeath, HoldsIfEveryWriterBlockedAndRefutedIfNone) {
  using O = DeathCase::Outcome;
  DeathMeasurement m = linux_deaths();
  for (auto& c : m.cases) c.outcome = O::still_blocked;
  Finding f = judge_death(m, fake());
  EXPECT_EQ(f.verdict, Verdict::holds);
  expect_lines(f);

  m = linux_deaths();
  for (auto& c : m.cases) {
    if (c.outcome == O::still_blocked) c.outcome = O::epipe;
  }
  f = judge_death(m, fake());
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_TRUE(has(f.condition, "no writer blocked")) << f.condition;
  expect_lines(f);
  EXPECT_EQ(judge_death(DeathMeasurement{}, fake()).verdict, Verdict::not_checked);
}

TEST(PipeClaimsDeath, AUnixStreamIsEvidenceOnly) {
  using O = DeathCase::Outcome;
  DeathMeasurement m = linux_deaths();
  m.cases.push_back(death("unix-stream", "killed-during", O::epipe));
  m.cases.push_back(death("unix-stream", "leaked-bystander", O::still_blocked));
  Finding f = judge_death(m, fake());
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_FALSE(has(f.condition, "unix")) << f.condition;
  EXPECT_TRUE(std::any_of(f.evidence.begin(), f.evidence.end(),
                          [](const std::string& e) { return has(e, "unix-stream (comparison)"); }));

  for (auto& c : m.cases) {
    if (c.mechanism != "unix-stream") c.outcome = O::still_blocked;
  }
  EXPECT_EQ(judge_death(m, fake()).verdict, Verdict::holds);
}

TEST(PipeClaimsCatalogue, SixClaimsWithChecks) {
  auto v = pipe_claims();
  std::set<std::string> ids;
  for (const auto& c : v) {
    ids.insert(c.id);
    EXPECT_TRUE(c.check) << c.id;
    EXPECT_FALSE(c.mechanisms.empty()) << c.id;
    EXPECT_FALSE(c.source.empty()) << c.id;
  }
  EXPECT_EQ(ids, (std::set<std::string>{"pipe-fifo-order", "fifo-unrelated", "fifo-open-blocks", "pipe-capacity",
                                        "pipe-buf-atomic", "writer-blocks-when-reader-dies"}));
}

// ---- the real experiments, quick

class PipeClaimsRun : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!dir_.empty()) naming::remove_folder(dir_);
    EXPECT_TRUE(objects::live().empty());
    EXPECT_TRUE(test::leftovers().empty()) << ::testing::PrintToString(test::leftovers());
    auto w = sys::waitpid(-1, WNOHANG);
    ASSERT_FALSE(w) << "a child is left: pid " << w->first;
    EXPECT_EQ(w.error(), std::errc::no_child_process);
  }
  Context quick(const std::string& id) {
    Context c;
    c.quick = true;
    c.seed = 7;
    c.replay = "ipc-harness claims --only " + id + " --seed 7 --quick";
    auto d = naming::make_folder();
    if (d) dir_ = c.work_dir = *d;
    return c;
  }
  std::string dir_;
};

// The finding as a failure message shows it: verdict, condition, evidence, counterexamples.
std::string dump(const Finding& f) {
  std::string s = std::string(to_string(f.verdict)) + ": " + f.condition + "\n";
  for (const auto& e : f.evidence) s += "  " + e + "\n";
  for (const auto& c : f.counterexamples) s += "  counterexample: " + c.summary + "\n";
  return s;
}

TEST_F(PipeClaimsRun, PipesAndFifosKeepByteOrder) {
  Context ctx = quick("pipe-fifo-order");
  auto m = measure_order(ctx);
  ASSERT_EQ(m.runs.size(), 2u);
  for (const auto& r : m.runs) {
    EXPECT_GT(r.writes, 100u);
    EXPECT_GT(r.reads, 100u);
  }
  Finding f = judge_order(m, ctx);
  EXPECT_EQ(f.verdict, Verdict::holds) << dump(f);
  expect_lines(f);
}

TEST_F(PipeClaimsRun, UnrelatedProgramsTalkThroughAFifo) {
  Context ctx = quick("fifo-unrelated");
  auto m = measure_unrelated(ctx);
  Finding f = judge_unrelated(m, ctx);
  EXPECT_EQ(f.verdict, Verdict::holds) << dump(f);
  EXPECT_TRUE(has(m.reader_wchan, "wait_for_partner") || has(m.reader_wchan, "fifo")) << m.reader_wchan;
  expect_lines(f);
}

TEST_F(PipeClaimsRun, OnlyBlockingReadOrWriteOpensWait) {
  Context ctx = quick("fifo-open-blocks");
  auto m = measure_open(ctx);
  ASSERT_EQ(m.opens.size(), 5u);
  EXPECT_FALSE(m.opens[0].returned_alone);
  EXPECT_FALSE(m.opens[1].returned_alone);
  EXPECT_EQ(m.opens[3].error, ENXIO);
  Finding f = judge_open(m, ctx);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if) << dump(f);
  expect_lines(f);
}

TEST_F(PipeClaimsRun, ThePipeTakesItsBufferOnlyInWholePages) {
  Context ctx = quick("pipe-capacity");
  auto m = measure_capacity(ctx);
  Finding f = judge_capacity(m, ctx);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if) << dump(f);
  EXPECT_EQ(m.fills.front().filled, m.default_buffer) << "1-byte writes fill the whole buffer";
  expect_lines(f);
}

TEST_F(PipeClaimsRun, PipeBufWritesStayWholeAndLargerOnesTear) {
  Context ctx = quick("pipe-buf-atomic");
  auto m = measure_atomic(ctx);
  Finding f = judge_atomic(m, ctx);
  EXPECT_EQ(f.verdict, Verdict::holds) << dump(f);
  ASSERT_FALSE(f.counterexamples.empty()) << "no record over PIPE_BUF was torn\n" << dump(f);
  ASSERT_TRUE(f.counterexamples[0].timeline);
  expect_lines(f);
}

TEST_F(PipeClaimsRun, AWriterBlocksOnlyWhileAReadEndStaysOpen) {
  Context ctx = quick("writer-blocks-when-reader-dies");
  auto m = measure_death(ctx);
  Finding f = judge_death(m, ctx);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if) << dump(f);
  ASSERT_TRUE(m.harness);
  EXPECT_EQ(m.harness_verdict, "deadlock") << m.harness_run << "\n"
                                           << m.harness->summary << [&] {
                                                std::string s;
                                                if (m.harness->timeline)
                                                  for (const auto& k : m.harness->timeline->marks)
                                                    s += " " + std::to_string(k.lane) + ":" + k.label;
                                                return s;
                                              }();
  expect_lines(f);
}

TEST_F(PipeClaimsRun, InterleaveOnAUnixStreamCountsWholeRecords) {
  auto r = interleave(StreamKind::unix_stream, 3, 1000, 50, 5);
  EXPECT_EQ(r.records, 150u);
  EXPECT_EQ(r.writers, 3u);
  EXPECT_EQ(r.torn, 0u) << r.describe();
  EXPECT_TRUE(r.first_torn.empty());
}

}  // namespace
}  // namespace ipch::claims
