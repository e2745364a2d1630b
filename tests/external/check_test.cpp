// `ipc-harness check` as a user meets it, through its command line: the example pairs pass or
// are caught with the right violation, JUnit validates, a hostile command line stays plain
// arguments, a program that breaks the protocol gets a verdict naming it and what it did (never a
// crash or a hang), and no run leaves a process or a kernel object behind.
//
// The binary and the programs come from compile definitions: IPCH_BINARY, IPCH_VALIDATE_JUNIT,
// EXAMPLE_* (examples/), ARGV_RECEIVER and MISBEHAVE (tests/external/programs/).
// IPCH_CHECK_TEST_BINARY in the environment replaces IPCH_BINARY: a wrapper that misbehaves
// (leaves a process or an object behind) shows that the leftover checks fire.
#include "check_fixture.hpp"

#include <iostream>
#include <thread>

namespace {

using namespace check_test;

// --- 1. the correct example pairs pass under every fault ----------------------------------

TEST_F(Check, PosixMqPairPassesUnderEveryFault) {
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", kReceiver + " " + marker_, "--contract", kMq,
                 "--max-size", "8192", "--seed", "1", "--cases", "16", "--messages", "100", "--json"});
  expect_pass_under_every_fault(r);
}

TEST_F(Check, UnixStreamPairPassesUnderEveryFault) {
  Outcome r = check({"--sender", kStreamSender + " " + marker_, "--receiver", kStreamReceiver + " " + marker_,
                 "--contract", kStream, "--seed", "1", "--cases", "16", "--messages", "100", "--json"});
  expect_pass_under_every_fault(r);
}

// --- 2. the broken pairs are caught with the right kind, under every fault -------------------

TEST_F(Check, BrokenPosixMqReceiverIsCaughtReordered) {
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", kBrokenReceiver + " " + marker_, "--contract",
                 kMq, "--max-size", "8192", "--seed", "1", "--cases", "8", "--messages", "100", "--json"});
  expect_caught(r, "reordered");
}

TEST_F(Check, BrokenUnixStreamSenderIsCaughtBoundary) {
  Outcome r = check({"--sender", kStreamBrokenSender + " " + marker_, "--receiver", kStreamReceiver + " " + marker_,
                 "--contract", kStream, "--seed", "1", "--cases", "8", "--messages", "100", "--json"});
  expect_caught(r, "boundary");
}

// --- 3. JUnit ---------------------------------------------------------------------------

Outcome validate(const fs::path& file, const fs::path& scratch) {
  return run_argv({IPCH_VALIDATE_JUNIT, file.string()}, scratch, scratch, 60s);
}

TEST_F(Check, JUnitOfAPassingRunValidates) {
  fs::path xml = dir_ / "pass.xml";
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", kReceiver + " " + marker_, "--contract", kMq,
                 "--max-size", "8192", "--seed", "2", "--cases", "2", "--messages", "20", "--junit", xml.string()});
  EXPECT_EQ(r.rc, 0) << r.show();
  Outcome v = validate(xml, dir_);
  EXPECT_EQ(v.rc, 0) << v.show() << "\n" << slurp(xml);
  std::string text = slurp(xml);
  EXPECT_NE(text.find("<testcase"), std::string::npos) << text;
  EXPECT_EQ(text.find("<failure"), std::string::npos) << text;
}

TEST_F(Check, JUnitOfAFailingRunValidatesAndSaysHowToReplay) {
  fs::path xml = dir_ / "fail.xml";
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", kBrokenReceiver + " " + marker_, "--contract",
                 kMq, "--max-size", "8192", "--seed", "2", "--cases", "2", "--messages", "50", "--fault", "none",
                 "--junit", xml.string()});
  EXPECT_EQ(r.rc, 1) << r.show();
  Outcome v = validate(xml, dir_);
  EXPECT_EQ(v.rc, 0) << v.show() << "\n" << slurp(xml);
  std::string text = slurp(xml);
  EXPECT_NE(text.find("<failure"), std::string::npos) << text;
  EXPECT_NE(text.find("replay it:"), std::string::npos) << text;
  EXPECT_NE(text.find("reordered"), std::string::npos) << text;
}

// --- 4. a hostile command line reaches the program as plain arguments --------------------

