// Bare ping-pongs: every mechanism completes its round trips, echoes are checked, limits throw,
// a child that dies mid-run makes the call throw rather than hang, and nothing is left behind.
#include "bare.hpp"

#include <gtest/gtest.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mechanism_names.hpp"

namespace ipch::bench {
namespace {

using ipch::test::param_name;

std::string prefix() {
  return "ipch-" + std::to_string(::getpid()) + "-baretest";
}

long proc_long(const char* path) {
  std::ifstream in(path);
  long v = -1;
  in >> v;
  return v;
}

// SysV objects that are this process's: shared memory it created, queues it last sent to or
// received from (the parent does both on every run). Other processes' objects are left out, so a
// parallel ctest cannot make this test fail.
std::set<std::string> our_sysv() {
  const std::string me = std::to_string(::getpid());
  std::set<std::string> out;
  auto rows = [](const char* path) {
    std::vector<std::vector<std::string>> r;
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      r.emplace_back();
      for (std::string w; f >> w;) r.back().push_back(w);
    }
    return r;
  };
  for (const auto& c : rows("/proc/sysvipc/shm"))  // key shmid perms size cpid ...
    if (c.size() > 4 && c[4] == me) out.insert("shm id " + c[1]);
  for (const auto& c : rows("/proc/sysvipc/msg"))  // key msqid perms cbytes qnum lspid lrpid ...
    if (c.size() > 6 && (c[5] == me || c[6] == me)) out.insert("msg id " + c[1]);
  return out;
}

// Everything named with the prefix, wherever the kernel shows names.
std::vector<std::string> named_leftovers() {
  std::vector<std::string> out;
  const char* t = std::getenv("TMPDIR");
  for (std::string dir : {std::string((t && *t) ? t : "/tmp"), std::string("/dev/shm"), std::string("/dev/mqueue")}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().filename().string().starts_with(prefix())) out.push_back(e.path().string());
  }
  // /dev/mqueue need not be mounted: ask for the queues by name.
  for (const char* s : {"-a", "-b"}) {
    mqd_t d = ::mq_open(("/" + prefix() + s).c_str(), O_RDONLY);
    if (d != static_cast<mqd_t>(-1)) {
      ::mq_close(d);
      out.push_back("mqueue /" + prefix() + s);
    }
  }
  int fd = ::shm_open(("/" + prefix() + "-shm").c_str(), O_RDONLY, 0);
  if (fd >= 0) {
    ::close(fd);
    out.push_back("shm /" + prefix() + "-shm");
  }
  return out;
}

void expect_samples(const std::optional<RoundTrips>& rt, std::size_t n) {
  ASSERT_TRUE(rt.has_value());
  ASSERT_EQ(rt->ns.size(), n);
  for (double ns : rt->ns) EXPECT_GT(ns, 0.0);
}

class Clean : public ::testing::Test {
 protected:
  void SetUp() override { before_ = our_sysv(); }
  void TearDown() override {
    EXPECT_EQ(named_leftovers(), std::vector<std::string>{});
    std::set<std::string> after = our_sysv(), added;
    for (const auto& s : after)
      if (!before_.contains(s)) added.insert(s);
    EXPECT_EQ(added, std::set<std::string>{}) << "SysV objects left behind";
  }

 private:
  std::set<std::string> before_;
};

class CleanP : public Clean, public ::testing::WithParamInterface<std::string> {};

using EveryMechanism = CleanP;
TEST_P(EveryMechanism, CompletesTheRoundTripsAsked) {
  expect_samples(bare_ping_pong(GetParam(), 64, 200, 20, false, -1, -1, prefix()), 200);
}
INSTANTIATE_TEST_SUITE_P(Bare, EveryMechanism, ::testing::ValuesIn(bare_mechanisms()), param_name);

// The end of a run races the child's exit against the parent's last read: nothing may treat a
// clean exit as a death. Probabilistic (a few percent of short shm runs lost that race before
// the fix), hence many short runs.
using ShortRuns = CleanP;
TEST_P(ShortRuns, EndCleanly) {
  for (int i = 0; i < 30; ++i) expect_samples(bare_ping_pong(GetParam(), 64, 1, 0, false, -1, -1, prefix()), 1);
}
INSTANTIATE_TEST_SUITE_P(Bare, ShortRuns, ::testing::ValuesIn(bare_mechanisms()), param_name);

using SharedMemory = CleanP;
TEST_P(SharedMemory, SpinningCompletesTheRoundTripsAsked) {
  expect_samples(bare_ping_pong(GetParam(), 64, 200, 20, true, -1, -1, prefix()), 200);
}
INSTANTIATE_TEST_SUITE_P(Bare, SharedMemory, ::testing::Values("sysv-shm", "posix-shm"), param_name);

using OneMebibyte = CleanP;
TEST_P(OneMebibyte, CrossesWhole) {
  expect_samples(bare_ping_pong(GetParam(), std::size_t{1} << 20, 5, 1, false, -1, -1, prefix()), 5);
}
INSTANTIATE_TEST_SUITE_P(Bare, OneMebibyte, ::testing::Values("pipe", "unix-stream", "tcp", "sysv-shm", "posix-shm"),
                         param_name);

