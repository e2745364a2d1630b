// liveness: one violation per blocked worker at a stall, naming the fault after a kill; quiet
// without a stall and where the fault plan predicts the stall (leaked-fd).
#include "liveness.hpp"

#include <gtest/gtest.h>

#include "builder.hpp"

namespace ipch::test {
namespace {

bool mentions(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

Blocked blocked(pid_t pid, std::string role, std::string call, int fd, std::string object) {
  Blocked b;
  b.pid = pid;
  b.role = std::move(role);
  b.state = "S (sleeping)";
  b.wchan = "pipe_write";
  b.syscall = std::move(call);
  b.fd = fd;
  b.object = std::move(object);
  return b;
}

TEST(Liveness, OneViolationPerBlockedWorkerOfTheDiagnosis) {
  std::vector<Blocked> d{blocked(100, "sender-0", "write", 7, "pipe:[89575]"),
                         blocked(101, "receiver-0", "read", 4, "pipe:[89576]")};
  auto v = check_liveness(Builder(1).sent(0, 0).h, Stall{2000, d});
  ASSERT_EQ(kinds_of(v), (std::vector<std::string>{"liveness", "liveness"}));
  EXPECT_TRUE(mentions(v[0].detail, "sender-0 (pid 100) blocked in write(fd 7 = pipe:[89575]) in pipe_write"))
      << v[0].detail;
  EXPECT_TRUE(mentions(v[0].detail, "no worker made progress for 2000 ms")) << v[0].detail;
  EXPECT_TRUE(mentions(v[1].detail, "receiver-0 (pid 101)")) << v[1].detail;
}

TEST(Liveness, ASurvivorThatHangsAfterAKillIsNamedWithTheFault) {
  Builder b(1);
  b.sent(0, 0).got(0, 0).fault("kill-receiver", FaultAction::killed, b.receiver).sent(0, 1, false);
  std::vector<Blocked> d{blocked(100, "sender-0", "write", 7, "pipe:[1]")};
  auto v = check_liveness(b.h, Stall{2000, d});
  ASSERT_EQ(kinds_of(v), std::vector<std::string>{"liveness"});
  EXPECT_TRUE(mentions(v[0].detail, "after kill-receiver killed receiver-0 (pid 101)")) << v[0].detail;
  EXPECT_TRUE(mentions(v[0].detail, "must get an error or end of stream")) << v[0].detail;
}

// The runner leaves a receiver running after its senders only where the contract promises end
// of stream; a receiver still blocked then is told so.
TEST(Liveness, AReceiverStillWaitingAfterEverySenderExitedIsToldItWasPromisedEndOfStream) {
  Builder b(1);
  b.sent(0, 0).got(0, 0).add({.worker = 0, .kind = EventKind::exited});
  std::vector<Blocked> d{blocked(101, "receiver-0", "read", 6, "pipe:[1]")};
  auto v = check_liveness(b.h, Stall{300, d});
  ASSERT_EQ(kinds_of(v), std::vector<std::string>{"liveness"});
  EXPECT_TRUE(mentions(v[0].detail, "every sender has exited")) << v[0].detail;
  EXPECT_TRUE(mentions(v[0].detail, "promises this receiver end of stream")) << v[0].detail;
}

TEST(Liveness, QuietWithoutAStall) {
  EXPECT_TRUE(check_liveness(Builder(1).sent(0, 0).got(0, 0).h, std::nullopt).empty());
}

TEST(Liveness, BystandersAreNeverReported) {
  Builder b(1);
  b.h.workers.push_back({2, WorkerRole::bystander, 0, 300});
  std::vector<Blocked> d{blocked(300, "bystander", "pause", -1, ""), blocked(100, "sender-0", "write", 7, "pipe:[1]")};
  auto v = check_liveness(b.h, Stall{2000, d});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(mentions(v[0].detail, "sender-0")) << v[0].detail;
}

TEST(Liveness, TheStallLeakedFdPredictsIsNoViolation) {
  Builder b(1);
  b.fault("leaked-fd", FaultAction::bystander, 2);
  b.sent(0, 0).fault("kill-receiver", FaultAction::killed, b.receiver);
  std::vector<Blocked> d{blocked(100, "sender-0", "write", 7, "pipe:[1]")};
  EXPECT_TRUE(check_liveness(b.h, Stall{2000, d}).empty());
  EXPECT_TRUE(mentions(expected_stall(b.h), "leaked-fd")) << expected_stall(b.h);
  EXPECT_TRUE(expected_stall(Builder(1).fault("leaked-fd", FaultAction::bystander, 2).h).empty())
      << "leaked-fd alone changes nothing, so a stall then is a violation";
}

}  // namespace
}  // namespace ipch::test
