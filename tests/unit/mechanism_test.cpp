// Every mechanism between two real processes (fork): round trips, limits, order, a gone
// peer as the kernel reports it, EAGAIN on a full buffer, and nothing left behind.
#include <gtest/gtest.h>
#include <limits.h>

#include <iostream>
#include <map>

#include "child.hpp"
#include "gate.hpp"
#include "leaks.hpp"
#include "payload.hpp"
#include "mechanism_names.hpp"
#include "registry.hpp"

namespace ipch {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::Gate;

const std::error_code kNoError{};
const std::error_code kEof = make_error_code(channel_errc::end_of_stream);
std::error_code E(int e) { return {e, std::generic_category()}; }

// What each kernel does, measured on Linux 6.x and asserted exactly.
struct Expect {
  Settings big;                 // for round trips up to 1 MiB where the kernel lets the object be that large
  std::error_code sender_gone;  // what a send returns once the receiver is gone ({}: sends still succeed)
  std::error_code receiver_gone;  // what a receive returns once every sender is gone and all was read
  Settings full;                // non-blocking and small, to fill quickly
  bool eagain_when_full = true; // udp drops instead of refusing
};

Settings sized(std::size_t capacity, bool blocking = true, std::optional<std::size_t> msg = std::nullopt) {
  Settings s;
  s.capacity = capacity;
  s.blocking = blocking;
  s.message_size = msg;
  return s;
}

const std::map<std::string, Expect>& expectations() {
  static const std::map<std::string, Expect> m{
      {"pipe", {{}, E(EPIPE), kEof, sized(4096, false)}},
      {"fifo", {{}, E(EPIPE), kEof, sized(4096, false)}},
      {"sysv-msg", {{}, kNoError, E(ETIMEDOUT), sized(16384, false)}},
      {"posix-mq", {{}, kNoError, E(ETIMEDOUT), sized(2, false)}},
      {"sysv-shm", {sized(2u << 20), E(EPIPE), kEof, sized(8192, false)}},
      {"posix-shm", {sized(2u << 20), E(EPIPE), kEof, sized(8192, false)}},
      {"unix-stream", {{}, E(EPIPE), kEof, sized(4096, false)}},
      {"unix-dgram", {{}, E(ECONNREFUSED), E(ETIMEDOUT), sized(4096, false)}},
      {"unix-seqpacket", {{}, E(EPIPE), kEof, sized(4096, false)}},
      {"tcp", {{}, E(EPIPE), kEof, sized(4096, false)}},
      {"udp", {{}, E(ECONNREFUSED), E(ETIMEDOUT), sized(4096, false), false}},
  };
  return m;
}

// A child's way to fail: print why, return a non-zero exit code.
int fail(const std::string& why) {
  std::cerr << "child: " << why << "\n";
  return 1;
}

class MechanismTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    mech_ = registry::find(GetParam());
    ASSERT_NE(mech_, nullptr);
    expect_ = expectations().at(GetParam());
  }
  void TearDown() override {
    link_.reset();
    auto left = test::leftovers();
    EXPECT_TRUE(left.empty()) << "left behind: " << ::testing::PrintToString(left);
  }
  Link& make(const Settings& s) {
    auto l = mech_->create(s);
    if (!l) throw std::runtime_error(l.error().message);
    link_ = std::move(*l);
    return *link_;
  }
  std::unique_ptr<Channel> open(Role r) {
    auto c = link_->open(r, Deadline::after(10s));
    if (!c) throw std::runtime_error(std::string(to_string(r)) + " open: " + describe(c.error()));
    return std::move(*c);
  }

  const Mechanism* mech_ = nullptr;
  Expect expect_;
  std::unique_ptr<Link> link_;
};

