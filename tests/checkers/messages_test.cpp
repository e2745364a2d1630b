// Every violation about a message names it in Violation::messages (link, sender, seq), the list
// a timeline highlights; violations about no one message name none.
#include <gtest/gtest.h>

#include "builder.hpp"
#include "delivery.hpp"
#include "integrity.hpp"
#include "reordered.hpp"

namespace ipch::test {
namespace {

using Ids = std::vector<MessageId>;

TEST(NamedMessages, LostDuplicatedAndUnexpectedNameTheirMessage) {
  auto lost = check_delivery(Builder().sent(0, 0).sent(0, 1).got(0, 0).h, messages()).violations;
  ASSERT_EQ(kinds_of(lost), std::vector<std::string>{"lost"});
  EXPECT_EQ(lost[0].messages, (Ids{{0, 0, 1}}));
  auto dup = check_delivery(Builder().sent(1, 4).got(1, 4).got(1, 4).h, messages()).violations;
  ASSERT_EQ(kinds_of(dup), std::vector<std::string>{"duplicated"});
  EXPECT_EQ(dup[0].messages, (Ids{{0, 1, 4}}));
  auto unexpected = check_delivery(Builder().sent(0, 0).got(0, 0).got(1, 7).h, messages()).violations;
  ASSERT_EQ(kinds_of(unexpected), std::vector<std::string>{"unexpected"});
  EXPECT_EQ(unexpected[0].messages, (Ids{{0, 1, 7}}));
}

TEST(NamedMessages, ReorderedNamesTheLateMessageAndTheOneItCameAfter) {
  auto v = check_reordered(Builder().sent(0, 0).sent(0, 1).got(0, 1).got(0, 0).h, messages());
  ASSERT_EQ(kinds_of(v), std::vector<std::string>{"reordered"});
  EXPECT_EQ(v[0].messages, (Ids{{0, 0, 0}, {0, 0, 1}}));
}

TEST(NamedMessages, ADamagedReceiptNamesItsMessageOnlyWhenItsHeaderStillDoes) {
  auto hash = check_corrupted(Builder().sent(0, 3).got(0, 3, Damage::bad_hash).h, messages());
  ASSERT_EQ(kinds_of(hash), std::vector<std::string>{"corrupted"});
  EXPECT_EQ(hash[0].messages, (Ids{{0, 0, 3}}));
  // A short message's header is gone: which message it was is not known.
  auto cut = check_boundary(Builder().sent(0, 3).got(0, 3, Damage::short_message).h, messages());
  ASSERT_EQ(kinds_of(cut), std::vector<std::string>{"boundary"});
  EXPECT_TRUE(cut[0].messages.empty());
}

TEST(NamedMessages, TheOverflowLineAndPlainAddNameNone) {
  Violations vs(1);
  vs.add(kinds::lost, "a", {{0, 0, 1}});
  vs.add(kinds::lost, "b", {{0, 0, 2}});
  vs.add(kinds::leaked, "c");
  auto out = vs.take();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].messages, (Ids{{0, 0, 1}}));
  EXPECT_TRUE(out[1].messages.empty());  // leaked
  EXPECT_EQ(out[2].detail, "and 1 more lost");
  EXPECT_TRUE(out[2].messages.empty());
  EXPECT_EQ(to_json(out[0])["messages"], nlohmann::json::parse(R"([{"link":0,"sender":0,"seq":1}])"));
  EXPECT_FALSE(to_json(out[1]).contains("messages"));
}

}  // namespace
}  // namespace ipch::test
