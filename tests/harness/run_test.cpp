// Runs of real processes over real kernel objects: every mechanism passes a small run, and the
// planted pipelining deadlock is caught and diagnosed from /proc.
#include <gtest/gtest.h>

#include "delivery.hpp"
#include "leaks.hpp"
#include "mechanism_names.hpp"
#include "registry.hpp"
#include "runner.hpp"
#include "sys.hpp"

#include <set>

namespace ipch {
namespace {

Scenario stream(const std::string& mech, std::uint32_t senders, std::uint32_t receivers) {
  Scenario s;
  s.seed = 7;
  s.mechanism = mech;
  s.workload = {WorkloadKind::stream, senders, receivers, 400, 16384, 1};
  s.stall_ms = 5000;
  return s;
}

class EveryMechanism : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override { EXPECT_TRUE(test::leftovers().empty()) << ::testing::PrintToString(test::leftovers()); }
};

TEST_P(EveryMechanism, PassesTwoByTwoWhereTheContractAllowsIt) {
  const Mechanism* m = registry::find(GetParam());
  std::uint32_t receivers = m->contract.many_receivers ? 2 : 1;
  RunOutcome r = run_scenario(stream(GetParam(), 2, receivers), {});
  ASSERT_FALSE(r.deadlock) << r.diagnosis.size();
  ASSERT_TRUE(r.error.empty()) << r.error;
  DeliveryReport d = check_delivery(r.history, r.contract);
  EXPECT_TRUE(d.violations.empty()) << d.violations.front().kind << ": " << d.violations.front().detail;
  if (r.contract.delivery == Delivery::reliable) {
    EXPECT_EQ(d.received, 400u);
  }
  EXPECT_EQ(d.sent, 400u);
}

TEST_P(EveryMechanism, RequestResponseWithinTheBuffersPasses) {
  Scenario s = stream(GetParam(), 1, 1);
  s.workload.kind = WorkloadKind::request_response;
  s.workload.depth = 2;
  s.workload.max_size = 1024;
  RunOutcome r = run_scenario(s, {});
  ASSERT_FALSE(r.deadlock) << (r.diagnosis.empty() ? "" : r.diagnosis.front().summary());
  ASSERT_TRUE(r.error.empty()) << r.error;
  if (r.contract.delivery == Delivery::reliable) {
    DeliveryReport d = check_delivery(r.history, r.contract);
    EXPECT_TRUE(d.violations.empty()) << d.violations.front().detail;
    EXPECT_EQ(d.received, 800u);
  }
}

INSTANTIATE_TEST_SUITE_P(All, EveryMechanism, ::testing::ValuesIn(test::mechanism_names()), test::param_name);

// Pipelining 64 requests of up to 64 KiB through two 64 KiB pipes: client and server both end
// up in write(), each on the pipe the other should be reading.
TEST(Deadlock, PlantedPipelineDeadlockIsDiagnosedFromProc) {
  Scenario s;
  s.seed = 7;
  s.mechanism = "pipe";
  s.workload = {WorkloadKind::request_response, 1, 1, 1000, 65536, 64};
  s.stall_ms = 1000;
  RunOutcome r = run_scenario(s, {});
  ASSERT_TRUE(r.deadlock);
  ASSERT_EQ(r.diagnosis.size(), 2u);
  std::set<std::string> objects;
  for (const Blocked& b : r.diagnosis) {
    EXPECT_EQ(b.syscall, "write") << b.summary();
    EXPECT_TRUE(b.object.starts_with("pipe:[")) << b.summary();
    objects.insert(b.object);
    ASSERT_EQ(b.others.size(), 1u) << b.summary();
    EXPECT_NE(b.others[0].pid, b.pid);
    EXPECT_EQ(b.others[0].access, "read") << b.summary();
  }
  EXPECT_EQ(objects.size(), 2u) << "both pipes are named";
  std::set<std::string> roles;
  for (const Blocked& b : r.diagnosis) roles.insert(b.role);
  EXPECT_EQ(roles, (std::set<std::string>{"client", "server"}));
  // Every worker is gone and so is every object.
  for (const auto& w : r.history.workers) EXPECT_FALSE(sys::kill(w.pid, 0)) << w.name() << " outlived the run";
  EXPECT_TRUE(test::leftovers().empty());
}

TEST(Deadlock, WithinTheBuffersTheSamePipelineIsNoDeadlock) {
  Scenario s;
  s.seed = 7;
  s.mechanism = "pipe";
  s.workload = {WorkloadKind::request_response, 1, 1, 200, 512, 4};
  s.stall_ms = 2000;
  RunOutcome r = run_scenario(s, {});
  EXPECT_FALSE(r.deadlock);
  EXPECT_TRUE(r.error.empty()) << r.error;
}

TEST(Runner, AWorkloadTheContractForbidsIsBadInputNamingWhatItAllows) {
  try {
    run_scenario(stream("pipe", 1, 2), {});
    FAIL() << "two pipe readers were accepted";
  } catch (const BadInput& e) {
    EXPECT_NE(std::string(e.what()).find("--receivers 1"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(test::leftovers().empty());
}

TEST(Runner, SizesAreCappedToTheMechanismLimitAndSaySo) {
  Scenario s = stream("sysv-msg", 1, 1);
  s.workload.max_size = 1 << 20;
  RunOutcome r = run_scenario(s, {});
  EXPECT_LT(r.cap, 1u << 20);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.front().find("msgmax"), std::string::npos) << r.notes.front();
}

}  // namespace
}  // namespace ipch
