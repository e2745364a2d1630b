// corrupted, boundary and torn: each damaged receipt is named once, by what the contract says
// broke it, with the message, its size, its offset and (torn) the atomic write limit as evidence.
#include "integrity.hpp"

#include <gtest/gtest.h>

#include "builder.hpp"

namespace ipch::test {
namespace {

bool mentions(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

TEST(Corrupted, FiresOnChangedBytesWithTheMessageAndTheReceiver) {
  for (Damage d : {Damage::bad_hash, Damage::bad_body, Damage::bad_magic}) {
    auto v = check_corrupted(Builder(1).sent(0, 0).got(0, 0, d).h, messages());
    ASSERT_EQ(kinds_of(v), std::vector<std::string>{"corrupted"}) << to_string(d);
    EXPECT_TRUE(mentions(v[0].detail, "receiver-0 (pid 101) received 32 B") &&
                mentions(v[0].detail, std::string(to_string(d))))
        << v[0].detail;
    if (d != Damage::bad_magic) {
      EXPECT_TRUE(mentions(v[0].detail, "claiming to be sender 0 seq 0")) << v[0].detail;
    }
  }
}

TEST(Corrupted, BrokenFramingOnAByteStreamWithOneWriter) {
  auto v = check_corrupted(Builder(1).sent(0, 0).sent(0, 1).got(0, 0).got(0, 1, Damage::bad_length, 20).h, pipe_like());
  ASSERT_EQ(kinds_of(v), std::vector<std::string>{"corrupted"});
  EXPECT_TRUE(mentions(v[0].detail, "one sender writes this byte stream")) << v[0].detail;
  EXPECT_TRUE(mentions(v[0].detail, "its message #2 at byte 36")) << v[0].detail;
}

TEST(Boundary, FiresOnASplitOrMergedMessageWhereBoundariesAreKept) {
  for (Damage d : {Damage::bad_length, Damage::short_message}) {
    auto v = check_boundary(Builder(1).sent(0, 0).got(0, 0).got(0, 1, d, 20).h, messages());
    ASSERT_EQ(kinds_of(v), std::vector<std::string>{"boundary"}) << to_string(d);
    EXPECT_TRUE(mentions(v[0].detail, "received 20 B") && mentions(v[0].detail, "its message #2") &&
                mentions(v[0].detail, "keeps message boundaries"))
        << v[0].detail;
    EXPECT_TRUE(check_torn(Builder(1).sent(0, 0).got(0, 1, d, 20).h, messages()).empty());
  }
}

TEST(Boundary, AByteStreamPromisesNoBoundaries) {
  EXPECT_TRUE(check_boundary(Builder(2).sent(0, 0).got(0, 0, Damage::bad_length).h, pipe_like()).empty());
}

TEST(Torn, FiresWhenSharedWritesWithinTheAtomicLimitInterleave) {
  for (Damage d : {Damage::bad_hash, Damage::bad_length, Damage::bad_magic, Damage::short_message}) {
    auto v = check_torn(Builder(2).sent(0, 0, true, 100).sent(1, 0, true, 100).got(0, 0, d, 60).h, pipe_like());
    ASSERT_EQ(kinds_of(v), std::vector<std::string>{"torn"}) << to_string(d);
    EXPECT_TRUE(mentions(v[0].detail, "2 senders write this byte stream")) << v[0].detail;
    EXPECT_TRUE(mentions(v[0].detail, "100 B + 4 B frame = 104 B <= the atomic write limit 4096 B")) << v[0].detail;
  }
}

TEST(Torn, ARingMakesEveryMessageAtomic) {
  Contract ring = pipe_like();
  ring.atomic_write_limit = 0;
  auto v = check_torn(Builder(2).sent(0, 0, true, 9000).sent(1, 0).got(0, 0, Damage::bad_hash, 9000).h, ring);
  ASSERT_EQ(kinds_of(v), std::vector<std::string>{"torn"});
  EXPECT_TRUE(mentions(v[0].detail, "every message atomic")) << v[0].detail;
}

TEST(Torn, BeyondTheLimitInterleavingIsTheWritersFaultNotTorn) {
  auto h = Builder(2).sent(0, 0, true, 5000).sent(1, 0).got(0, 0, Damage::bad_hash, 5000).h;
  EXPECT_TRUE(check_torn(h, pipe_like()).empty());
  auto v = check_corrupted(h, pipe_like());
  ASSERT_EQ(kinds_of(v), std::vector<std::string>{"corrupted"});
  EXPECT_TRUE(mentions(v[0].detail, "5004 B > the atomic write limit 4096 B")) << v[0].detail;
}

TEST(Integrity, IntactHistoriesAreQuiet) {
  for (const Contract& c : {messages(), pipe_like()}) {
    auto h = Builder(2).sent(0, 0).sent(1, 0).got(0, 0).got(1, 0).h;
    EXPECT_TRUE(check_integrity(h, c).empty());
    EXPECT_TRUE(check_corrupted(h, c).empty() && check_boundary(h, c).empty() && check_torn(h, c).empty());
  }
}

TEST(Integrity, NamesEachDamagedReceiptExactlyOnce) {
  for (const Contract& c : {messages(), pipe_like()}) {
    Builder b(2);
    b.sent(0, 0).sent(1, 0);
    for (Damage d : {Damage::short_message, Damage::bad_magic, Damage::bad_length, Damage::bad_hash, Damage::bad_body})
      b.got(0, 0, d);
    auto all = check_integrity(b.h, c);
    EXPECT_EQ(all.size(), 5u);
    EXPECT_EQ(check_corrupted(b.h, c).size() + check_boundary(b.h, c).size() + check_torn(b.h, c).size(), 5u);
  }
}

}  // namespace
}  // namespace ipch::test
