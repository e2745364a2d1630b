// Frames as they arrive from a program's stdout: in pieces of any size, several at once, cut
// short at EOF, or declaring a length no program may send.
#include "frames.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ipch::external {
namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes_of(std::string_view s) {
  Bytes b;
  for (char c : s) b.push_back(static_cast<std::byte>(c));
  return b;
}

Bytes body_of(std::size_t n, int salt) {
  Bytes b;
  for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::byte>((i * 31 + salt) & 0xFF));
  return b;
}

// A stream whose frames cover the edges: empty (the ready frame), one byte, a length with
// every one of its 4 bytes non-zero in some frame's neighbourhood, and exactly the limit.
constexpr std::size_t kMax = 70000;
std::vector<Bytes> sample_bodies() {
  return {{}, body_of(1, 1), body_of(5, 2), body_of(300, 3), {}, body_of(kMax, 4)};
}

Bytes stream_of(const std::vector<Bytes>& bodies) {
  Bytes s;
  for (const auto& b : bodies) append_frame(s, b);
  return s;
}

std::vector<Bytes> drain(FrameReader& r) {
  std::vector<Bytes> out;
  Bytes body;
  while (r.next(body) == FrameReader::Status::frame) out.push_back(body);
  return out;
}

TEST(Frames, AppendWritesALittleEndianLengthThenTheBody) {
  Bytes out;
  append_frame(out, body_of(258, 0));
  ASSERT_EQ(out.size(), 4u + 258u);
  EXPECT_EQ(out[0], std::byte{0x02});
  EXPECT_EQ(out[1], std::byte{0x01});
  EXPECT_EQ(out[2], std::byte{0x00});
  EXPECT_EQ(out[3], std::byte{0x00});
  EXPECT_EQ(Bytes(out.begin() + 4, out.end()), body_of(258, 0));
  Bytes ready;
  append_frame(ready, {});
  EXPECT_EQ(ready, Bytes(4, std::byte{0}));
}

TEST(Frames, SeveralFramesInOneFeed) {
  auto bodies = sample_bodies();
  FrameReader r(kMax);
  r.feed(stream_of(bodies));
  EXPECT_EQ(drain(r), bodies);
  EXPECT_EQ(r.frames(), bodies.size());
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.describe_pending(), "");
  EXPECT_EQ(r.offset(), stream_of(bodies).size());
}

// The stream cut in two at every byte position, each part fed and drained in turn: the same
// frames, and need_more (never a frame or malformed) in between.
TEST(Frames, SplitAtEveryBytePosition) {
  auto bodies = std::vector<Bytes>{{}, body_of(1, 1), body_of(5, 2), body_of(300, 3), {}, body_of(700, 4)};
  Bytes s = stream_of(bodies);
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    FrameReader r(1000);
    r.feed(std::span(s).first(cut));
    auto got = drain(r);
    Bytes body;
    EXPECT_EQ(r.next(body), FrameReader::Status::need_more) << "cut " << cut;
    r.feed(std::span(s).subspan(cut));
    auto rest = drain(r);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got, bodies) << "cut " << cut;
    EXPECT_EQ(r.pending(), 0u);
  }
}

TEST(Frames, OneByteAtATime) {
  auto bodies = sample_bodies();
  Bytes s = stream_of(bodies);
  FrameReader r(kMax);
  std::vector<Bytes> got;
  for (std::byte b : s) {
    r.feed(std::span(&b, 1));
    auto more = drain(r);
    got.insert(got.end(), more.begin(), more.end());
  }
  EXPECT_EQ(got, bodies);
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Frames, PendingTellsAStreamCutShortAtEof) {
  FrameReader r(1000);
  Bytes s;
  append_frame(s, {});
  r.feed(s);
  r.feed(bytes_of(std::string("\x64\x00", 2)));  // half a length
  EXPECT_EQ(r.pending(), 2u);
  EXPECT_EQ(r.describe_pending(), "a frame cut short inside its length: 2 of its 4 length bytes, from byte offset 4");
  Bytes body;
  EXPECT_EQ(r.next(body), FrameReader::Status::frame);  // the ready frame, still there
  EXPECT_EQ(r.next(body), FrameReader::Status::need_more);
  r.feed(
      bytes_of(std::string("\x00\x00"
                           "abcd",
                           6)));  // the length says 100, 4 bytes came
  EXPECT_EQ(r.pending(), 8u);
  EXPECT_EQ(r.describe_pending(), "a frame cut short: 4 B of a declared 100 B, from byte offset 4");
  EXPECT_EQ(r.next(body), FrameReader::Status::need_more);
}

// A complete frame not yet taken is on a boundary: nothing is cut short.
TEST(Frames, CompleteFramesNotYetTakenAreNotPending) {
  FrameReader r(1000);
  Bytes s;
  append_frame(s, body_of(10, 0));
  append_frame(s, body_of(3, 0));
  r.feed(s);
  EXPECT_EQ(r.pending(), 0u);
  r.feed(bytes_of("\x01"));
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.frames(), 0u);
}

TEST(Frames, ALengthOverTheLimitIsMalformedForGood) {
  FrameReader r(100);
  Bytes s;
  append_frame(s, body_of(100, 0));  // exactly the limit: fine
  s.insert(s.end(), {std::byte{101}, std::byte{0}, std::byte{0}, std::byte{0}});
  r.feed(s);
  Bytes body;
  ASSERT_EQ(r.next(body), FrameReader::Status::frame);
  EXPECT_EQ(body.size(), 100u);
  ASSERT_EQ(r.next(body), FrameReader::Status::malformed);
  EXPECT_EQ(r.why(), "a frame at byte offset 104 declares a length of 101 B, over the limit of 100 B (--max-size)");
  // More bytes, even a good frame, cannot make the stream sane again.
  Bytes good;
  append_frame(good, {});
  r.feed(good);
  EXPECT_EQ(r.next(body), FrameReader::Status::malformed);
  EXPECT_EQ(r.frames(), 1u);
}

// A length of 4 GiB is refused as soon as its 4 bytes are in, without waiting for (or
// allocating) the body.
TEST(Frames, AHugeLengthIsMalformedAtOnce) {
  FrameReader r(1 << 20);
  r.feed(bytes_of("\xff\xff\xff"));
  Bytes body;
  EXPECT_EQ(r.next(body), FrameReader::Status::need_more);
  r.feed(bytes_of("\xff"));
  EXPECT_EQ(r.next(body), FrameReader::Status::malformed);
  EXPECT_NE(r.why().find("4294967295 B"), std::string::npos) << r.why();
  EXPECT_NE(r.why().find("byte offset 0"), std::string::npos) << r.why();
}

// Each byte of the length counts, in little-endian order.
TEST(Frames, LengthIsLittleEndian) {
  FrameReader r(1 << 24);
  Bytes s = {std::byte{0x03}, std::byte{0x02}, std::byte{0x01}, std::byte{0x00}};  // 0x010203
  Bytes body = body_of(0x010203, 7);
  s.insert(s.end(), body.begin(), body.end());
  r.feed(std::span(s).first(s.size() - 1));
  Bytes got;
  EXPECT_EQ(r.next(got), FrameReader::Status::need_more);
  EXPECT_EQ(r.describe_pending(), "a frame cut short: 66050 B of a declared 66051 B, from byte offset 0");
  r.feed(std::span(s).last(1));
  ASSERT_EQ(r.next(got), FrameReader::Status::frame);
  EXPECT_EQ(got, body);
}

}  // namespace
}  // namespace ipch::external
