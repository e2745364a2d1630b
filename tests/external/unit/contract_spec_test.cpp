// --contract: every word maps onto the Contract the checkers judge by, and every mistake is one
// line naming the word at fault.
#include "contract_spec.hpp"

#include <gtest/gtest.h>

namespace ipch::external {
namespace {

ProgramContract ok(std::string_view list) {
  auto c = parse_contract(list);
  EXPECT_TRUE(c) << list << " -> " << (c ? "" : c.error());
  return c ? *c : ProgramContract{};
}

std::string error_of(std::string_view list) {
  auto c = parse_contract(list);
  EXPECT_FALSE(c) << list << " was accepted";
  if (c) return "";
  EXPECT_EQ(c.error().find('\n'), std::string::npos) << c.error();
  return c.error();
}

TEST(ContractSpec, TheDefaultIsReliableFifoBoundariesWithoutEof) {
  ProgramContract c = ok(kDefaultContract);
  EXPECT_EQ(c.contract.delivery, Delivery::reliable);
  EXPECT_EQ(c.contract.ordering, Ordering::fifo);
  EXPECT_TRUE(c.contract.boundaries);
  EXPECT_EQ(c.contract.end_of_stream, EndOfStream::none);
  EXPECT_FALSE(c.eof);
  EXPECT_TRUE(c.restart);
  EXPECT_EQ(c.window, 1u);
}

// The two ideas are separate words; only their default is tied: eof alone means no-restart, as it
// did before the words existed, so a contract written then keeps its meaning.
TEST(ContractSpec, RestartIsItsOwnWordWithADefaultThatFollowsEof) {
  EXPECT_TRUE(ok("reliable").restart);
  EXPECT_FALSE(ok("eof").restart);
  EXPECT_TRUE(ok("eof,restart").restart);
  EXPECT_TRUE(ok("eof,restart").eof);
  EXPECT_FALSE(ok("no-restart").restart);
  EXPECT_FALSE(ok("no-restart").eof);
  EXPECT_EQ(ok("no-restart").contract.end_of_stream, EndOfStream::none);
  EXPECT_EQ(ok("eof,restart").contract.end_of_stream, EndOfStream::after_close_or_death);
  EXPECT_EQ(error_of("restart,no-restart"),
            "contract words 'restart' and 'no-restart' contradict each other: choose one of them");
  EXPECT_EQ(error_of("restart,restart"), "contract word 'restart' appears twice: give it once");
  EXPECT_NE(error_of("norestart").find("restart, no-restart"), std::string::npos);
}

TEST(ContractSpec, EachWordSetsItsField) {
  ProgramContract c = ok("lossy,unordered,bytes,eof,window=8");
  EXPECT_EQ(c.contract.delivery, Delivery::lossy);
  EXPECT_EQ(c.contract.ordering, Ordering::none);
  EXPECT_FALSE(c.contract.boundaries);
  EXPECT_EQ(c.contract.end_of_stream, EndOfStream::after_close_or_death);
  EXPECT_TRUE(c.eof);
  EXPECT_EQ(c.window, 8u);
  // Words left out take the pair's first word.
  ProgramContract d = ok("bytes");
  EXPECT_EQ(d.contract.delivery, Delivery::reliable);
  EXPECT_EQ(d.contract.ordering, Ordering::fifo);
  EXPECT_FALSE(d.contract.boundaries);
  EXPECT_EQ(ok("lossy").contract.delivery, Delivery::lossy);
  EXPECT_EQ(ok("unordered").contract.ordering, Ordering::none);
  EXPECT_EQ(ok("eof").contract.end_of_stream, EndOfStream::after_close_or_death);
}

TEST(ContractSpec, OrderAndBlanksAroundWordsDoNotMatter) {
  ProgramContract c = ok(" window=3 , eof,\tlossy ");
  EXPECT_EQ(c.window, 3u);
  EXPECT_TRUE(c.eof);
  EXPECT_EQ(c.contract.delivery, Delivery::lossy);
}

TEST(ContractSpec, AnUnknownWordListsTheChoices) {
  EXPECT_EQ(error_of("relaible"),
            "contract word 'relaible' is not one of: reliable, lossy, fifo, unordered, boundaries, bytes, eof, "
            "restart, no-restart, window=N");
  EXPECT_NE(error_of("reliable,FIFO").find("'FIFO'"), std::string::npos);
  EXPECT_NE(error_of("reliable,fifo boundaries").find("'fifo boundaries'"), std::string::npos);
  EXPECT_NE(error_of("window").find("'window'"), std::string::npos);
  EXPECT_NE(error_of("window:3").find("'window:3'"), std::string::npos);
}

TEST(ContractSpec, AWordGivenTwiceIsRefused) {
  for (const char* list :
       {"fifo,fifo", "reliable,bytes,reliable", "eof,eof", "window=2,window=2", "window=1,window=3"}) {
    EXPECT_NE(error_of(list).find("twice"), std::string::npos) << list;
  }
  EXPECT_EQ(error_of("lossy,fifo,lossy"), "contract word 'lossy' appears twice: give it once");
}

TEST(ContractSpec, TheTwoWordsOfAPairConflict) {
  EXPECT_EQ(error_of("reliable,lossy"),
            "contract words 'reliable' and 'lossy' contradict each other: choose one of them");
  EXPECT_EQ(error_of("unordered,eof,fifo"),
            "contract words 'unordered' and 'fifo' contradict each other: choose one of them");
  EXPECT_NE(error_of("bytes,boundaries").find("'bytes' and 'boundaries'"), std::string::npos);
}

TEST(ContractSpec, WindowIsAWholeNumberFromOneToAMillion) {
  EXPECT_EQ(ok("window=1").window, 1u);
  EXPECT_EQ(ok("window=1000000").window, 1000000u);
  for (const char* bad : {"window=0", "window=1000001", "window=", "window=-1", "window=+2", "window=1x", "window=1.5",
                          "window=4294967297", "window= 2"}) {
    std::string e = error_of(bad);
    EXPECT_NE(e.find(std::string("'") + bad + "'"), std::string::npos) << e;
    EXPECT_NE(e.find("1 to 1000000"), std::string::npos) << e;
  }
}

TEST(ContractSpec, EmptyListsAndEmptyWordsAreRefused) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("  ").find("empty"), std::string::npos);
  EXPECT_NE(error_of("reliable,,fifo").find("contract word 2 is empty"), std::string::npos);
  EXPECT_NE(error_of("reliable,").find("contract word 2 is empty"), std::string::npos);
  EXPECT_NE(error_of(",reliable").find("contract word 1 is empty"), std::string::npos);
}

