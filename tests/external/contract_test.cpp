// The contract between `ipc-harness check` and the programs it checks: correct programs that end
// by themselves and take over the channel after a kill pass every fault (30 cases each, no false
// alarm); a receiver that ends by itself with messages still owed is named as their cause; a
// sender's acknowledgements make what it handed to the channel definite, so a killed sender that
// loses an acknowledged message is caught, and the same sender without acknowledgements cannot be.
#include "check_fixture.hpp"

#include <regex>

namespace {

using namespace check_test;

const std::string kEosSender = EXAMPLE_MQ_EOS_SENDER;
const std::string kEosReceiver = EXAMPLE_MQ_EOS_RECEIVER;
const std::string kShmSender = EXAMPLE_SHM_SENDER;
const std::string kShmReceiver = EXAMPLE_SHM_RECEIVER;
const std::string kBatchingSender = EXAMPLE_MQ_BATCHING_SENDER;

// Every case passed, every sender acknowledged, and under eof every last receiver ended by itself.
void expect_clean_pass(const Outcome& r, bool eof) {
  expect_pass_under_every_fault(r);
  json j = parse(r);
  for (const auto& c : j["cases"]) {
    EXPECT_EQ(c.value("sender_level", ""), "acknowledged") << c.dump(2);
    if (eof) {
      EXPECT_EQ(c.value("receiver_end", ""), "by itself") << c.dump(2);
    }
  }
}

// --- correct programs that end by themselves and survive restarts ---------------------------

TEST_F(Check, QueuePairEndingByItselfPassesEveryFaultByDefault) {
  Outcome r = check({"--sender", kEosSender + " " + marker_, "--receiver", kEosReceiver + " " + marker_, "--contract",
                     kMq, "--max-size", "8192", "--seed", "1", "--cases", "30", "--messages", "200", "--json"},
                    300s);
  expect_clean_pass(r, false);
}

TEST_F(Check, QueuePairEndingByItselfPassesEveryFaultUnderEofRestart) {
  Outcome r = check({"--sender", kEosSender + " " + marker_, "--receiver", kEosReceiver + " " + marker_, "--contract",
                     "reliable,fifo,boundaries,eof,restart", "--max-size", "8192", "--seed", "2", "--cases", "30",
                     "--messages", "200", "--json"},
                    300s);
  expect_clean_pass(r, true);
}

TEST_F(Check, ShmRingEndingByItselfPassesEveryFaultByDefault) {
  Outcome r = check({"--sender", kShmSender + " " + marker_, "--receiver", kShmReceiver + " " + marker_, "--contract",
                     kMq, "--max-size", "65536", "--seed", "1", "--cases", "30", "--messages", "200", "--json"},
                    300s);
  expect_clean_pass(r, false);
}

TEST_F(Check, ShmRingEndingByItselfPassesEveryFaultUnderEofRestart) {
  Outcome r = check({"--sender", kShmSender + " " + marker_, "--receiver", kShmReceiver + " " + marker_, "--contract",
                     "reliable,fifo,boundaries,eof,restart", "--max-size", "65536", "--seed", "2", "--cases", "30",
                     "--messages", "200", "--json"},
                    300s);
  expect_clean_pass(r, true);
}

// --- a receiver that ends by itself too early is still the cause of what it did not deliver --

// It takes 10 of 60 messages and exits 0: the sender then fills the queue and hangs, or fails.
TEST_F(Check, ReceiverEndingByItselfWithMessagesOwedIsNamed) {
  for (const std::string& contract : {kMq, std::string("reliable,fifo,boundaries,eof,restart")}) {
    Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", misbehave("quit-early", marker_),
                       "--contract", contract, "--max-size", "8192", "--seed", "3", "--cases", "1", "--messages", "60",
                       "--fault", "none", "--stall-ms", "1000", "--json"},
                      60s);
    EXPECT_EQ(r.rc, 1) << contract << "\n" << r.show();
    json j = parse(r);
    EXPECT_TRUE(has_violation(j, "protocol",
                              {"misbehave", "receiver", "exited 0 by itself after writing out 10 of 60 messages",
                               "before the sender had finished"}))
        << contract << "\n"
        << violations_of(j) << r.show();
  }
}

// --- acknowledgements -----------------------------------------------------------------------

// The batching sender acknowledges a message when it reads it and sends in batches of 16: a
// SIGKILL loses what it acknowledged and had not sent. With its acknowledgements those messages
// are definite, and their loss is a violation.
TEST_F(Check, AKilledSenderLosingAcknowledgedMessagesIsCaught) {
  Outcome r = check({"--sender", kBatchingSender + " " + marker_, "--receiver", kReceiver + " " + marker_,
                     "--contract", kMq, "--max-size", "8192", "--seed", "4", "--cases", "6", "--messages", "100",
                     "--fault", "kill-sender", "--json"});
  EXPECT_EQ(r.rc, 1) << r.show();
  json j = parse(r);
  std::size_t caught = 0;
  for (const auto& c : j["cases"]) {
    EXPECT_EQ(c.value("sender_level", ""), "acknowledged") << c.dump(2);
    bool lost = false;
    for (const auto& v : c["violations"]) {
      lost = lost || v.value("kind", "") == "lost";
      EXPECT_EQ(v.value("kind", ""), "lost") << c.dump(2);
    }
    caught += lost;
    std::string notes = c["notes"].dump();
    EXPECT_NE(notes.find(" definite, "), std::string::npos) << "the notes must say how many were definite\n"
                                                            << c.dump(2);
  }
  EXPECT_GE(caught, 3u) << r.show();
}

