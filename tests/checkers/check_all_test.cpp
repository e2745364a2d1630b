// check_all: every checker over one run, and the verdict it gives; plus one real run whose
// outcome, leftovers included, passes every checker.
#include <gtest/gtest.h>

#include "builder.hpp"
#include "check.hpp"
#include "leaks.hpp"

namespace ipch::test {
namespace {

RunOutcome clean_outcome() {
  RunOutcome r;
  r.history = Builder(1).sent(0, 0).got(0, 0).h;
  return r;
}

TEST(CheckAll, ACleanRunPasses) {
  Report rep = check_all(clean_outcome());
  EXPECT_EQ(rep.verdict, "pass");
  EXPECT_TRUE(rep.violations.empty());
}

TEST(CheckAll, RunsEveryChecker) {
  RunOutcome r = clean_outcome();
  r.history = Builder(2).sent(0, 0).sent(0, 1).sent(1, 0).got(0, 1).got(0, 0).got(1, 0, Damage::bad_hash).got(1, 9).h;
  r.leftovers = {"sysv-msg ipch-1-2"};
  Report rep = check_all(r);
  EXPECT_EQ(rep.verdict, "violations");
  EXPECT_EQ(kinds_of(rep.violations), (std::vector<std::string>{"corrupted", "unexpected", "reordered", "leaked"}));
}

TEST(CheckAll, AStallStaysADeadlockAndListsItsLiveness) {
  RunOutcome r = clean_outcome();
  r.deadlock = true;
  r.stalled_ms = 2000;
  Blocked b;
  b.pid = 100;
  b.role = "sender-0";
  b.syscall = "write";
  r.diagnosis = {b};
  Report rep = check_all(r);
  EXPECT_EQ(rep.verdict, "deadlock");
  EXPECT_EQ(kinds_of(rep.violations), std::vector<std::string>{"liveness"});
}

TEST(CheckAll, AHarnessErrorIsAnError) {
  RunOutcome r = clean_outcome();
  r.error = "worker sender-0 exited 3";
  EXPECT_EQ(check_all(r).verdict, "error");
}

TEST(CheckAll, ARealRunLeavesNothingAndPasses) {
  Scenario s;
  s.seed = 11;
  s.mechanism = "sysv-msg";
  s.workload = {WorkloadKind::stream, 2, 1, 40, 512, 1};
  RunOutcome r = run_scenario(s, {});
  Report rep = check_all(r);
  EXPECT_EQ(rep.verdict, "pass") << (rep.violations.empty() ? "" : rep.violations[0].detail);
  EXPECT_TRUE(r.leftovers.empty()) << ::testing::PrintToString(r.leftovers);
  EXPECT_TRUE(leftovers().empty()) << ::testing::PrintToString(leftovers());
}

}  // namespace
}  // namespace ipch::test