// Every contract there is: the canonical list names each choice, and parses back to it.
TEST(ContractSpec, CanonicalListRoundTrips) {
  EXPECT_EQ(to_string(ok(kDefaultContract)), "reliable,fifo,boundaries,restart,window=1");
  EXPECT_EQ(to_string(ok("window=5,eof,bytes,unordered,lossy")), "lossy,unordered,bytes,eof,no-restart,window=5");
  for (const char* d : {"reliable", "lossy"}) {
    for (const char* o : {"fifo", "unordered"}) {
      for (const char* b : {"boundaries", "bytes"}) {
        for (const char* e : {"", ",eof"}) {
          for (const char* w : {",restart,window=1", ",no-restart,window=77", ",restart,window=1000000"}) {
            std::string list = std::string(d) + "," + o + "," + b + e + w;
            ProgramContract c = ok(list);
            EXPECT_EQ(to_string(c), list);
            ProgramContract again = ok(to_string(c));
            EXPECT_EQ(again.contract.delivery, c.contract.delivery);
            EXPECT_EQ(again.contract.ordering, c.contract.ordering);
            EXPECT_EQ(again.contract.boundaries, c.contract.boundaries);
            EXPECT_EQ(again.contract.end_of_stream, c.contract.end_of_stream);
            EXPECT_EQ(again.eof, c.eof);
            EXPECT_EQ(again.restart, c.restart);
            EXPECT_EQ(again.window, c.window);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace ipch::external