// The same sender, acknowledging nothing: every message given to the killed sender is
// indeterminate, and the same cases pass. This is what acknowledgements add.
TEST_F(Check, TheSameSenderWithoutAcknowledgementsCannotBeCaught) {
  Outcome r = check({"--sender", kBatchingSender + " --no-ack " + marker_, "--receiver", kReceiver + " " + marker_,
                     "--contract", kMq, "--max-size", "8192", "--seed", "4", "--cases", "6", "--messages", "100",
                     "--fault", "kill-sender", "--json"});
  EXPECT_EQ(r.rc, 0) << r.show();
  json j = parse(r);
  for (const auto& c : j["cases"]) {
    EXPECT_EQ(c.value("verdict", ""), "pass") << c.dump(2);
    EXPECT_NE(c.value("sender_level", ""), "acknowledged") << c.dump(2);
    EXPECT_NE(c["notes"].dump().find("indeterminate"), std::string::npos) << c.dump(2);
  }
}

// A correct acknowledging sender under kill-sender: its acknowledged messages count as sent.
TEST_F(Check, AcknowledgedMessagesOfAKilledSenderCountAsSent) {
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", kReceiver + " " + marker_, "--contract", kMq,
                     "--max-size", "8192", "--seed", "5", "--cases", "3", "--messages", "100", "--fault",
                     "kill-sender", "--json"});
  EXPECT_EQ(r.rc, 0) << r.show();
  json j = parse(r);
  for (const auto& c : j["cases"]) {
    std::string notes = c["notes"].dump();
    EXPECT_NE(notes.find("was killed after acknowledging"), std::string::npos) << c.dump(2);
    // "... acknowledging A of the G messages it was given: A definite, G-A indeterminate", and no
    // more sends indeterminate than those G-A (each acknowledgement of a batch read at once counts).
    std::smatch m;
    static const std::regex said(R"(: (\d+) definite, (\d+) indeterminate)");
    ASSERT_TRUE(std::regex_search(notes, m, said)) << c.dump(2);
    const int unsure = std::stoi(m[2]);
    static const std::regex cut(R"((\d+) sends cut off in flight)");
    if (std::regex_search(notes, m, cut)) {
      EXPECT_LE(std::stoi(m[1]), unsure) << c.dump(2);
    }
  }
}

// The text output says which level each program spoke.
TEST_F(Check, TheOutputSaysWhichLevelEachProgramSpoke) {
  Outcome acked = check({"--sender", kEosSender + " " + marker_, "--receiver", kEosReceiver + " " + marker_,
                         "--contract", "eof,restart", "--max-size", "8192", "--seed", "6", "--cases", "1",
                         "--messages", "20", "--fault", "none"});
  EXPECT_EQ(acked.rc, 0) << acked.show();
  EXPECT_NE(acked.out.find("sender acknowledged, receiver ended by itself"), std::string::npos) << acked.show();
  Outcome plain = check({"--sender", kStreamSender + " " + marker_, "--receiver", kStreamReceiver + " " + marker_,
                         "--contract", "eof", "--seed", "6", "--cases", "1", "--messages", "20", "--fault", "none"});
  EXPECT_EQ(plain.rc, 0) << plain.show();
  EXPECT_NE(plain.out.find("sender silent, receiver ended by itself"), std::string::npos) << plain.show();
}

// Acknowledgements that cannot be true are the sender's protocol violations, named.
TEST_F(Check, WrongAcknowledgementsAreNamed) {
  struct Case {
    const char* mode;
    std::vector<std::string> words;
  };
  for (const Case& k : {Case{"ack-extra", {"misbehave", "sender", "acknowledgement", "after being given"}},
                        Case{"ack-garbage", {"misbehave", "sender", "6f 6f 70 73", "after 1 acknowledgements"}},
                        Case{"ack-some", {"misbehave", "sender", "exited 0 after acknowledging 1 of the 10"}}}) {
    Outcome r = check({"--sender", misbehave(k.mode, marker_), "--receiver", kReceiver + " " + marker_, "--contract",
                       kMq, "--max-size", "8192", "--seed", "7", "--cases", "1", "--messages", "10", "--fault",
                       "none", "--stall-ms", "1000", "--json"},
                      60s);
    EXPECT_EQ(r.rc, 1) << k.mode << "\n" << r.show();
    json j = parse(r);
    EXPECT_TRUE(has_violation(j, "protocol", k.words)) << k.mode << "\n" << violations_of(j) << r.show();
  }
}

}  // namespace
