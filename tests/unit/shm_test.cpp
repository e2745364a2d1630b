// What only the shared-memory rings promise: a process killed while holding the lock does not
// take the ring down with it.
#include <gtest/gtest.h>
#include <signal.h>

#include "child.hpp"
#include "gate.hpp"
#include "leaks.hpp"
#include "payload.hpp"
#include "registry.hpp"
#include "shm_ring.hpp"

namespace ipch {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Link> make(const char* name) {
  auto l = registry::find(name)->create({});
  if (!l) throw std::runtime_error(l.error().message);
  return std::move(*l);
}

// posix-shm: the next locker gets EOWNERDEAD, makes the mutex consistent and carries on.
TEST(PosixShm, ALockHolderKilledIsRecoveredThroughEownerdead) {
  auto link = make("posix-shm");
  test::Gate holding;
  test::Child holder = test::Child::spawn([&] {
    if (!shm_ring::hold_lock_for_test(*link)) return 1;
    holding.open();
    ::pause();
    return 0;
  });
  ASSERT_TRUE(holding.wait());
  holder.kill(SIGKILL);
  holder.wait();
  auto tx = link->open(Role::sender, Deadline::after(5s));
  auto rx = link->open(Role::receiver, Deadline::after(5s));
  ASSERT_TRUE(tx && rx);
  ASSERT_TRUE((*tx)->send(test::make_payload(1, 64), Deadline::after(5s)));
  std::vector<std::byte> buf;
  auto r = (*rx)->receive(buf, Deadline::after(5s));
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_FALSE(test::check_payload(std::span(buf).first(r->size), 1, 64));
  auto h = shm_ring::snapshot(*link);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->owner_died_recoveries, 1u);
  tx->reset();
  rx->reset();
  link.reset();
  EXPECT_TRUE(test::leftovers().empty());
}

// sysv-shm: SEM_UNDO gives the lock back when its holder dies; the ring was never half-written
// because head moves only after the copy.
TEST(SysvShm, ALockHolderKilledReleasesTheLockThroughSemUndo) {
  auto link = make("sysv-shm");
  auto tx = link->open(Role::sender, Deadline::after(5s));  // opening takes the lock too
  ASSERT_TRUE(tx);
  test::Gate holding;
  test::Child holder = test::Child::spawn([&] {
    if (!shm_ring::hold_lock_for_test(*link)) return 1;
    holding.open();
    ::pause();
    return 0;
  });
  ASSERT_TRUE(holding.wait());
  // While the holder lives, the lock is held: a send cannot get in before its deadline.
  auto blocked = (*tx)->send(test::make_payload(0, 64), Deadline::after(200ms));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error(), std::errc::timed_out);
  holder.kill(SIGKILL);
  holder.wait();
  EXPECT_TRUE((*tx)->send(test::make_payload(1, 64), Deadline::after(5s)));
  tx->reset();
  link.reset();
  EXPECT_TRUE(test::leftovers().empty());
}

// sysv-shm counts senders in a SEM_UNDO semaphore: a SIGKILLed sender is uncounted by the
// kernel, so the receiver sees end of stream instead of waiting for ever.
TEST(SysvShm, ASigkilledSenderIsSeenAsEndOfStream) {
  auto link = make("sysv-shm");
  test::Gate sent;
  test::Child sender = test::Child::spawn([&] {
    auto tx = link->open(Role::sender, Deadline::after(5s));
    if (!tx || !(*tx)->send(test::make_payload(0, 64), Deadline::after(5s))) return 1;
    sent.open();
    ::pause();
    return 0;
  });
  auto rx = link->open(Role::receiver, Deadline::after(5s));
  ASSERT_TRUE(rx);
  ASSERT_TRUE(sent.wait());
  std::vector<std::byte> buf;
  ASSERT_TRUE((*rx)->receive(buf, Deadline::after(5s)));
  sender.kill(SIGKILL);
  sender.wait();
  auto r = (*rx)->receive(buf, Deadline::after(5s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(channel_errc::end_of_stream)) << describe(r.error());
  rx->reset();
  link.reset();
  EXPECT_TRUE(test::leftovers().empty());
}

}  // namespace
}  // namespace ipch
