// Every mutant (mutants.hpp, nonrobust_shm.hpp) run through the real runner and judged by
// check_all: each must be found within a bounded number of cases, from small to larger, and
// named by the kind of violation (or verdict) that describes its damage. The first failing case
// is printed as scenario JSON, to replay it.
#include "mutants.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "check.hpp"
#include "leaks.hpp"
#include "nonrobust_shm.hpp"
#include "runner.hpp"

namespace ipch {
namespace {

struct Found {
  int cases = 0;
  Report report;
  std::set<std::string> kinds;
};

// Runs case 0, 1, ... of `make` until check_all's verdict is `until` (default: anything but pass);
// nullopt if no case got there.
std::optional<Found> hunt(const std::function<Scenario(int)>& make, int max_cases, const std::string& until = "") {
  for (int i = 0; i < max_cases; ++i) {
    Scenario s = make(i);
    RunOutcome r = run_scenario(s, {});
    Report rep = check_all(r);
    if (until.empty() ? rep.verdict == "pass" : rep.verdict != until) continue;
    Found f{i + 1, rep, {}};
    for (const auto& v : rep.violations) f.kinds.insert(v.kind);
    std::string first =
        rep.violations.empty() ? "" : rep.violations.front().kind + ": " + rep.violations.front().detail;
    std::string kinds;
    for (const auto& k : f.kinds) kinds += " " + k;
    std::printf("case %d of %s: verdict %s, kinds%s; first violation %s\nscenario: %s\n", i + 1, s.mechanism.c_str(),
                rep.verdict.c_str(), kinds.c_str(), first.c_str(), to_json(s).dump().c_str());
    return f;
  }
  return std::nullopt;
}

Scenario stream(const std::string& mech, int i, std::uint64_t messages, std::size_t max_size) {
  Scenario s;
  s.seed = 1000 + static_cast<std::uint64_t>(i);
  s.mechanism = mech;
  s.workload = {WorkloadKind::stream, 1, 1, messages << std::min(i, 4), max_size, 1};
  s.stall_ms = 1000;
  return s;
}

bool any_of(const std::set<std::string>& got, std::set<std::string> want) {
  for (const auto& k : got)
    if (want.count(k)) return true;
  return false;
}
std::string list(const std::set<std::string>& s) {
  std::string out;
  for (const auto& k : s) out += k + " ";
  return out;
}

class Mutant : public ::testing::Test {
 protected:
  void SetUp() override { mutants::register_mutants(); }
  void TearDown() override { EXPECT_TRUE(test::leftovers().empty()) << ::testing::PrintToString(test::leftovers()); }
};

// Damage on a byte stream with one writer: the integrity checker calls it corrupted ("corrupt"
// before the rename); boundary and torn are accepted as descriptions of the same split.
const std::set<std::string> kDamage{"corrupted", "corrupt", "boundary", "torn"};

TEST_F(Mutant, UnframedStreamSplitsAndMergesMessages) {
  auto f = hunt([](int i) { return stream("mutant-unframed-unix-stream", i, 10, 4096); }, 10);
  ASSERT_TRUE(f) << "never caught";
  EXPECT_EQ(f->report.verdict, "violations");
  EXPECT_TRUE(any_of(f->kinds, kDamage)) << list(f->kinds);
}

TEST_F(Mutant, IgnoredShortWritesAreCaught) {
  auto f = hunt([](int i) { return stream("mutant-short-write-unix-stream", i, 10, 4096); }, 10);
  ASSERT_TRUE(f) << "never caught";
  EXPECT_TRUE(any_of(f->kinds, {"corrupted", "corrupt", "lost"})) << list(f->kinds);
}

TEST_F(Mutant, ResendingTheWholeFrameAfterAShortWriteIsCaught) {
  auto f = hunt([](int i) { return stream("mutant-resend-unix-stream", i, 10, 4096); }, 10);
  ASSERT_TRUE(f) << "never caught";
  EXPECT_TRUE(any_of(f->kinds, {"corrupted", "corrupt", "duplicated"})) << list(f->kinds);
}

TEST_F(Mutant, AnUnlockedRingTearsConcurrentSends) {
  auto f = hunt(
      [](int i) {
        Scenario s = stream("mutant-unlocked-shm", i, 500, 4096);
        s.workload.kind = WorkloadKind::fan_in;
        s.workload.senders = 4;
        return s;
      },
      8);
  ASSERT_TRUE(f) << "never caught";
  EXPECT_TRUE(any_of(f->kinds, {"torn", "corrupted", "corrupt", "lost", "duplicated"})) << list(f->kinds);
}

// The parameters of the faults suite's replay test: 2 senders, so the second one meets the lock.
// About 1 run in 15 ends as a loss without a stall (the faults suite allows 1 in 20), so the hunt
// is for the deadlock itself.
TEST_F(Mutant, ANonRobustLockIsADeadlockUnderKillLockHolder) {
  auto f = hunt(
      [](int i) {
        Scenario s = stream("posix-shm-nonrobust", 0, 300, 8192);
        s.seed = 11 + static_cast<std::uint64_t>(i);
        s.workload.senders = 2;
        s.stall_ms = 400;
        s.faults = nlohmann::json::array({{{"name", "kill-lock-holder"}, {"params", {{"nth", "5"}}}}});
        return s;
      },
      5, "deadlock");
  ASSERT_TRUE(f) << "never caught";
  EXPECT_EQ(f->report.verdict, "deadlock");
  EXPECT_TRUE(f->kinds.count("liveness")) << list(f->kinds);
}

TEST_F(Mutant, ATruncatingDatagramReceiverBreaksBoundaries) {
  auto f = hunt([](int i) { return stream("mutant-truncating-unix-dgram", i, 10, 4096); }, 10);
  ASSERT_TRUE(f) << "never caught";
  EXPECT_TRUE(any_of(f->kinds, {"boundary", "corrupted", "corrupt"})) << list(f->kinds);
}

TEST_F(Mutant, ASwappingQueueReceiverReorders) {
  auto f = hunt([](int i) { return stream("mutant-swapping-posix-mq", i, 10, 1024); }, 10);
  ASSERT_TRUE(f) << "never caught";
  EXPECT_TRUE(f->kinds.count("reordered")) << list(f->kinds);
}

// The runner stops a receiver once every sender is gone and everything sent has arrived, so a
// receiver that never sees EOF is invisible in a stream run. The same forgotten end on the sender
// side is not: after kill-receiver the sender must get EPIPE, and instead blocks in write().
TEST_F(Mutant, AnEndHoldingTheOppositeEndHangsAfterKillReceiver) {
  auto f = hunt(
      [](int i) {
        Scenario s = stream("mutant-held-pipe", 0, 2000, 8192);
        s.seed = 1000 + static_cast<std::uint64_t>(i);
        s.stall_ms = 300;
        s.faults =
            nlohmann::json::array({{{"name", "kill-receiver"}, {"params", {{"at", "10"}, {"restart", "false"}}}}});
        return s;
      },
      3);
  ASSERT_TRUE(f) << "never caught";
  EXPECT_EQ(f->report.verdict, "deadlock");
  EXPECT_TRUE(f->kinds.count("liveness")) << list(f->kinds);
}

}  // namespace
}  // namespace ipch
