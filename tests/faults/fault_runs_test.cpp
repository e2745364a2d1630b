// Each fault, injected into a real run: the history shows that it fired, and that what the
// catalogue says a correct mechanism does under it followed.
#include <gtest/gtest.h>

#include <set>

#include "catalogue.hpp"
#include "delivery.hpp"
#include "fault_plan.hpp"
#include "leaks.hpp"
#include "nonrobust_shm.hpp"
#include "plan.hpp"
#include "runner.hpp"

namespace ipch {
namespace {

Scenario with_fault(const std::string& mech, const std::string& spec, std::uint64_t messages = 300) {
  Scenario s;
  s.seed = 11;
  s.mechanism = mech;
  s.workload = {WorkloadKind::stream, 1, 1, messages, 8192, 1};
  s.stall_ms = 3000;
  faults::Plan plan;
  if (!spec.empty()) {
    std::size_t start = 0;
    while (start < spec.size()) {  // several faults, separated by ';'
      auto end = spec.find(';', start);
      auto f = faults::parse(spec.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (!f) throw std::runtime_error(f.error());
      plan.push_back(*f);
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  s.faults = faults::to_json(plan);
  resolve_faults(s);
  return s;
}

std::string verdict(const RunOutcome& r, const DeliveryReport& d) {
  if (r.deadlock) return "deadlock";
  if (!r.error.empty()) return "error: " + r.error;
  return d.violations.empty() ? "pass" : "violations: " + d.violations.front().kind + " " + d.violations.front().detail;
}

std::vector<Event> events(const RunOutcome& r, EventKind k) {
  std::vector<Event> out;
  for (const auto& e : r.history.events)
    if (e.kind == k) out.push_back(e);
  return out;
}
std::vector<FaultAction> actions(const RunOutcome& r) {
  std::vector<FaultAction> out;
  for (const auto& e : events(r, EventKind::fault)) out.push_back(static_cast<FaultAction>(e.err));
  return out;
}
bool has(const std::vector<FaultAction>& v, FaultAction a) { return std::find(v.begin(), v.end(), a) != v.end(); }
template <class T>
std::uint64_t sum_finished(const RunOutcome& r, T Event::*field) {
  std::uint64_t n = 0;
  for (const auto& e : events(r, EventKind::finished)) n += e.*field;
  return n;
}

class FaultRun : public ::testing::Test {
 protected:
  // `strategy`: under a controlled schedule (the kernel's scheduler otherwise).
  RunOutcome run(const Scenario& s, std::shared_ptr<schedule::Strategy> strategy = nullptr) {
    RunOptions o;
    o.strategy = std::move(strategy);
    RunOutcome r = run_scenario(s, o);
    report_ = check_delivery(r.history, r.contract);
    return r;
  }
  void TearDown() override { EXPECT_TRUE(test::leftovers().empty()) << ::testing::PrintToString(test::leftovers()); }
  DeliveryReport report_;
};

// The kill lands when the runner reads the receiver's 10th message from its control pipe, a few
// messages later under load. With 300 messages the sender once finished before it (under ctest
// -j2) and never wrote to a dead reader; 100,000 cannot all pass first, and EPIPE ends the run.
TEST_F(FaultRun, KillReceiverOnAPipeGivesTheSenderEpipeNotAHang) {
  auto r = run(with_fault("pipe", "kill-receiver:at=10", 100000));
  EXPECT_EQ(verdict(r, report_), "pass");
  EXPECT_TRUE(has(actions(r), FaultAction::killed));
  auto failed = events(r, EventKind::send_failed);
  ASSERT_FALSE(failed.empty()) << "the sender never learned its reader was gone";
  EXPECT_EQ(failed.front().err, EPIPE);
}

TEST_F(FaultRun, KillReceiverOnAQueueRestartsOneThatGetsTheRest) {
  auto r = run(with_fault("sysv-msg", "kill-receiver:at=20"));
  EXPECT_EQ(verdict(r, report_), "pass");
  EXPECT_TRUE(has(actions(r), FaultAction::killed));
  EXPECT_TRUE(has(actions(r), FaultAction::released)) << "no receiver was restarted";
  EXPECT_EQ(report_.sent, 300u);
  EXPECT_GE(report_.received, 298u) << "only what the killed receiver held may be lost";
}

TEST_F(FaultRun, KillSenderLosesNothingItCompleted) {
  auto r = run(with_fault("posix-mq", "kill-sender:at=40"));
  EXPECT_EQ(verdict(r, report_), "pass");
  EXPECT_TRUE(has(actions(r), FaultAction::killed));
  EXPECT_EQ(report_.lost, 0u);
  EXPECT_LE(report_.indeterminate, 1u);
  EXPECT_GE(report_.sent, 40u);
}

// Under a controlled schedule: the kernel's scheduler may let the receiver read all 300
// messages before the runner has read its 10th receipt, and the stop then lands on a receiver
// with nothing left to read (no continue to record). A schedule holds it at its 10th receipt.
TEST_F(FaultRun, StopAndContinueLosesNothing) {
  auto r = run(with_fault("unix-stream", "stop:at=10,for=20"),
               schedule::Explorer({schedule::Kind::random}, 11).next());
  EXPECT_EQ(verdict(r, report_), "pass");
  auto a = actions(r);
  EXPECT_TRUE(has(a, FaultAction::stopped));
  EXPECT_TRUE(has(a, FaultAction::continued) || has(a, FaultAction::released));
  EXPECT_EQ(report_.received, 300u);
}

TEST_F(FaultRun, FullBufferMakesANonBlockingSenderMeetEagain) {
  Scenario s = with_fault("pipe", "full-buffer");
  s.settings.blocking = false;
  auto r = run(s);
  EXPECT_EQ(verdict(r, report_), "pass");
  EXPECT_TRUE(has(actions(r), FaultAction::held));
  EXPECT_FALSE(events(r, EventKind::would_block).empty()) << "the sender never met a full buffer";
  EXPECT_EQ(report_.received, 300u);
}

TEST_F(FaultRun, FullBufferBlocksABlockingSenderUntilTheReceiverContinues) {
  auto r = run(with_fault("unix-dgram", "full-buffer"));
  EXPECT_EQ(verdict(r, report_), "pass");
  EXPECT_TRUE(has(actions(r), FaultAction::held));
  EXPECT_TRUE(has(actions(r), FaultAction::released)) << "released only once every sender was blocked";
  EXPECT_EQ(report_.received, 300u) << "unix-dgram must not lose under a full buffer";
}

TEST_F(FaultRun, DropDatagramIsALossUdpMayHaveAndUnixDgramMayNot) {
  auto udp = run(with_fault("udp", "drop-datagram:nth=5"));
  EXPECT_EQ(verdict(udp, report_), "pass");
  EXPECT_GE(report_.lost, 1u);
  auto unix = run(with_fault("unix-dgram", "drop-datagram:nth=5"));
  ASSERT_EQ(report_.violations.size(), 1u);
  EXPECT_EQ(report_.violations[0].kind, "lost");
  EXPECT_NE(report_.violations[0].detail.find("seq 4"), std::string::npos) << report_.violations[0].detail;
}

TEST_F(FaultRun, DelayLockOnlySlowsTheRing) {
  for (const char* m : {"posix-shm", "sysv-shm"}) {
    auto r = run(with_fault(m, "delay-lock:us=200,count=50"));
    EXPECT_EQ(verdict(r, report_), "pass") << m;
    EXPECT_GT(sum_finished(r, &Event::sender), 0u) << m << ": the lock point never fired";
  }
}

TEST_F(FaultRun, KillLockHolderIsSurvivedByBothRings) {
  for (const char* m : {"posix-shm", "sysv-shm"}) {
    Scenario s = with_fault(m, "kill-lock-holder:nth=5");
    s.workload.senders = 2;
    auto r = run(s);
    EXPECT_EQ(verdict(r, report_), "pass") << m;
    EXPECT_TRUE(has(actions(r), FaultAction::killed)) << m << ": the holder was never killed";
    EXPECT_LE(report_.indeterminate, 1u);
    EXPECT_EQ(report_.lost, 0u) << m;
  }
}

// The mutant: the same ring, a lock that is not robust. Killing its holder must end as a
// deadlock in futex(), and the same seed must give that verdict again.
TEST_F(FaultRun, KillLockHolderOnANonRobustLockIsADiagnosedDeadlockThatReplays) {
  mutants::register_nonrobust_shm();
  Scenario s;
  s.seed = 11;
  s.mechanism = "posix-shm-nonrobust";
  s.workload = {WorkloadKind::stream, 2, 1, 300, 8192, 1};
  s.stall_ms = 400;
  s.faults = nlohmann::json::array({{{"name", "kill-lock-holder"}, {"params", {{"nth", "5"}}}}});
  int deadlocks = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = run(s);
    if (!r.deadlock) continue;
    ++deadlocks;
    bool futex = std::any_of(r.diagnosis.begin(), r.diagnosis.end(), [](const Blocked& b) { return b.syscall == "futex"; });
    EXPECT_TRUE(futex) << r.diagnosis.front().summary();
  }
  EXPECT_GE(deadlocks, 19);
}

TEST_F(FaultRun, ShortIoIsFinishedByTheWrapper) {
  for (const char* m : {"pipe", "fifo", "unix-stream", "tcp"}) {
    auto r = run(with_fault(m, "short-io:bytes=7", 100));
    EXPECT_EQ(verdict(r, report_), "pass") << m;
    EXPECT_GT(sum_finished(r, &Event::size), 0u) << m << ": no short read or write happened";
    EXPECT_EQ(report_.received, 100u) << m;
  }
}

// Whether a signal lands inside a blocking call rather than between calls is up to the
// scheduler, so one run may see none (it did once in CI, under ctest -j2). Every run must
// pass; across a few seeds at least one must have retried an EINTR.
TEST_F(FaultRun, EintrIsRetriedAndNothingFails) {
  std::uint64_t retried = 0;
  for (std::uint64_t seed = 11; seed < 19 && retried == 0; ++seed) {
    Scenario s = with_fault("posix-mq", "eintr:every=1", 2000);
    s.seed = seed;
    auto r = run(s);
    EXPECT_EQ(verdict(r, report_), "pass") << "seed " << seed;
    EXPECT_TRUE(events(r, EventKind::send_failed).empty()) << "seed " << seed;
    retried += sum_finished(r, &Event::seq);
  }
  EXPECT_GT(retried, 0u) << "no signal landed in a blocking call in 8 runs";
}

TEST_F(FaultRun, AnInjectedErrnoIsReportedAsData) {
  auto r = run(with_fault("pipe", "errno:errno=ENOSPC,nth=7"));
  EXPECT_EQ(verdict(r, report_), "pass");
  auto failed = events(r, EventKind::send_failed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].err, ENOSPC);
  EXPECT_EQ(failed[0].seq, 6u);
  EXPECT_EQ(report_.sent, 299u) << "the sender goes on after one failed send";
}

TEST_F(FaultRun, ALeakedFdAloneChangesNothing) {
  auto r = run(with_fault("pipe", "leaked-fd"));
  EXPECT_EQ(verdict(r, report_), "pass");
  EXPECT_TRUE(has(actions(r), FaultAction::bystander));
}

// The source text's "a writer can block indefinitely if the reader terminates" holds only when
// another process keeps a read end: then it is a deadlock naming write() and the bystander.
TEST_F(FaultRun, ALeakedFdMakesAKilledReaderADeadlockNamingTheBystander) {
  Scenario s = with_fault("pipe", "leaked-fd;kill-receiver", 2000);
  s.workload.max_size = 65536;
  s.stall_ms = 500;
  auto r = run(s);
  ASSERT_TRUE(r.deadlock);
  auto w = std::find_if(r.diagnosis.begin(), r.diagnosis.end(), [](const Blocked& b) { return b.role == "sender-0"; });
  ASSERT_NE(w, r.diagnosis.end());
  EXPECT_EQ(w->syscall, "write") << w->summary();
  bool bystander = std::any_of(w->others.begin(), w->others.end(),
                               [](const Holder& h) { return h.role == "bystander" && h.access == "read"; });
  EXPECT_TRUE(bystander) << w->summary();
}

// Every fault on every mechanism it applies to ends in a verdict the contract expects: never a
// harness error, never an unexplained hang.
TEST_F(FaultRun, EveryFaultOnEveryMechanismItAppliesToEndsAsTheContractSays) {
  const std::set<std::pair<std::string, std::string>> violations{{"unix-dgram", "drop-datagram"}};
  for (const auto& f : faults::mechanism_faults()) {
    for (const auto& m : faults::where(f)) {
      SCOPED_TRACE(m + " + " + f.name);
      Scenario s = with_fault(m, f.name, 200);
      auto r = run(s);
      std::string v = verdict(r, report_);
      if (violations.count({m, f.name})) EXPECT_TRUE(v.starts_with("violations")) << v;
      else EXPECT_EQ(v, "pass") << "seed " << s.seed << " " << to_json(s).dump();
    }
  }
}

}  // namespace
}  // namespace ipch
