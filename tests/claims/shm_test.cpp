// The shared-memory claims: each judgement fed measurements that must give each of its verdicts,
// and each experiment run for real (quick) with the verdict Linux gives, leaving nothing behind.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>

#include "leaks.hpp"
#include "naming.hpp"
#include "objects.hpp"
#include "shm_checks.hpp"
#include "sys.hpp"

namespace ipch::claims {
namespace {

constexpr const char* kReplay = "ipc-harness claims --only X --seed 1";

CounterRun counter(ShmKind k, bool locked, std::uint64_t final_value) {
  CounterRun r;
  r.kind = k;
  r.locked = locked;
  r.processes = 2;
  r.increments_cap = 1000;
  r.increments = 2000;
  r.final_value = final_value;
  r.spans = {{0, 5}, {1, 6}};
  return r;
}

TornRun torn(ShmKind k, bool locked, std::uint64_t torn_copies) {
  TornRun r;
  r.kind = k;
  r.locked = locked;
  r.writers = 2;
  r.record_bytes = 8192;
  r.records_cap = 100;
  r.records = 200;
  r.copies = 50;
  r.torn = torn_copies;
  r.mixed_writers = torn_copies / 2;
  r.spans = {{0, 4}, {0, 4}, {0, 5}};
  if (torn_copies > 0) r.first_torn = TornCopy{3, 1.5, {{0, 7, 0, 512}, {1, 9, 512, 512}}, 0};
  return r;
}

// Unlocked runs corrupt in both mechanisms, locked ones do not.
RaceMeasurement racy() {
  RaceMeasurement m;
  m.cpus = 2;
  m.tries = 3;
  for (ShmKind k : {ShmKind::posix, ShmKind::sysv}) {
    m.counters.push_back(counter(k, false, 1500));
    m.counters.push_back(counter(k, true, 2000));
    m.torn.push_back(torn(k, false, 7));
    m.torn.push_back(torn(k, true, 0));
  }
  return m;
}

void expect_lines(const Finding& f) {
  EXPECT_FALSE(f.evidence.empty());
  for (const auto& e : f.evidence) EXPECT_FALSE(e.empty());
  for (const auto& r : f.runs) EXPECT_FALSE(r.empty());
  for (const auto& c : f.counterexamples) {
    EXPECT_FALSE(c.summary.empty());
    EXPECT_FALSE(c.replay.empty());
  }
}

TEST(ShmClaimsRace, HoldsWhenOnlyTheUnlockedRunsCorrupt) {
  Finding f = judge_race(racy(), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << f.condition;
  EXPECT_TRUE(f.counterexamples.empty());
  expect_lines(f);
}

TEST(ShmClaimsRace, AnUnlockedTornRecordAloneIsEnough) {
  RaceMeasurement m = racy();
  for (auto& c : m.counters) c.final_value = c.expected();  // no lost update anywhere
  EXPECT_EQ(judge_race(m, kReplay).verdict, Verdict::holds);
}

TEST(ShmClaimsRace, ALockedCounterThatLostUpdatesRefutes) {
  RaceMeasurement m = racy();
  m.counters[3].final_value = 1999;  // sysv, locked
  Finding f = judge_race(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_EQ(f.counterexamples[0].replay, kReplay);
  ASSERT_TRUE(f.counterexamples[0].timeline);
  EXPECT_EQ(f.counterexamples[0].timeline->lanes.size(), 2u);
  EXPECT_NE(f.condition.find("semaphore with SEM_UNDO"), std::string::npos) << f.condition;
  expect_lines(f);
}

TEST(ShmClaimsRace, ALockedTornRecordRefutes) {
  RaceMeasurement m = racy();
  m.torn[1] = torn(ShmKind::posix, true, 1);
  Finding f = judge_race(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  ASSERT_EQ(f.counterexamples.size(), 1u);
  ASSERT_TRUE(f.counterexamples[0].timeline);
  EXPECT_EQ(f.counterexamples[0].timeline->links.size(), 2u);  // one from each writer in the copy
  EXPECT_NE(f.condition.find("robust mutex"), std::string::npos) << f.condition;
}

TEST(ShmClaimsRace, ARecordLeftMixedUnderTheLockRefutes) {
  RaceMeasurement m = racy();
  m.torn[3].final_mixed = true;
  EXPECT_EQ(judge_race(m, kReplay).verdict, Verdict::refuted);
}

TEST(ShmClaimsRace, LockedRunsWhoseProcessesNeverMetAreNotChecked) {
  RaceMeasurement m = racy();
  m.counters[3].spans = {{0, 1}, {2, 3}};  // sysv, locked: one after the other
  m.torn[3].copies = 0;                    // sysv, locked: the reader never got in
  Finding f = judge_race(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::not_checked);
  EXPECT_NE(f.condition.find("locked runs of sysv-shm"), std::string::npos) << f.condition;
}

TEST(ShmClaimsRace, OverlapCountsOnlyTimeWithTwoAtWork) {
  EXPECT_DOUBLE_EQ(overlap_ms({{0, 10}, {5, 20}}), 5);
  EXPECT_DOUBLE_EQ(overlap_ms({{0, 1}, {1, 2}}), 0);
  EXPECT_DOUBLE_EQ(overlap_ms({{0, 10}, {2, 3}, {4, 6}}), 3);
  EXPECT_DOUBLE_EQ(overlap_ms({{0, 10}}), 0);
}

TEST(ShmClaimsRace, NoRaceAnywhereIsNotChecked) {
  RaceMeasurement m = racy();
  for (auto& c : m.counters) c.final_value = c.expected();
  for (auto& t : m.torn) t = torn(t.kind, t.locked, 0);
  Finding f = judge_race(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::not_checked);
  EXPECT_EQ(f.condition, "no race observed in 3 tries on 2 CPUs");
}

TEST(ShmClaimsRace, NoRaceInOneMechanismIsNotChecked) {
  RaceMeasurement m = racy();
  m.counters[2].final_value = 2000;  // sysv unlocked: exact
  m.torn[2] = torn(ShmKind::sysv, false, 0);
  Finding f = judge_race(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::not_checked);
  EXPECT_NE(f.condition.find("in sysv-shm"), std::string::npos) << f.condition;
}

HolderDeath death(LockVariant v, int lock_errno) {
  HolderDeath h;
  h.variant = v;
  h.holder_pid = 10;
  h.waiter_pid = 11;
  h.holder_end = "killed by SIGKILL";
  h.lock_errno = lock_errno;
  h.guard_ms = 300;
  h.waited_ms = lock_errno == ETIMEDOUT ? 300 : 0.1;
  if (lock_errno == EOWNERDEAD) h.consistent_errno = 0;
  if (lock_errno != ETIMEDOUT) h.relock_errno = 0;
  h.t_lock_ms = 1;
  h.t_kill_ms = 2;
  h.t_wait_ms = 3;
  h.t_end_ms = 3 + h.waited_ms;
  return h;
}

LockDeathMeasurement linux_deaths() {
  LockDeathMeasurement m;
  m.variants = {death(LockVariant::robust_mutex, EOWNERDEAD), death(LockVariant::plain_mutex, ETIMEDOUT),
                death(LockVariant::sem_undo, 0), death(LockVariant::sem_plain, ETIMEDOUT)};
  m.harness = {{"posix-shm", "posix-shm ...: pass", "pass", "ipc-harness replay a.json", std::nullopt},
               {"sysv-shm", "sysv-shm ...: pass", "pass", "ipc-harness replay b.json", std::nullopt}};
  return m;
}

TEST(ShmClaimsLockDeath, OnlyRobustAndUndoLocksRecoverIsHoldsOnlyIf) {
  Finding f = judge_lock_death(linux_deaths(), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if);
  EXPECT_EQ(f.condition,
            "the lock survives its holder's death: robust mutex (EOWNERDEAD) or semaphore with SEM_UNDO; plain "
            "mutex or semaphore without SEM_UNDO stay held by the dead process for ever");
  ASSERT_EQ(f.counterexamples.size(), 2u);  // one per stuck lock
  for (const auto& c : f.counterexamples) {
    ASSERT_TRUE(c.timeline);
    ASSERT_EQ(c.timeline->lanes.size(), 2u);
    std::vector<std::string> labels;
    for (const auto& mk : c.timeline->marks) labels.push_back(mk.label);
    EXPECT_EQ(labels, (std::vector<std::string>{"lock", "SIGKILL", "waiting...", "timed out after 300 ms"}));
  }
  bool replays = false;
  for (const auto& r : f.runs) replays |= r.find("ipc-harness replay a.json") != std::string::npos;
  EXPECT_TRUE(replays);
  expect_lines(f);
}

TEST(ShmClaimsLockDeath, EveryLockRecoveringHolds) {
  LockDeathMeasurement m = linux_deaths();
  m.variants[1] = death(LockVariant::plain_mutex, 0);
  m.variants[3] = death(LockVariant::sem_plain, 0);
  Finding f = judge_lock_death(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds);
  EXPECT_TRUE(f.counterexamples.empty());
}

TEST(ShmClaimsLockDeath, AStuckRobustMutexRefutes) {
  LockDeathMeasurement m = linux_deaths();
  m.variants[0] = death(LockVariant::robust_mutex, ETIMEDOUT);
  Finding f = judge_lock_death(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_NE(f.condition.find("robust mutex stayed held"), std::string::npos) << f.condition;
}

TEST(ShmClaimsLockDeath, ARobustMutexWhoseConsistentFailsRefutes) {
  LockDeathMeasurement m = linux_deaths();
  m.variants[0].consistent_errno = EINVAL;
  EXPECT_EQ(judge_lock_death(m, kReplay).verdict, Verdict::refuted);
}

TEST(ShmClaimsLockDeath, AStuckUndoSemaphoreRefutes) {
  LockDeathMeasurement m = linux_deaths();
  m.variants[2] = death(LockVariant::sem_undo, ETIMEDOUT);
  EXPECT_EQ(judge_lock_death(m, kReplay).verdict, Verdict::refuted);
}

TEST(ShmClaimsLockDeath, AHarnessRingThatDeadlockedRefutes) {
  LockDeathMeasurement m = linux_deaths();
  m.harness[1].verdict = "deadlock";
  m.harness[1].counterexample = Counterexample{"sysv-shm: deadlock", "ipc-harness replay b.json", std::nullopt};
  Finding f = judge_lock_death(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  EXPECT_EQ(f.counterexamples.size(), 3u);
}

CopyFreeMeasurement copy_free_ok() {
  CopyFreeMeasurement m;
  m.bytes = 1 << 20;
  m.reader = Ended{0, 0};
  m.reader_done = true;
  m.spins = 1000;
  m.faults = 0;
  m.control = Ended{-1, SIGSYS};
  m.pipe_reads = 16;
  return m;
}

TEST(ShmClaimsCopyFree, AReaderWithoutSystemCallsThatSawEveryByteHolds) {
  Finding f = judge_copy_free(copy_free_ok(), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << f.condition;
  expect_lines(f);
}

TEST(ShmClaimsCopyFree, AReaderKilledBySigsysRefutes) {
  CopyFreeMeasurement m = copy_free_ok();
  m.reader = Ended{-1, SIGSYS};
  m.reader_done = false;
  Finding f = judge_copy_free(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::refuted);
  ASSERT_EQ(f.counterexamples.size(), 1u);
  EXPECT_EQ(f.counterexamples[0].replay, kReplay);
}

TEST(ShmClaimsCopyFree, WrongWordsRefute) {
  CopyFreeMeasurement m = copy_free_ok();
  m.wrong_words = 3;
  EXPECT_EQ(judge_copy_free(m, kReplay).verdict, Verdict::refuted);
}

TEST(ShmClaimsCopyFree, NoFilterOrAFilterThatDoesNotBiteIsNotChecked) {
  CopyFreeMeasurement m = copy_free_ok();
  m.filter_errno = EINVAL;
  m.reader = Ended{2, 0};
  m.reader_done = false;
  Finding f = judge_copy_free(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::not_checked);
  EXPECT_NE(f.condition.find("EINVAL"), std::string::npos) << f.condition;

  m = copy_free_ok();
  m.control = Ended{0, 0};
  EXPECT_EQ(judge_copy_free(m, kReplay).verdict, Verdict::not_checked);

  m = copy_free_ok();
  m.reader = std::nullopt;  // never saw the flag; killed at the guard
  m.reader_done = false;
  EXPECT_EQ(judge_copy_free(m, kReplay).verdict, Verdict::not_checked);
}

// ---- the real experiments, quick

class ShmClaimsRun : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_TRUE(objects::live().empty());
    EXPECT_TRUE(test::leftovers().empty()) << ::testing::PrintToString(test::leftovers());
    auto w = sys::waitpid(-1, WNOHANG);
    ASSERT_FALSE(w) << "a child is left: pid " << w->first;
    EXPECT_EQ(w.error(), std::errc::no_child_process);
  }
  Context quick(std::uint64_t seed) {
    Context c;
    c.quick = true;
    c.seed = seed;
    c.replay = "ipc-harness claims --only X --seed " + std::to_string(seed);
    return c;
  }
};

TEST_F(ShmClaimsRun, UnlockedWritesCorruptAndLockedOnesDoNot) {
  Finding f = judge_race(measure_race(RaceSettings::for_context(quick(7)), 7), kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << f.condition << "\n" << ::testing::PrintToString(f.evidence);
  expect_lines(f);
}

TEST_F(ShmClaimsRun, OnlyRobustMutexesAndUndoSemaphoresSurviveTheirHolder) {
  auto dir = naming::make_folder();
  ASSERT_TRUE(dir);
  Context ctx = quick(7);
  ctx.work_dir = *dir;
  LockDeathMeasurement m = measure_lock_death(ctx);
  naming::remove_folder(*dir);
  ASSERT_EQ(m.variants.size(), 4u);
  EXPECT_EQ(m.variants[0].lock_errno, EOWNERDEAD);
  EXPECT_EQ(m.variants[1].lock_errno, ETIMEDOUT);
  EXPECT_EQ(m.variants[2].lock_errno, 0);
  EXPECT_EQ(m.variants[3].lock_errno, ETIMEDOUT);
  for (const auto& h : m.variants) EXPECT_EQ(h.holder_end, "killed by SIGKILL");
  ASSERT_EQ(m.harness.size(), 2u);
  for (const auto& k : m.harness) EXPECT_EQ(k.verdict, "pass") << k.describe;
  Finding f = judge_lock_death(m, ctx.replay);
  EXPECT_EQ(f.verdict, Verdict::holds_only_if) << f.condition;
  expect_lines(f);
}

TEST_F(ShmClaimsRun, AReaderWithoutSystemCallsSeesTheWritersBytes) {
  CopyFreeMeasurement m = measure_copy_free(1 << 20, 7);
  Finding f = judge_copy_free(m, kReplay);
  EXPECT_EQ(f.verdict, Verdict::holds) << f.condition << "\n" << ::testing::PrintToString(f.evidence);
  ASSERT_TRUE(m.control);
  EXPECT_EQ(m.control->signal, SIGSYS);
  EXPECT_GE(m.pipe_reads, 16u);  // a pipe holds 64 KiB at most by default
  expect_lines(f);
}

}  // namespace
}  // namespace ipch::claims
