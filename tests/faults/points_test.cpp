// Every libfiu fault point of faults/points.hpp fires when armed and has its documented effect,
// between two real processes (fork) wherever the effect is on the other side.
#include "points.hpp"

#include <fiu.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "child.hpp"
#include "gate.hpp"
#include "leaks.hpp"
#include "payload.hpp"
#include "registry.hpp"
#include "shm_ring.hpp"
#include "sys.hpp"

namespace ipch {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::Gate;

constexpr std::size_t kSize = 1000;

int fail(const std::string& why) {
  std::cerr << "child: " << why << "\n";
  return 1;
}

std::unique_ptr<Link> make(const std::string& mechanism) {
  auto l = registry::find(mechanism)->create({});
  if (!l) throw std::runtime_error(l.error().message);
  return std::move(*l);
}

std::unique_ptr<Channel> open(Link& link, Role r) {
  auto c = link.open(r, Deadline::after(10s));
  if (!c) throw std::runtime_error(std::string(to_string(r)) + " open: " + describe(c.error()));
  return std::move(*c);
}

// Receives one message and says what is wrong with it, if anything.
std::optional<std::string> receive_payload(Channel& rx, std::uint64_t seq, std::size_t size) {
  std::vector<std::byte> buf;
  auto r = rx.receive(buf, Deadline::after(10s));
  if (!r) return "receive of #" + std::to_string(seq) + ": " + describe(r.error());
  return test::check_payload(std::span(buf).first(r->size), seq, size);
}

std::vector<std::string> every_mechanism() {
  std::vector<std::string> names;
  for (const Mechanism* m : registry::all()) names.push_back(m->name);
  return names;
}
std::string param_name(const ::testing::TestParamInfo<std::string>& i) {
  std::string n = i.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

// Every test leaves nothing on the machine; the link is dropped first, as a run's end does.
class PointTest : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override {
    link_.reset();
    auto left = test::leftovers();
    EXPECT_TRUE(left.empty()) << "left behind: " << ::testing::PrintToString(left);
  }
  Link& make_link() {
    link_ = make(GetParam());
    return *link_;
  }
  std::string point(const std::string& what) const { return faults::point(GetParam(), what); }

  std::unique_ptr<Link> link_;
};

// --- arm(): the hit window, in one process and across fork

TEST(Arm, FiresExactlyOnTheHitsOfItsWindow) {
  EXPECT_EQ(faults::point("udp", "drop"), "ipch/udp/drop");
  ASSERT_TRUE(faults::arm("ipch/test/window", 2, 2, 42));
  std::vector<int> fires;
  for (int hit = 1; hit <= 5; ++hit) fires.push_back(fiu_fail("ipch/test/window") != 0);
  EXPECT_EQ(fires, (std::vector<int>{0, 1, 1, 0, 0}));
  EXPECT_EQ(faults::fired("ipch/test/window"), 2u);
  EXPECT_EQ(faults::fired("ipch/test/never-armed"), 0u);

  // Arming again starts over; count 0 fires for ever; failinfo is what was armed.
  ASSERT_TRUE(faults::arm("ipch/test/window", 1, 0, 7));
  for (int hit = 1; hit <= 100; ++hit) {
    ASSERT_NE(fiu_fail("ipch/test/window"), 0) << "hit " << hit;
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(fiu_failinfo()), 7u);
  }
  EXPECT_EQ(faults::fired("ipch/test/window"), 100u);
}

// The runner may arm before it forks: a child inherits the point and the hits so far, and from
// there each process counts its own.
TEST(Arm, AForkedChildInheritsThePointAndItsHitCount) {
  ASSERT_TRUE(faults::arm("ipch/test/fork", 2, 1, 1));
  ASSERT_EQ(fiu_fail("ipch/test/fork"), 0);  // hit 1
  Child child = Child::spawn([] {
    if (fiu_fail("ipch/test/fork") == 0) return fail("hit 2 in the child did not fire");
    if (fiu_fail("ipch/test/fork") != 0) return fail("hit 3 in the child fired");
    return faults::fired("ipch/test/fork") == 1 ? 0 : fail("fired() is not 1 in the child");
  });
  auto st = child.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
  EXPECT_EQ(faults::fired("ipch/test/fork"), 0u);  // the child's fire is the child's
  EXPECT_NE(fiu_fail("ipch/test/fork"), 0);        // the parent's own hit 2
}

// --- ipch/sys/write and ipch/sys/read: genuine short transfers that the wrappers finish

using ShortIo = PointTest;