TEST_F(Check, HostileCommandLineReachesTheProgramAsPlainWords) {
  fs::path words = dir_ / "words";
  fs::path pwned = dir_ / "pwned", pwned2 = dir_ / "pwned2";
  std::string line = std::string(ARGV_RECEIVER) + " " + words.string() + " " + marker_ +
                     " 'a b' \"c;d\" '$(touch " + pwned.string() + ")' '`touch " + pwned2.string() +
                     "`' ';' '|' 'e\"f' '&&' '>redirected' '*' $(touch " + pwned.string() + ")";
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", line, "--contract", kMq, "--max-size", "8192",
                 "--seed", "3", "--cases", "1", "--messages", "20", "--fault", "none", "--json"});
  EXPECT_EQ(r.rc, 0) << r.show();
  std::vector<std::string> got;
  std::string text = slurp(words);
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\0', at);
    if (end == std::string::npos) break;
    got.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  std::vector<std::string> want{marker_,
                                "a b",
                                "c;d",
                                "$(touch " + pwned.string() + ")",
                                "`touch " + pwned2.string() + "`",
                                ";",
                                "|",
                                "e\"f",
                                "&&",
                                ">redirected",
                                "*",
                                "$(touch",
                                pwned.string() + ")"};
  EXPECT_EQ(got, want) << r.show();
  EXPECT_FALSE(fs::exists(pwned)) << "a shell ran $()";
  EXPECT_FALSE(fs::exists(pwned2)) << "a shell ran backquotes";
  EXPECT_FALSE(fs::exists(dir_ / "redirected")) << "a shell redirected";
}

// --- 5. programs that break the protocol ---------------------------------------------------

// One case, fault none, stall window 1 s: the verdict must come well within the hang guard.
class Protocol : public Check {
 protected:
  json one_case(const std::string& sender, const std::string& receiver) {
    Outcome r = check({"--sender", sender, "--receiver", receiver, "--contract", kMq, "--max-size", "8192", "--seed", "4",
                   "--cases", "1", "--messages", "10", "--fault", "none", "--stall-ms", "1000", "--json"},
                  60s);
    last_ = r;
    EXPECT_EQ(r.rc, 1) << r.show();
    json j = parse(r);
    EXPECT_EQ(j.value("verdict", ""), "violations") << r.show();
    return j;
  }
  Outcome last_;
};

TEST_F(Protocol, ReceiverWithoutReadyFrameIsNamed) {
  json j = one_case(kSender + " " + marker_, misbehave("silent", marker_));
  EXPECT_TRUE(has_violation(j, "protocol", {"misbehave", "receiver", "ready frame"})) << violations_of(j) << last_.show();
}

TEST_F(Protocol, MalformedFrameIsNamed) {
  json j = one_case(kSender + " " + marker_, misbehave("malformed", marker_));
  EXPECT_TRUE(has_violation(j, "protocol", {"misbehave", "receiver", "malformed"})) << violations_of(j) << last_.show();
}

TEST_F(Protocol, ReceiverExitingEarlyIsNamed) {
  json j = one_case(kSender + " " + marker_, misbehave("exit3", marker_));
  EXPECT_TRUE(has_violation(j, "protocol", {"misbehave", "receiver", "exited with status 3"}))
      << violations_of(j) << last_.show();
}

TEST_F(Protocol, SenderExitingZeroWithoutReadingIsNamed) {
  json j = one_case(misbehave("sender-exit0", marker_), kReceiver + " " + marker_);
  EXPECT_TRUE(has_violation(j, "protocol", {"misbehave", "sender"})) << violations_of(j) << last_.show();
}

TEST_F(Protocol, SenderFailingAtOnceIsNamed) {
  json j = one_case(misbehave("sender-exit2", marker_), kReceiver + " " + marker_);
  EXPECT_TRUE(has_violation(j, "protocol", {"misbehave", "sender", "status 2"})) << violations_of(j) << last_.show();
}

// Bad input: exit 2 and one line on stderr naming what was wrong.
void expect_bad_input(const Outcome& r, const std::string& names) {
  EXPECT_EQ(r.rc, 2) << r.show();
  EXPECT_EQ(lines_of(r.err), 1) << r.show();
  EXPECT_NE(r.err.find(names), std::string::npos) << "the error does not name '" << names << "'\n" << r.show();
}

TEST_F(Check, MissingProgramIsBadInputNamingIt) {
  std::string missing = (dir_ / ("no-such-program-" + marker_)).string();
  Outcome r = check({"--sender", missing, "--receiver", kReceiver + " " + marker_, "--contract", kMq, "--max-size",
                 "8192", "--cases", "1", "--messages", "10", "--fault", "none"});
  expect_bad_input(r, missing);
  Outcome r2 = check({"--sender", kSender + " " + marker_, "--receiver", "no-such-program-in-path-" + marker_,
                  "--contract", kMq, "--max-size", "8192", "--cases", "1", "--messages", "10", "--fault", "none"});
  expect_bad_input(r2, "no-such-program-in-path-" + marker_);
}

