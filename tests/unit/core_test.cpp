// The pieces under every mechanism: deadlines, the syscall wrappers, framing, the object
// journal and clean-up after a killed process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>

#include <filesystem>

#include "child.hpp"
#include "framing.hpp"
#include "gate.hpp"
#include "leaks.hpp"
#include "naming.hpp"
#include "objects.hpp"
#include "payload.hpp"
#include "registry.hpp"
#include "sys.hpp"

namespace ipch {
namespace {

using namespace std::chrono_literals;

TEST(Deadline, NeverIsForeverAndExpiredIsZero) {
  EXPECT_EQ(Deadline::never().poll_ms(), -1);
  EXPECT_FALSE(Deadline::never().expired());
  auto past = Deadline::after(-1s);
  EXPECT_TRUE(past.expired());
  EXPECT_EQ(past.poll_ms(), 0);
  EXPECT_EQ(past.relative().tv_sec, 0);
  EXPECT_LE(Deadline::never().capped(5ms).poll_ms(), 5);
}

TEST(Sys, ReadExactReportsEndOfStreamOnlyBetweenMessages) {
  auto p = sys::pipe(0);
  ASSERT_TRUE(p);
  std::byte two[2]{};
  ASSERT_TRUE(sys::write(p->second.get(), std::span(two, 1)));
  p->second.reset();
  std::byte buf[2];
  auto torn = sys::read_exact(p->first.get(), buf, Deadline::after(1s));
  ASSERT_FALSE(torn);
  EXPECT_EQ(torn.error(), std::errc::protocol_error);
  auto eof = sys::read_exact(p->first.get(), buf, Deadline::after(1s));
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error(), make_error_code(channel_errc::end_of_stream));
}

TEST(Sys, ReadExactTimesOutAtTheDeadline) {
  auto p = sys::pipe(0);
  ASSERT_TRUE(p);
  std::byte b[1];
  auto r = sys::read_exact(p->first.get(), b, Deadline::after(20ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
}

TEST(Sys, EintrIsRetriedInTheWrapperAndCounted) {
  // A handler without SA_RESTART makes read() fail with EINTR; the wrapper must retry it.
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  auto p = sys::pipe(0);
  ASSERT_TRUE(p);
  pid_t self = getpid();
  auto before = sys::io_counters().eintr_retries;
  test::Child child = test::Child::spawn([&] {
    std::this_thread::sleep_for(50ms);
    ::kill(self, SIGUSR1);
    std::this_thread::sleep_for(50ms);
    std::byte b{7};
    return sys::write(p->second.get(), std::span(&b, 1)) ? 0 : 1;
  });
  std::byte b{};
  auto r = sys::read(p->first.get(), std::span(&b, 1));
  sigaction(SIGUSR1, &old, nullptr);
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(b, std::byte{7});
  EXPECT_GT(sys::io_counters().eintr_retries, before);
  EXPECT_TRUE(child.wait().ok());
}

TEST(Framing, AnAbsurdLengthIsATornStreamNotAnAllocation) {
  auto p = sys::pipe(0);
  ASSERT_TRUE(p);
  std::byte header[4]{std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0x7f}};
  ASSERT_TRUE(sys::write(p->second.get(), header));
  std::vector<std::byte> buf;
  auto r = framing::receive({p->first.get()}, buf, Deadline::after(1s), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::protocol_error);
}

TEST(Payload, EveryKindOfDamageIsFound) {
  auto good = test::make_payload(5, 100);
  EXPECT_FALSE(test::check_payload(good, 5, 100));
  EXPECT_TRUE(test::check_payload(good, 6, 100));  // another message
  EXPECT_TRUE(test::check_payload(good, 5, 99));   // truncated
  auto flipped = good;
  flipped[77] ^= std::byte{1};
  EXPECT_TRUE(test::check_payload(flipped, 5, 100));
}

TEST(Explain, NamesTheLimitOnlyWhenTheSizeIsOverIt) {
  MessageLimit l{8192, "msgmax=8192 (/proc/sys/kernel/msgmax)"};
  auto over = explain_send_error({EINVAL, std::generic_category()}, 8193, l);
  EXPECT_NE(over.find("EINVAL"), std::string::npos) << over;
  EXPECT_NE(over.find("/proc/sys/kernel/msgmax"), std::string::npos) << over;
  auto under = explain_send_error({EPIPE, std::generic_category()}, 10, l);
  EXPECT_EQ(under.find("msgmax"), std::string::npos) << under;
}

// A process that made objects of every kind and was SIGKILLed leaves them behind; clean
// removes exactly those, and leaves a live process's objects alone.
TEST(Objects, CleanRemovesWhatAKilledProcessLeftAndNothingOfTheLiving) {
  test::Gate made;
  test::Child victim = test::Child::spawn([&] {
    std::vector<std::unique_ptr<Link>> keep;
    for (const char* m : {"fifo", "sysv-msg", "posix-mq", "sysv-shm", "posix-shm", "unix-stream"}) {
      auto l = registry::find(m)->create({});
      if (!l) return 1;
      keep.push_back(std::move(*l));
    }
    made.open();
    ::pause();
    return 0;
  });
  ASSERT_TRUE(made.wait());
  std::string prefix = "ipch-" + std::to_string(victim.pid()) + "-";
  auto mine = registry::find("posix-shm")->create({});  // a live process's object
  ASSERT_TRUE(mine);
  auto alive_report = objects::clean_dead();
  for (const auto& r : alive_report.removed) EXPECT_EQ(r.find(prefix), std::string::npos) << "removed from a live process: " << r;

  victim.kill(SIGKILL);
  victim.wait();
  auto report = objects::clean_dead();
  EXPECT_TRUE(report.failed.empty()) << ::testing::PrintToString(report.failed);
  // Another test's clean may run beside this one and take some of them first, so what is asked is
  // that they are gone, not who removed them.
  for (const char* dir : {"/dev/shm", "/tmp"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      EXPECT_FALSE(e.path().filename().string().starts_with(prefix)) << "left behind: " << e.path();
  }
  auto again = objects::clean_dead();
  for (const auto& r : again.removed) EXPECT_EQ(r.find(prefix), std::string::npos) << "left for a second clean: " << r;
  mine->reset();
  EXPECT_TRUE(test::leftovers().empty()) << ::testing::PrintToString(test::leftovers());
}

}  // namespace
}  // namespace ipch