TEST_P(ShortIo, AShortWriteIsFinishedAndTheMessageArrivesWhole) {
  Link& link = make_link();
  auto rx = open(link, Role::receiver);
  Child sender = Child::spawn([&] {
    auto tx = open(link, Role::sender);
    link.release();
    auto before = sys::io_counters().short_writes;
    if (!faults::arm("ipch/sys/write", 1, 0, 3)) return fail("arm refused");
    auto r = tx->send(test::make_payload(7, kSize), Deadline::after(10s));
    if (!r) return fail("send: " + describe(r.error()));
    if (sys::io_counters().short_writes <= before) return fail("no short write was counted");
    return faults::fired("ipch/sys/write") > 0 ? 0 : fail("the point never fired");
  });
  link.release();
  EXPECT_EQ(receive_payload(*rx, 7, kSize), std::nullopt);
  auto st = sender.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

TEST_P(ShortIo, AShortReadIsFinishedAndTheMessageArrivesWhole) {
  Link& link = make_link();
  Gate ready;
  Child receiver = Child::spawn([&] {
    auto rx = open(link, Role::receiver);
    link.release();
    auto before = sys::io_counters().short_reads;
    if (!faults::arm("ipch/sys/read", 1, 0, 3)) return fail("arm refused");
    ready.open();
    if (auto bad = receive_payload(*rx, 7, kSize)) return fail(*bad);
    if (sys::io_counters().short_reads <= before) return fail("no short read was counted");
    return faults::fired("ipch/sys/read") > 0 ? 0 : fail("the point never fired");
  });
  ASSERT_TRUE(ready.wait());
  auto tx = open(link, Role::sender);
  link.release();
  auto r = tx->send(test::make_payload(7, kSize), Deadline::after(10s));
  ASSERT_TRUE(r) << describe(r.error());
  auto st = receiver.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

INSTANTIATE_TEST_SUITE_P(ByteStreams, ShortIo, ::testing::Values("pipe", "fifo", "unix-stream", "tcp"), param_name);

// The kernel never splits a datagram or a record, so neither does the point.
using WholeRecords = PointTest;

TEST_P(WholeRecords, ShortIoLeavesARecordWhole) {
  Link& link = make_link();
  auto rx = open(link, Role::receiver);
  Child sender = Child::spawn([&] {
    auto tx = open(link, Role::sender);
    link.release();
    if (!faults::arm("ipch/sys/write", 1, 0, 3)) return fail("arm refused");
    auto r = tx->send(test::make_payload(7, kSize), Deadline::after(10s));
    if (!r) return fail("send: " + describe(r.error()));
    return faults::fired("ipch/sys/write") > 0 ? 0 : fail("the point never fired");
  });
  link.release();
  EXPECT_EQ(receive_payload(*rx, 7, kSize), std::nullopt);
  auto st = sender.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

INSTANTIATE_TEST_SUITE_P(Records, WholeRecords, ::testing::Values("unix-dgram", "unix-seqpacket", "udp"), param_name);

// --- ipch/<m>/send and ipch/<m>/receive: an errno without calling the kernel

using ErrnoPoints = PointTest;

TEST_P(ErrnoPoints, SendFailsOnExactlyTheArmedHitAndSendsNothing) {
  Link& link = make_link();
  auto rx = open(link, Role::receiver);
  Child sender = Child::spawn([&] {
    auto tx = open(link, Role::sender);
    link.release();
    if (!faults::arm(point("send"), 3, 1, ENOSPC)) return fail("arm refused");
    for (std::uint64_t n = 1; n <= 4; ++n) {
      auto r = tx->send(test::make_payload(n, 64), Deadline::after(10s));
      if (n == 3 && (r || r.error() != std::errc::no_space_on_device)) {
        return fail("send 3 did not fail with ENOSPC: " + (r ? std::string("it succeeded") : describe(r.error())));
      }
      if (n != 3 && !r) return fail("send " + std::to_string(n) + ": " + describe(r.error()));
    }
    return faults::fired(point("send")) == 1 ? 0 : fail("fired() is not 1");
  });
  link.release();
  for (std::uint64_t seq : {1, 2, 4}) EXPECT_EQ(receive_payload(*rx, seq, 64), std::nullopt);
  auto st = sender.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

TEST_P(ErrnoPoints, ReceiveFailsOnExactlyTheArmedHitAndConsumesNothing) {
  Link& link = make_link();
  Gate ready;
  Child receiver = Child::spawn([&] {
    auto rx = open(link, Role::receiver);
    link.release();
    if (!faults::arm(point("receive"), 3, 1, ENOSPC)) return fail("arm refused");
    ready.open();
    for (std::uint64_t seq : {1, 2}) {
      if (auto bad = receive_payload(*rx, seq, 64)) return fail(*bad);
    }
    std::vector<std::byte> buf;
    auto r = rx->receive(buf, Deadline::after(10s));
    if (r || r.error() != std::errc::no_space_on_device) {
      return fail("receive 3 did not fail with ENOSPC: " + (r ? std::string("it succeeded") : describe(r.error())));
    }
    // The message the failed receive did not take is still there for the next one.
    if (auto bad = receive_payload(*rx, 3, 64)) return fail(*bad);
    return faults::fired(point("receive")) == 1 ? 0 : fail("fired() is not 1");
  });
  ASSERT_TRUE(ready.wait());
  auto tx = open(link, Role::sender);
  link.release();
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    auto r = tx->send(test::make_payload(seq, 64), Deadline::after(10s));
    ASSERT_TRUE(r) << describe(r.error());
  }
  auto st = receiver.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

INSTANTIATE_TEST_SUITE_P(Every, ErrnoPoints, ::testing::ValuesIn(every_mechanism()), param_name);

// --- ipch/<m>/drop: the datagram is lost, the sender is told it went

using DropPoint = PointTest;

TEST_P(DropPoint, TheArmedDatagramNeverArrivesAndItsSendSucceeded) {
  Link& link = make_link();
  auto rx = open(link, Role::receiver);
  Child sender = Child::spawn([&] {
    auto tx = open(link, Role::sender);
    link.release();
    if (!faults::arm(point("drop"), 2, 1, 0)) return fail("arm refused");
    for (std::uint64_t n = 1; n <= 3; ++n) {
      auto r = tx->send(test::make_payload(n, 64), Deadline::after(10s));
      if (!r) return fail("send " + std::to_string(n) + ": " + describe(r.error()));
    }
    return faults::fired(point("drop")) == 1 ? 0 : fail("fired() is not 1");
  });
  link.release();
  auto st = sender.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
  for (std::uint64_t seq : {1, 3}) EXPECT_EQ(receive_payload(*rx, seq, 64), std::nullopt);
  std::vector<std::byte> buf;
  auto more = rx->receive(buf, Deadline::after(300ms));
  ASSERT_FALSE(more) << "an extra message arrived: #" << test::payload_seq(buf);
  EXPECT_EQ(more.error(), std::errc::timed_out) << describe(more.error());
}

INSTANTIATE_TEST_SUITE_P(Datagrams, DropPoint, ::testing::Values("udp", "unix-dgram"), param_name);

// --- ipch/<m>/lock and ipch/<m>/lock-held on the shared-memory rings

using LockPoints = PointTest;

// Waits until `pid` stops; false if it did not within the hang guard.
bool stopped(pid_t pid, std::chrono::milliseconds guard = 10s) {
  auto end = std::chrono::steady_clock::now() + guard;
  while (std::chrono::steady_clock::now() < end) {
    auto w = sys::waitpid(pid, WUNTRACED | WNOHANG);
    if (!w) return false;
    if (w->first == pid) return WIFSTOPPED(w->second);
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

TEST_P(LockPoints, AProcessStoppedHoldingTheLockAndKilledThereDoesNotWedgeTheRing) {
  Link& link = make_link();
  auto tx = open(link, Role::sender);  // before the holder: opening takes the lock too
  auto rx = open(link, Role::receiver);
  Child holder = Child::spawn([&] {
    auto own = open(link, Role::sender);
    if (!faults::arm(point("lock-held"), 1, 1, faults::kStopHere)) return fail("arm refused");
    (void)own->send(test::make_payload(0, 64), Deadline::after(10s));
    return fail("the send went on after the stop");
  });
  ASSERT_TRUE(stopped(holder.pid()));
  // Stopped with the lock held: nobody else gets in.
  auto blocked = tx->send(test::make_payload(1, 64), Deadline::after(200ms));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error(), std::errc::timed_out) << describe(blocked.error());
  holder.kill(SIGKILL);
  auto st = holder.wait();
  EXPECT_EQ(st.signal, SIGKILL) << st.describe();

  auto sent = tx->send(test::make_payload(2, 64), Deadline::after(5s));
  ASSERT_TRUE(sent) << describe(sent.error());
  EXPECT_EQ(receive_payload(*rx, 2, 64), std::nullopt);  // the stopped send published nothing
  auto h = shm_ring::snapshot(link);
  ASSERT_TRUE(h);
  // posix-shm recovers through EOWNERDEAD and counts it; sysv-shm's SEM_UNDO needs no recovery.
  EXPECT_EQ(h->owner_died_recoveries, GetParam() == "posix-shm" ? 1u : 0u);
}

TEST_P(LockPoints, DelaysAroundTheLockOnlySlowASendDown) {
  Link& link = make_link();
  auto rx = open(link, Role::receiver);
  Child sender = Child::spawn([&] {
    auto tx = open(link, Role::sender);
    if (!faults::arm(point("lock"), 1, 1, 20000) || !faults::arm(point("lock-held"), 2, 1, 20000)) {
      return fail("arm refused");
    }
    for (std::uint64_t n = 1; n <= 3; ++n) {
      auto r = tx->send(test::make_payload(n, 64), Deadline::after(10s));
      if (!r) return fail("send " + std::to_string(n) + ": " + describe(r.error()));
    }
    if (faults::fired(point("lock")) != 1) return fail("lock fired() is not 1");
    return faults::fired(point("lock-held")) == 1 ? 0 : fail("lock-held fired() is not 1");
  });
  for (std::uint64_t seq = 1; seq <= 3; ++seq) EXPECT_EQ(receive_payload(*rx, seq, 64), std::nullopt);
  auto st = sender.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

INSTANTIATE_TEST_SUITE_P(Rings, LockPoints, ::testing::Values("posix-shm", "sysv-shm"), param_name);

}  // namespace
}  // namespace ipch