TEST_F(Check, BadContractFaultOrShardIsBadInput) {
  std::vector<std::string> base{"--sender", kSender + " " + marker_, "--receiver", kReceiver + " " + marker_,
                                "--max-size", "8192", "--cases", "1", "--messages", "10"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  expect_bad_input(check(with({"--contract", "reliable,fifo,bogusword"})), "bogusword");
  expect_bad_input(check(with({"--contract", kMq, "--fault", "frobnicate"})), "frobnicate");
  expect_bad_input(check(with({"--contract", kMq, "--shard", "2/2"})), "--shard");
  expect_bad_input(check(with({"--contract", kMq, "--shard", "1/x"})), "--shard");
  expect_bad_input(check({"--sender", "'unterminated", "--receiver", kReceiver, "--contract", kMq}), "--sender");
}

// --- 6. leaks: reported, and removed ---------------------------------------------------------

TEST_F(Check, LeakedSysvQueueIsReportedAndRemoved) {
  char key[16];
  std::snprintf(key, sizeof key, "%x", 0x1c000000u | unsigned(::getpid() & 0xffffff));
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", misbehave(std::string("leak-sysv ") + key, marker_),
                 "--contract", kMq, "--max-size", "8192", "--seed", "5", "--cases", "1", "--messages", "10",
                 "--fault", "none", "--json"});
  EXPECT_EQ(r.rc, 1) << r.show();
  json j = parse(r);
  EXPECT_TRUE(has_violation(j, "leaked", {"sysv-msg", key})) << violations_of(j) << r.show();
  for (const auto& [obj, pids] : sysv_objects()) EXPECT_EQ(obj.find(key), std::string::npos) << obj << " remains";
}

// True iff the run's cases had a /dev/shm of their own (root, and mounts allowed); else check
// falls back to comparing the machine's /dev/shm, where it reports what is new but keeps it.
bool private_shm(const json& j) {
  for (const auto& c : j["cases"])
    for (const auto& n : c["notes"])
      if (n.get<std::string>().find("with its own /dev/shm") != std::string::npos) return true;
  return false;
}

TEST_F(Check, LeakedPosixShmIsReportedAndRemoved) {
  std::string name = "/ipch-test-leak-" + marker_;
  Outcome r = harness({"check", "--sender", kSender + " " + marker_, "--receiver", misbehave("leak-shm " + name, marker_),
                       "--contract", kMq, "--max-size", "8192", "--seed", "5", "--cases", "1", "--messages", "10",
                       "--fault", "none", "--json"});
  EXPECT_EQ(r.rc, 1) << r.show();
  json j = parse(r);
  EXPECT_TRUE(has_violation(j, "leaked", {"posix-shm", name})) << violations_of(j) << r.show();
  if (private_shm(j)) {
    EXPECT_FALSE(fs::exists("/dev/shm" + name)) << "the leaked object remains";
  } else {
    EXPECT_TRUE(has_violation(j, "leaked", {name, "it is kept"})) << violations_of(j) << r.show();
    std::error_code ec;
    fs::remove("/dev/shm" + name, ec);  // kept by check, which could not tell it was theirs
  }
  expect_nothing_left(r);
}

// An object another process makes in /dev/shm during a case is not the programs' leak: it must
// be neither reported nor removed. The receiver waits at a FIFO until the test has made its
// object, so the object is made during the case for certain.
// (It failed before each case got a /dev/shm of its own: every new name there was counted.)
TEST_F(Check, AnotherProcesssShmIsNeitherReportedNorRemoved) {
  fs::path gate = dir_ / "gate";
  ASSERT_EQ(::mkfifo(gate.c_str(), 0600), 0);
  std::string foreign = "/dev/shm/ipch-test-foreign-" + marker_;
  Started s = start({"check", "--sender", kSender + " " + marker_, "--receiver",
                     misbehave("gate " + gate.string(), marker_), "--contract", kMq, "--max-size", "8192",
                     "--seed", "10", "--cases", "1", "--messages", "10", "--fault", "none", "--json"});
  // Opening blocks until the receiver opens its end: the case is running then. The hang guard:
  // a reader of our own unblocks the open if the receiver never comes.
  auto opened = std::async(std::launch::async, [&] { return ::open(gate.c_str(), O_WRONLY); });
  if (opened.wait_for(60s) != std::future_status::ready) {
    ADD_FAILURE() << "the receiver never opened its gate";
    int unblock = ::open(gate.c_str(), O_RDONLY | O_NONBLOCK);
    opened.wait();
    ::close(unblock);
  }
  int fd = opened.get();
  { std::ofstream(foreign) << "not the programs'"; }
  if (fd >= 0) ::close(fd);
  Outcome r = wait_argv(s, 60s);
  EXPECT_TRUE(r.finished) << r.show();
  // Where cases cannot have a /dev/shm of their own, the object is reported (it may be theirs)
  // but kept; where they can, it is not even seen.
  if (r.finished && private_shm(parse(r))) EXPECT_EQ(r.rc, 0) << r.show();
  else EXPECT_TRUE(has_violation(parse(r), "leaked", {foreign.substr(8), "it is kept"})) << r.show();
  EXPECT_TRUE(fs::exists(foreign)) << "check removed another process's /dev/shm object\n" << r.show();
  std::error_code ec;
  fs::remove(foreign, ec);  // ours: removed before the leftovers check, which would count it
  expect_nothing_left(r);
}

