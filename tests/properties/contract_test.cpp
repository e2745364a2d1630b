// For every mechanism, the contract's invariants hold under every applicable fault: a generated
// scenario (properties/generators.hpp), run in real processes and judged by every checker
// (check_all), passes. A failure shrinks toward fewer messages, smaller sizes, fewer processes
// and no fault, and prints the scenario, its reproducer and the `ipc-harness replay` command
// next to rapidcheck's own reproduce string.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "check.hpp"
#include "fault_plan.hpp"
#include "generators.hpp"
#include "plan.hpp"
#include "registry.hpp"
#include "reproducer.hpp"
#include "runner.hpp"

namespace ipch {
namespace {

// CI runs a bounded slice: 30 cases per mechanism keep the label within minutes on 2 cores.
// Set before rapidcheck reads its configuration (on the first property); RC_PARAMS set by the
// caller wins (ci/soak raises it).
const bool kBoundedByDefault = (setenv("RC_PARAMS", "max_success=30", 0), true);

// Smaller cases than `run --cases`: every mechanism gets its own property in one ctest budget.
gen::Options options(const char* mechanism) {
  gen::Options o;
  o.mechanism = mechanism;
  o.max_messages = 100;
  return o;
}

// Writes the reproducer into a fresh folder (not ipch-*: `ipc-harness clean` owns those names).
std::string keep_reproducer(const Scenario& s, const std::string& verdict) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ipc-property-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return "(could not create a folder for the reproducer)";
  std::string path = tmpl + "/reproducer.json";
  if (auto w = write_reproducer(path, {s, verdict}); !w) return "(" + w.error() + ")";
  return path;
}

void contract_holds(const char* mechanism) {
  const Scenario s = *gen::scenario(options(mechanism));
  RC_TAG(gen::fault_name(s));
  RunOutcome r = run_scenario(s, {});
  Report rep = check_all(r);
  if (rep.verdict == "pass") return;
  std::string why;
  for (const auto& v : rep.violations) why += "\n  " + v.kind + ": " + v.detail;
  for (const auto& b : r.diagnosis) why += "\n  " + b.summary();
  if (!r.error.empty()) why += "\n  error: " + r.error;
  std::string path = keep_reproducer(s, rep.verdict);
  RC_FAIL(gen::describe(s) + ": " + rep.verdict + why + "\nscenario: " + to_json(s).dump() + "\nreproducer: " + path +
          "\nreplay it: " + replay_command(path));
}

#define IPCH_CONTRACT_PROPERTY(Name, mechanism) \
  RC_GTEST_PROP(ContractHolds, Name, ()) { contract_holds(mechanism); }

IPCH_CONTRACT_PROPERTY(Pipe, "pipe")
IPCH_CONTRACT_PROPERTY(Fifo, "fifo")
IPCH_CONTRACT_PROPERTY(SysvMsg, "sysv-msg")
IPCH_CONTRACT_PROPERTY(PosixMq, "posix-mq")
IPCH_CONTRACT_PROPERTY(SysvShm, "sysv-shm")
IPCH_CONTRACT_PROPERTY(PosixShm, "posix-shm")
IPCH_CONTRACT_PROPERTY(UnixStream, "unix-stream")
IPCH_CONTRACT_PROPERTY(UnixDgram, "unix-dgram")
IPCH_CONTRACT_PROPERTY(UnixSeqpacket, "unix-seqpacket")
IPCH_CONTRACT_PROPERTY(Tcp, "tcp")
IPCH_CONTRACT_PROPERTY(Udp, "udp")

// Every mechanism has its property: a mechanism added to the registry without one fails here.
TEST(ContractHolds, EveryMechanismHasAProperty) {
  EXPECT_EQ(registry::all().size(), 11u) << "add an IPCH_CONTRACT_PROPERTY line for the new mechanism";
}

// The generator stays within what the contract promises to pass, and covers the size edges.
TEST(Generators, DrawIsDeterministicAndValid) {
  gen::Options o;
  for (std::uint64_t i = 0; i < 200; ++i) {
    Scenario a = gen::draw(o, 99, i), b = gen::draw(o, 99, i);
    ASSERT_EQ(to_json(a), to_json(b)) << i;
    EXPECT_LE(a.workload.messages, o.max_messages);
    EXPECT_GE(a.workload.max_size, 32u);
    EXPECT_LE(a.workload.max_size, o.max_size);
    EXPECT_NO_THROW(plan_workers(a, registry::find(a.mechanism)->contract)) << to_json(a).dump();
    EXPECT_FALSE(a.mechanism == "unix-dgram" && gen::fault_name(a) == "drop-datagram");
  }
  auto edges = gen::size_edges("pipe", 65536);
  EXPECT_EQ(edges, (std::vector<std::size_t>{32, 4096, 4097, 65536}));
}

TEST(Generators, SmallerStepsShrinkEveryComponent) {
  Scenario s = gen::draw({}, 7, 0);
  s.workload = {WorkloadKind::stream, 2, 2, 50, 4096, 1};
  s.faults = faults::to_json(faults::Plan{faults::Fault{"stop", {}}});
  resolve_faults(s);
  auto steps = gen::smaller(s);
  ASSERT_FALSE(steps.empty());
  EXPECT_TRUE(steps.front().faults.empty());
  for (const auto& t : steps) {
    EXPECT_TRUE(t.workload.messages < 50 || t.workload.senders < 2 || t.workload.receivers < 2 ||
                t.workload.max_size < 4096 || t.faults.empty())
        << gen::describe(t);
  }
}

}  // namespace
}  // namespace ipch