// A record bigger than the default send buffer needs the buffers raised; the floor does that.
using LargeRecords = CleanP;
TEST_P(LargeRecords, FitAfterRaisingTheSocketBuffers) {
  const long wmem_default = proc_long("/proc/sys/net/core/wmem_default");
  ASSERT_GT(wmem_default, 0);
  expect_samples(
      bare_ping_pong(GetParam(), static_cast<std::size_t>(wmem_default) + 1024, 3, 1, false, -1, -1, prefix()), 3);
}
INSTANTIATE_TEST_SUITE_P(Bare, LargeRecords, ::testing::Values("unix-dgram", "unix-seqpacket"), param_name);

void expect_limit(const std::string& mechanism, std::size_t size, const std::string& named) {
  try {
    bare_ping_pong(mechanism, size, 1, 0, false, -1, -1, prefix());
    ADD_FAILURE() << mechanism << " took a " << size << "-byte message";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
  }
}

using Limits = Clean;
TEST_F(Limits, OversizedMessagesThrowNamingTheLimit) {
  expect_limit("sysv-msg", static_cast<std::size_t>(proc_long("/proc/sys/kernel/msgmax")) + 1, "msgmax");
  expect_limit("posix-mq", static_cast<std::size_t>(proc_long("/proc/sys/fs/mqueue/msgsize_max")) + 1, "msgsize_max");
  expect_limit("udp", 65508, "65507");
  // The kernel doubles SO_SNDBUF and caps the request at wmem_max: twice wmem_max cannot fit.
  const auto past_sndbuf = static_cast<std::size_t>(2 * proc_long("/proc/sys/net/core/wmem_max")) + 1;
  expect_limit("unix-dgram", past_sndbuf, "SO_SNDBUF");
  expect_limit("unix-seqpacket", past_sndbuf, "SO_SNDBUF");
}

TEST(BareUnknown, ReturnsNullopt) {
  EXPECT_FALSE(bare_ping_pong("nope", 64, 10, 1, false, -1, -1, prefix()).has_value());
}

TEST(BareNames, AreTheRegistrysNamesInItsOrder) {
  EXPECT_EQ(bare_mechanisms(), ipch::test::mechanism_names());
}

using Pinning = Clean;
TEST_F(Pinning, GivesTheCallersCpuMaskBackAndIgnoresMissingCpus) {
  cpu_set_t before, after;
  ASSERT_EQ(::sched_getaffinity(0, sizeof before, &before), 0);
  expect_samples(bare_ping_pong("pipe", 64, 50, 5, false, 0, 1, prefix()), 50);
  expect_samples(bare_ping_pong("pipe", 64, 50, 5, false, 1000, 1001, prefix()), 50);  // no such CPUs
  ASSERT_EQ(::sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

// The child is killed from outside mid-run: the parent must notice through the mechanism (EOF,
// or the watchdog's poison where the kernel would let it wait forever), throw, and clean up.
void expect_throw_when_child_killed(const std::string& mechanism, bool spin) {
  const std::string children = "/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/children";
  if (!std::filesystem::exists(children)) GTEST_SKIP() << children << " is not available (CONFIG_PROC_CHILDREN)";
  std::atomic<bool> done{false}, killed{false};
  std::thread killer([&] {
    while (!done) {
      std::ifstream in(children);
      pid_t pid = 0;
      if (in >> pid && pid > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // into the measured loop
        ::kill(pid, SIGKILL);
        killed = true;
        // A parent the death cannot reach blocks forever: fail now, not at ctest's timeout.
        for (int i = 0; i < 500 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!done) {
          std::fprintf(stderr, "FAILED: bare_ping_pong(%s) still blocked 5 s after its child was killed\n",
                       mechanism.c_str());
          std::_Exit(1);
        }
        return;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  EXPECT_THROW(bare_ping_pong(mechanism, 64, 50'000'000, 0, spin, -1, -1, prefix()), std::runtime_error);
  done = true;
  killer.join();
  EXPECT_TRUE(killed);
}

using ChildDeath = CleanP;
TEST_P(ChildDeath, ThrowsInsteadOfHanging) {
  expect_throw_when_child_killed(GetParam(), false);
}
INSTANTIATE_TEST_SUITE_P(Bare, ChildDeath, ::testing::ValuesIn(bare_mechanisms()), param_name);

// A spinning parent watches no kernel object at all: only the "gone" word can stop it.
using ChildDeathSpinning = CleanP;
TEST_P(ChildDeathSpinning, ThrowsInsteadOfHanging) {
  expect_throw_when_child_killed(GetParam(), true);
}
INSTANTIATE_TEST_SUITE_P(Bare, ChildDeathSpinning, ::testing::Values("sysv-shm", "posix-shm"), param_name);

}  // namespace
}  // namespace ipch::bench