// A grandchild in a session of its own is still the harness's to kill (it is the subreaper);
// expect_nothing_left() finds it by the marker it carries.
TEST_F(Check, OrphanedGrandchildIsKilled) {
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", misbehave("orphan", marker_), "--contract", kMq,
                 "--max-size", "8192", "--seed", "6", "--cases", "1", "--messages", "10", "--fault", "none", "--json"},
                60s);
  EXPECT_TRUE(r.rc == 0 || r.rc == 1) << r.show();
}

// --- 7. shards --------------------------------------------------------------------------

TEST_F(Check, ShardsRunEachCaseExactlyOnce) {
  std::map<std::string, int> seen;
  for (const char* shard : {"0/2", "1/2"}) {
    Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", kReceiver + " " + marker_, "--contract", kMq,
                   "--max-size", "8192", "--seed", "7", "--cases", "5", "--messages", "10", "--fault", "none",
                   "--shard", shard, "--json"});
    EXPECT_EQ(r.rc, 0) << r.show();
    json j = parse(r);
    EXPECT_FALSE(j["cases"].empty()) << "shard " << shard << " ran nothing\n" << r.show();
    for (const auto& c : j["cases"]) ++seen[c.value("label", "")];
  }
  std::map<std::string, int> want;
  for (int i = 1; i <= 5; ++i) want["case " + std::to_string(i) + "/5"] = 1;
  EXPECT_EQ(seen, want);
}

// --- 8. the corpus and replay ---------------------------------------------------------------

TEST_F(Check, CorpusKeepsFailuresAndReplaysThemFirst) {
  fs::path corpus = dir_ / "corpus";
  std::vector<std::string> args{"--sender", kSender + " " + marker_, "--receiver", kBrokenReceiver + " " + marker_,
                                "--contract", kMq, "--max-size", "8192", "--seed", "8", "--messages", "30",
                                "--fault", "none", "--corpus", corpus.string(), "--json", "--cases"};
  args.push_back("2");
  Outcome first = check(args);
  EXPECT_EQ(first.rc, 1) << first.show();
  json j1 = parse(first);
  std::size_t saved = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(corpus, ec)) saved += e.path().extension() == ".json";
  EXPECT_EQ(saved, 2u) << "two failing cases of distinct seeds, two reproducers\n" << first.show();

  args.back() = "1";
  Outcome second = check(args);
  EXPECT_EQ(second.rc, 1) << second.show();
  json j2 = parse(second);
  std::vector<std::string> labels;
  for (const auto& c : j2["cases"]) labels.push_back(c.value("label", ""));
  ASSERT_EQ(labels.size(), saved + 1) << second.show();
  for (std::size_t i = 0; i < saved; ++i) {
    EXPECT_EQ(labels[i].rfind("corpus", 0), 0u) << labels[i];
    EXPECT_EQ(j2["cases"][i].value("verdict", ""), "violations") << j2["cases"][i].dump(2);
  }
  EXPECT_EQ(labels.back(), "case 1/1");

  // The first run's reproducer replays to the same verdict.
  ASSERT_FALSE(j1["cases"].empty());
  ASSERT_TRUE(j1["cases"][0]["reproducer"].is_string()) << first.show();
  Outcome replay = harness({"replay", j1["cases"][0]["reproducer"].get<std::string>()});
  expect_nothing_left(replay);
  EXPECT_EQ(replay.rc, 1) << replay.show();
  EXPECT_NE(replay.out.find("reordered"), std::string::npos) << replay.show();
  EXPECT_NE(replay.out.find("1 of 1 replays gave the recorded verdict 'violations'"), std::string::npos)
      << replay.show();
}