TEST_P(MechanismTest, RoundTripsEverySizeUpToTheLimit) {
  make(expect_.big);
  const std::vector<std::size_t> all{0, 1, 2, 100, PIPE_BUF - 4, PIPE_BUF, PIPE_BUF + 1, 8192, 65507, 65536, 200000, 1u << 20};
  Gate ready;
  Child child = Child::spawn([&] {
    auto rx = open(Role::receiver);
    link_->release();
    ready.open();
    std::vector<std::byte> buf;
    std::size_t limit = rx->limit().bytes, seq = 0;
    for (std::size_t size : all) {
      if (size > limit) continue;
      auto r = rx->receive(buf, Deadline::after(20s));
      if (!r) return fail("receive of " + std::to_string(size) + " B: " + describe(r.error()));
      if (auto bad = test::check_payload(std::span(buf).first(r->size), seq, size)) return fail(*bad);
      ++seq;
    }
    return 0;
  });
  ASSERT_TRUE(ready.wait());
  auto tx = open(Role::sender);
  link_->release();
  std::size_t sent = 0, seq = 0;
  for (std::size_t size : all) {
    if (size > tx->limit().bytes) continue;
    auto r = tx->send(test::make_payload(seq++, size), Deadline::after(20s));
    ASSERT_TRUE(r) << size << " B: " << describe(r.error());
    ++sent;
  }
  EXPECT_GE(sent, 8u) << "limit " << tx->limit().bytes << " B (" << tx->limit().source << ")";
  auto st = child.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

TEST_P(MechanismTest, OverTheLimitIsAnErrorNamingTheLimit) {
  make(expect_.big);
  Gate ready;
  Child child = Child::spawn([&] {
    auto rx = open(Role::receiver);
    link_->release();
    ready.open();
    std::vector<std::byte> buf;
    auto r = rx->receive(buf, Deadline::after(20s));  // the message that does fit, after the one that did not
    if (!r) return fail("receive: " + describe(r.error()));
    return test::check_payload(std::span(buf).first(r->size), 1, 1) ? 1 : 0;
  });
  ASSERT_TRUE(ready.wait());
  auto tx = open(Role::sender);
  link_->release();
  MessageLimit limit = tx->limit();
  ASSERT_FALSE(limit.source.empty());
  std::size_t size = limit.bytes + 1;
  auto r = tx->send(test::make_payload(0, size), Deadline::after(10s));
  ASSERT_FALSE(r) << "a " << size << " B message was accepted over the limit " << limit.source;
  EXPECT_TRUE(r.error() == E(EMSGSIZE) || r.error() == E(EINVAL)) << describe(r.error());
  std::string why = explain_send_error(r.error(), size, limit);
  EXPECT_NE(why.find(std::to_string(limit.bytes)), std::string::npos) << why;
  // The channel is still usable after the refusal: nothing partial went in.
  ASSERT_TRUE(tx->send(test::make_payload(1, 1), Deadline::after(10s)));
  auto st = child.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

TEST_P(MechanismTest, KeepsOrderOver10000Messages) {
  make({});
  constexpr std::uint64_t kCount = 10000;
  Gate ready;
  Child child = Child::spawn([&] {
    auto rx = open(Role::receiver);
    link_->release();
    ready.open();
    std::vector<std::byte> buf;
    if (mech_->contract.delivery == Delivery::lossy) {
      // What a lossy contract still promises: whatever arrives is intact and arrives once, and
      // in order where the contract orders. Gaps are allowed; the receive ends at a quiet second.
      std::uint64_t last = 0, got = 0;
      for (;;) {
        auto r = rx->receive(buf, Deadline::after(got ? 1s : 20s));
        if (!r) return got ? 0 : fail("nothing arrived: " + describe(r.error()));
        std::uint64_t seq = test::payload_seq(std::span(buf).first(r->size));
        if (auto bad = test::check_payload(std::span(buf).first(r->size), seq, 8 + seq % 57)) return fail(*bad);
        if (got && seq == last) return fail("message " + std::to_string(seq) + " arrived twice");
        if (got && seq < last && mech_->contract.ordering != Ordering::none) return fail("reordered at " + std::to_string(seq));
        last = seq;
        if (++got == kCount) return 0;
      }
    }
    for (std::uint64_t seq = 0; seq < kCount; ++seq) {
      auto r = rx->receive(buf, Deadline::after(20s));
      if (!r) return fail("receive #" + std::to_string(seq) + ": " + describe(r.error()));
      if (auto bad = test::check_payload(std::span(buf).first(r->size), seq, 8 + seq % 57)) return fail(*bad);
    }
    return 0;
  });
  ASSERT_TRUE(ready.wait());
  auto tx = open(Role::sender);
  link_->release();
  for (std::uint64_t seq = 0; seq < kCount; ++seq) {
    auto r = tx->send(test::make_payload(seq, 8 + seq % 57), Deadline::after(20s));
    ASSERT_TRUE(r) << "#" << seq << ": " << describe(r.error());
  }
  auto st = child.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

TEST_P(MechanismTest, SenderSeesTheReceiverGoneAsTheKernelReportsIt) {
  make({});
  Gate ready;
  Child child = Child::spawn([&] {
    auto rx = open(Role::receiver);
    link_->release();
    ready.open();
    std::vector<std::byte> buf;
    // One message first, so a connection-oriented receiver has accepted the sender's connection.
    auto r = rx->receive(buf, Deadline::after(20s));
    return r ? 0 : fail("receive: " + describe(r.error()));
  });
  ASSERT_TRUE(ready.wait());
  auto tx = open(Role::sender);
  link_->release();
  ASSERT_TRUE(tx->send(test::make_payload(0, 16), Deadline::after(10s)));
  auto st = child.wait();
  ASSERT_TRUE(st.ok()) << st.describe();
  // Network-style mechanisms learn of the gone peer from the first send's answer (RST, ICMP):
  // the error may come on a later send. Eight tries, each far below any buffer.
  std::error_code first;
  int tries = 0;
  for (; tries < 8 && !first; ++tries) {
    auto r = tx->send(test::make_payload(1, 16), Deadline::after(2s));
    if (!r) first = r.error();
    else std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(first, expect_.sender_gone) << "got " << (first ? describe(first) : "no error") << " after " << tries
                                        << " sends; expected "
                                        << (expect_.sender_gone ? describe(expect_.sender_gone) : "no error");
}

TEST_P(MechanismTest, ReceiverSeesTheSendersGoneAsTheKernelReportsIt) {
  make({});
  Gate ready;
  Child child = Child::spawn([&] {
    ready.wait();
    auto tx = open(Role::sender);
    link_->release();
    auto r = tx->send(test::make_payload(0, 16), Deadline::after(10s));
    return r ? 0 : fail("send: " + describe(r.error()));
  });
  auto rx = open(Role::receiver);
  link_->release();
  ready.open();
  std::vector<std::byte> buf;
  auto r = rx->receive(buf, Deadline::after(20s));
  ASSERT_TRUE(r) << describe(r.error());
  auto st = child.wait();
  ASSERT_TRUE(st.ok()) << st.describe();
  auto gone = rx->receive(buf, Deadline::after(500ms));
  ASSERT_FALSE(gone) << "a message came from nowhere";
  EXPECT_EQ(gone.error(), expect_.receiver_gone) << "got " << describe(gone.error());
}

TEST_P(MechanismTest, NonBlockingSendIntoAFullBufferGivesEAGAIN) {
  make(expect_.full);
  Gate ready, done;
  Child child = Child::spawn([&] {
    auto rx = open(Role::receiver);  // held open and never read, so the buffer fills
    link_->release();
    ready.open();
    done.wait();
    return 0;
  });
  ASSERT_TRUE(ready.wait());
  auto tx = open(Role::sender);
  link_->release();
  std::size_t size = std::min<std::size_t>(1024, tx->limit().bytes);
  std::error_code first;
  std::size_t accepted = 0;
  // Far more bytes than any small buffer holds; a bound so a mechanism that never refuses ends.
  for (; accepted < 20000 && !first; ++accepted) {
    auto r = tx->send(test::make_payload(accepted, size), Deadline::after(5s));
    if (!r) first = r.error();
  }
  done.open();
  if (expect_.eagain_when_full) {
    EXPECT_EQ(first, E(EAGAIN)) << "after " << accepted << " messages of " << size << " B: "
                                << (first ? describe(first) : "never refused");
  } else {
    EXPECT_FALSE(first) << "a lossy mechanism dropped nothing and refused with " << describe(first);
  }
  auto st = child.wait();
  EXPECT_TRUE(st.ok()) << st.describe();
}

INSTANTIATE_TEST_SUITE_P(Every, MechanismTest, ::testing::ValuesIn(test::mechanism_names()), test::param_name);

}  // namespace
}  // namespace ipch
