// A sender's stdout: acknowledgements (4 zero bytes each), or its own output, told apart by its
// first 4 bytes; once it acknowledges, anything else is named with its offset.
#include "acks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ipch::external {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

std::vector<std::byte> text(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

TEST(AckReader, NothingWrittenIsSilent) {
  AckReader r;
  EXPECT_EQ(r.level(), AckReader::Level::unknown);
  EXPECT_STREQ(to_string(r.level()), "silent");
  EXPECT_EQ(r.feed({}), 0u);
  EXPECT_EQ(r.acks(), 0u);
}

TEST(AckReader, FourZeroBytesAreOneAcknowledgementWhereverTheyAreSplit) {
  AckReader r;
  EXPECT_EQ(r.feed(bytes({0})), 0u);
  EXPECT_EQ(r.level(), AckReader::Level::unknown);
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.feed(bytes({0, 0, 0, 0, 0})), 1u);  // completes one, starts the next
  EXPECT_EQ(r.level(), AckReader::Level::acknowledged);
  EXPECT_STREQ(to_string(r.level()), "acknowledged");
  EXPECT_EQ(r.pending(), 2u);
  EXPECT_EQ(r.feed(bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), 3u);
  EXPECT_EQ(r.acks(), 4u);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_FALSE(r.malformed());
}

TEST(AckReader, OutputThatDoesNotStartWithAnAcknowledgementIsPlain) {
  AckReader r;
  EXPECT_EQ(r.feed(text("sending 100 messages\n")), 0u);
  EXPECT_EQ(r.level(), AckReader::Level::plain);
  EXPECT_STREQ(to_string(r.level()), "plain");
  // Later zero bytes are output too, never acknowledgements.
  EXPECT_EQ(r.feed(bytes({0, 0, 0, 0})), 0u);
  EXPECT_EQ(r.acks(), 0u);
  EXPECT_FALSE(r.malformed());
  // Even when the deciding bytes come one at a time.
  AckReader s;
  s.feed(bytes({0}));
  s.feed(bytes({0}));
  s.feed(bytes({0}));
  EXPECT_EQ(s.level(), AckReader::Level::unknown);
  s.feed(bytes({7}));
  EXPECT_EQ(s.level(), AckReader::Level::plain);
}

TEST(AckReader, AnythingButZeroAfterAnAcknowledgementIsMalformedAndNamed) {
  AckReader r;
  EXPECT_EQ(r.feed(bytes({0, 0, 0, 0, 0, 0, 0, 0})), 2u);
  EXPECT_EQ(r.feed(bytes({5, 0, 0, 0, 0, 0, 0, 0})), 0u);
  ASSERT_TRUE(r.malformed());
  EXPECT_NE(r.why().find("05 00 00 00 at byte offset 8"), std::string::npos) << r.why();
  EXPECT_NE(r.why().find("after 2 acknowledgements"), std::string::npos) << r.why();
  EXPECT_EQ(r.feed(bytes({0, 0, 0, 0})), 0u);  // nothing is counted once malformed
  EXPECT_EQ(r.acks(), 2u);
}

}  // namespace
}  // namespace ipch::external