// --- 9. a timeline.html beside every reproducer ---------------------------------------------

std::vector<std::string> timeline_lines(const std::string& out) {
  std::vector<std::string> paths;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (auto at = line.find("timeline: "); at != std::string::npos && line.find_first_not_of(' ') == at)
      paths.push_back(line.substr(at + 10));
  return paths;
}

// Every failing case's folder holds a timeline.html beside its reproducer.json; the path printed
// is that file's; the page draws the run (an <svg>) with no script; the replay of a reproducer
// writes one beside it and prints it too.
TEST_F(Check, EveryFailingCaseHasATimelineBesideItsReproducerAndPrintsItsPath) {
  Outcome r = check({"--sender", kSender + " " + marker_, "--receiver", kBrokenReceiver + " " + marker_, "--contract",
                     kMq, "--max-size", "8192", "--seed", "3", "--cases", "3", "--messages", "40", "--fault", "none"});
  EXPECT_EQ(r.rc, 1) << r.show();
  std::set<std::string> repro_dirs, page_dirs;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "out")) {
    if (e.path().filename() == "reproducer.json") repro_dirs.insert(e.path().parent_path().string());
    if (e.path().filename() == "timeline.html") page_dirs.insert(e.path().parent_path().string());
  }
  EXPECT_EQ(repro_dirs.size(), 3u) << r.show();
  EXPECT_EQ(page_dirs, repro_dirs) << r.show();
  std::set<std::string> printed;
  for (const auto& p : timeline_lines(r.out)) printed.insert(fs::path(p).parent_path().string());
  EXPECT_EQ(printed, repro_dirs) << r.show();
  for (const auto& d : page_dirs) {
    std::string page = slurp(fs::path(d) / "timeline.html");
    EXPECT_NE(page.find("<svg"), std::string::npos) << d;
    EXPECT_NE(page.find("class=\"highlight\""), std::string::npos) << "the reordered messages, highlighted: " << d;
    EXPECT_EQ(page.find("<script"), std::string::npos) << d;
  }

  fs::path repro = fs::path(*repro_dirs.begin()) / "reproducer.json";
  fs::remove(repro.parent_path() / "timeline.html");
  Outcome replay = harness({"replay", repro.string()});
  expect_nothing_left(replay);
  EXPECT_EQ(replay.rc, 1) << replay.show();
  EXPECT_EQ(timeline_lines(replay.out), std::vector<std::string>{(repro.parent_path() / "timeline.html").string()})
      << replay.show();
  EXPECT_NE(slurp(repro.parent_path() / "timeline.html").find("<svg"), std::string::npos);
}

// --- 10. SIGTERM and SIGINT ------------------------------------------------------------------

// A signal at any moment, between cases, while one is set up or cleaned up, or in the middle of a
// long one, ends check with 128 + signal, every program and object gone. Quick cases (/bin/true
// breaks the protocol at once, so the run is mostly set-up and clean-up: where a SIGTERM was once
// lost for minutes) and long ones (a million messages each) at moments spread over the run.
// The 10 s wait is a hang guard; how long each took is printed.
TEST_F(Check, SigtermOrSigintAtAnyMomentEndsTheRunAndLeavesNothing) {
  for (int sig : {SIGTERM, SIGINT}) {
    for (int k = 0; k < 6; ++k) {
      const bool long_cases = k % 2 == 1;
      std::vector<std::string> args{"check", "--contract", kMq, "--max-size", "8192", "--seed", std::to_string(k),
                                    "--cases", "1000000", "--fault", "none"};
      for (const auto& [option, program] :
           {std::pair{"--sender", long_cases ? kSender : std::string("/bin/true")},
            std::pair{"--receiver", long_cases ? kReceiver : std::string("/bin/true")}}) {
        args.push_back(option);
        args.push_back(program + " " + marker_);
      }
      args.push_back("--messages");
      args.push_back(long_cases ? "1000000" : "10");
      Started s = start(args);
      std::this_thread::sleep_for(std::chrono::milliseconds(150 + 170 * k));
      auto sent = std::chrono::steady_clock::now();
      ASSERT_EQ(::kill(s.pid, sig), 0);
      Outcome r = wait_argv(s, 10s);
      double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
      std::cout << "SIG" << sigabbrev_np(sig) << " after " << 150 + 170 * k << " ms ("
                << (long_cases ? "long" : "quick") << " cases): exit " << r.rc << " " << took << " s later\n";
      EXPECT_TRUE(r.finished) << r.show();
      EXPECT_EQ(r.rc, 128 + sig) << r.show();
      expect_nothing_left(r);
    }
  }
}

}  // namespace
