// The ipc-harness binary as a user meets it: exit codes, a SIGKILLed runner, clean, SIGINT.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "child.hpp"
#include "sys.hpp"

#include <nlohmann/json.hpp>

namespace ipch {
namespace {

using namespace std::chrono_literals;

// Runs the binary with `args` (a shell word list); returns {exit code, stdout+stderr}.
std::pair<int, std::string> harness(const std::string& args) {
  std::string cmd = std::string(IPCH_BINARY) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), out};
}

// Workers of runner `runner`, found by the command line they show.
std::vector<pid_t> workers_of(pid_t runner) {
  std::vector<pid_t> out;
  std::string tag = "(runner " + std::to_string(runner) + ")";
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string n = e.path().filename();
    if (n.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    if (cmd.find(" worker ") != std::string::npos && cmd.find(tag) != std::string::npos) out.push_back(std::stoi(n));
  }
  return out;
}

std::vector<std::string> objects_of(pid_t pid) {
  std::vector<std::string> out;
  std::string prefix = "ipch-" + std::to_string(pid);
  for (const char* dir : {"/dev/shm", "/tmp", "/dev/mqueue"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path());
  }
  return out;
}

pid_t spawn_runner(const std::string& args) {
  test::Child c = test::Child::spawn([&]() -> int {
    std::string cmd = std::string(IPCH_BINARY) + " " + args + " >/dev/null 2>&1";
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), nullptr);
    return 127;
  });
  pid_t pid = c.pid();
  new test::Child(std::move(c));  // reaped by the test through waitpid; never killed by a destructor here
  return pid;
}

bool wait_until(const std::function<bool()>& ok, std::chrono::milliseconds guard = 10s) {
  auto end = std::chrono::steady_clock::now() + guard;
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return ok();
}

TEST(Cli, BadInputIsExitTwoWithOneLineNamingTheFix) {
  auto [rc, out] = harness("run --mechanism carrier-pigeon");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("unix-seqpacket"), std::string::npos) << out;
  std::tie(rc, out) = harness("run --mechanism pipe --workload zigzag");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("request-response"), std::string::npos) << out;
  std::tie(rc, out) = harness("run --mechanism posix-mq --setting capacity=100000 --messages 1");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("msg_max"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(Cli, AMalformedReproducerIsRefusedNamingTheField) {
  auto dir = std::filesystem::temp_directory_path() / ("ipch-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  auto [rc, out] = harness("replay " + write("trunc.json", R"({"format":1,"verdict":"dead)"));
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("not valid JSON"), std::string::npos) << out;
  std::tie(rc, out) = harness("replay " + write("nofield.json", R"({"format":1,"verdict":"deadlock","scenario":{"version":1,"seed":1}})"));
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("scenario.mechanism"), std::string::npos) << out;
  std::tie(rc, out) = harness("replay " + write("format.json", R"({"format":9,"verdict":"deadlock","scenario":{}})"));
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("format"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

TEST(Cli, DeadlockWritesAReproducerThatReplaysToTheSameVerdict) {
  auto dir = std::filesystem::temp_directory_path() / ("ipch-test-dl-" + std::to_string(getpid()));
  auto [rc, out] = harness("run --mechanism pipe --workload request-response --depth 64 --max-size 65536 --seed 7 "
                           "--stall-ms 500 --json --out " + dir.string());
  EXPECT_EQ(rc, 1) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["verdict"], "deadlock");
  ASSERT_TRUE(j["reproducer"].is_string());
  const std::string timeline = std::filesystem::absolute(dir / "timeline.html").string();
  EXPECT_EQ(j["timeline"], timeline);
  std::filesystem::remove(timeline);
  std::tie(rc, out) = harness("replay " + j["reproducer"].get<std::string>() + " --times 3 --json");
  EXPECT_EQ(rc, 1) << out;
  auto r = nlohmann::json::parse(out);
  EXPECT_EQ(r["same_verdict"], 3);
  EXPECT_EQ(r["timeline"], timeline) << "a failing replay draws its timeline beside the reproducer";
  EXPECT_TRUE(std::filesystem::exists(timeline));
  std::filesystem::remove_all(dir);
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// The text a user reads: a timeline line right after the reproducer line, naming the
// timeline.html beside it, which draws the run (an <svg>, the two blocked processes) without any
// script. A passing run writes none and prints none.
TEST(Cli, AFailingRunPrintsItsTimelineBesideTheReproducer) {
  auto dir = std::filesystem::temp_directory_path() / ("ipch-test-tl-" + std::to_string(getpid()));
  auto [rc, out] = harness("run --mechanism pipe --workload request-response --depth 64 --max-size 65536 --seed 7 "
                           "--stall-ms 500 --out " + dir.string());
  EXPECT_EQ(rc, 1) << out;
  const std::string repro = std::filesystem::absolute(dir / "reproducer.json").string();
  const std::string timeline = std::filesystem::absolute(dir / "timeline.html").string();
  EXPECT_NE(out.find("reproducer: " + repro + "\ntimeline: " + timeline + "\n"), std::string::npos) << out;
  std::string page = slurp(timeline);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u) << page.substr(0, 200);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("verdict: <b>deadlock</b>"), std::string::npos);
  std::size_t blocked = 0;
  for (auto i = page.find(": blocked blocked in "); i != std::string::npos; i = page.find(": blocked blocked in ", i + 1))
    ++blocked;
  EXPECT_EQ(blocked, 2u) << "a blocked mark for the client and one for the server";
  std::filesystem::remove_all(dir);

  std::tie(rc, out) = harness("run --mechanism pipe --seed 1 --out " + dir.string());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out.find("timeline:"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "timeline.html"));
  std::filesystem::remove_all(dir);
}

// --shard i/n: the shards of one seed together run every case exactly once.
TEST(RunCases, ShardsOfOneSeedRunEveryCaseExactlyOnce) {
  std::map<std::string, int> seen;
  for (int i = 0; i < 3; ++i) {
    auto [rc, out] = harness("run --mechanism all --cases 9 --seed 3 --shard " + std::to_string(i) + "/3");
    EXPECT_EQ(rc, 0) << out;
    std::regex line(R"(case (\d+)/9: )");
    for (std::sregex_iterator m(out.begin(), out.end(), line), end; m != end; ++m) ++seen[(*m)[1]];
  }
  ASSERT_EQ(seen.size(), 9u);
  for (const auto& [c, n] : seen) EXPECT_EQ(n, 1) << "case " << c;
  auto [rc, out] = harness("run --mechanism all --cases 9 --shard 3/3");
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("i/n"), std::string::npos) << out;
}

// --corpus: a saved reproducer that still fails fails the run, even when every new case passes;
// --junit: one testcase per mechanism x fault, well-formed.
TEST(RunCases, ACorpusReproducerThatStillFailsFailsTheRunAndJunitIsWritten) {
  auto dir = std::filesystem::temp_directory_path() / ("ipch-test-corpus-" + std::to_string(getpid()));
  auto [rc, out] = harness("run --mechanism pipe --workload request-response --depth 64 --max-size 65536 --seed 7 "
                           "--stall-ms 500 --json --out " + (dir / "dl").string());
  ASSERT_EQ(rc, 1) << out;
  std::filesystem::create_directories(dir / "corpus");
  std::filesystem::copy_file(dir / "dl" / "reproducer.json", dir / "corpus" / "deadlock.json");
  std::string junit = (dir / "junit.xml").string();
  std::tie(rc, out) = harness("run --mechanism unix-stream --cases 3 --seed 5 --corpus " + (dir / "corpus").string() +
                              " --junit " + junit);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("corpus reproducer still fails"), std::string::npos) << out;
  std::ifstream in(junit);
  std::string xml((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(xml.find("<testcase "), std::string::npos) << xml;
  EXPECT_NE(xml.find("classname=\"run.unix-stream\""), std::string::npos) << xml;
  EXPECT_EQ(std::system(("xmllint --noout " + junit).c_str()), 0) << xml;
  std::filesystem::remove_all(dir);
}

// SIGKILL leaves the runner no chance to clean up: its workers must still die (PDEATHSIG), and
// `clean` must then remove every object it left.
TEST(Cleanup, AKilledRunnerLeavesNoWorkerAndCleanLeavesNothing) {
  for (const char* mech : {"sysv-shm", "posix-mq", "fifo"}) {
    pid_t runner = spawn_runner(std::string("run --mechanism ") + mech + " --messages 100000000 --seed 3");
    ASSERT_TRUE(wait_until([&] { return workers_of(runner).size() >= 2; })) << mech << ": no workers came up";
    ASSERT_TRUE(sys::kill(runner, SIGKILL));
    (void)sys::waitpid(runner, 0);
    EXPECT_TRUE(wait_until([&] { return workers_of(runner).empty(); })) << mech << ": workers outlived their runner";
    EXPECT_FALSE(objects_of(runner).empty() && mech != std::string("fifo")) << mech << ": nothing was left to clean?";
    auto [rc, out] = harness("clean");
    EXPECT_EQ(rc, 0) << out;
    EXPECT_TRUE(objects_of(runner).empty()) << mech << ": " << ::testing::PrintToString(objects_of(runner));
    EXPECT_FALSE(std::filesystem::exists("/tmp/ipch-" + std::to_string(runner) + ".journal"));
  }
}

TEST(Cleanup, SigintEndsTheRunKillsWorkersAndRemovesEverything) {
  pid_t runner = spawn_runner("run --mechanism sysv-shm --messages 100000000 --seed 3");
  ASSERT_TRUE(wait_until([&] { return workers_of(runner).size() >= 2; }));
  auto workers = workers_of(runner);
  ASSERT_TRUE(sys::kill(runner, SIGINT));
  auto w = sys::waitpid(runner, 0);
  ASSERT_TRUE(w);
  EXPECT_TRUE(WIFEXITED(w->second) && WEXITSTATUS(w->second) == 130) << w->second;
  for (pid_t p : workers) EXPECT_FALSE(sys::kill(p, 0)) << "worker " << p << " survived";
  EXPECT_TRUE(objects_of(runner).empty()) << ::testing::PrintToString(objects_of(runner));
  EXPECT_FALSE(std::filesystem::exists("/tmp/ipch-" + std::to_string(runner) + ".journal"));
}

// `run --cases` under SIGTERM or SIGINT at moments spread over the run (between cases, while one
// is set up, runs or is judged): 128 + signal, no worker and no kernel object left. The 10 s
// wait is a hang guard; how long each took is printed.
TEST(Cleanup, SigtermOrSigintAtAnyMomentEndsRunCasesAndRemovesEverything) {
  for (int sig : {SIGTERM, SIGINT}) {
    for (int k = 0; k < 5; ++k) {
      pid_t runner = spawn_runner("run --mechanism all --cases 1000000 --seed " + std::to_string(k));
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + 230 * k));
      auto sent = std::chrono::steady_clock::now();
      ASSERT_TRUE(sys::kill(runner, sig));
      test::Child guard = test::Child::spawn([&]() -> int {
        std::this_thread::sleep_for(10s);
        (void)sys::kill(runner, SIGKILL);  // a hang guard: the test then fails on the status
        return 0;
      });
      auto w = sys::waitpid(runner, 0);
      double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
      ASSERT_TRUE(w);
      std::printf("SIG%s after %d ms: status %d, %.3f s later\n", sigabbrev_np(sig), 100 + 230 * k, w->second, took);
      EXPECT_TRUE(WIFEXITED(w->second) && WEXITSTATUS(w->second) == 128 + sig) << w->second;
      EXPECT_TRUE(wait_until([&] { return workers_of(runner).empty(); }, 5s));
      EXPECT_TRUE(objects_of(runner).empty()) << ::testing::PrintToString(objects_of(runner));
      EXPECT_FALSE(std::filesystem::exists("/tmp/ipch-" + std::to_string(runner) + ".journal"));
    }
  }
}

// `bench` on one mechanism: every file written, every size measured, every figure positive.
// (Its numbers are not asserted: speed is reported, never tested.)
TEST(Bench, AQuickRunWritesJsonCsvAndSvgWithEverySizeOfTheMechanism) {
  auto dir = std::filesystem::temp_directory_path() / ("ipch-benchtest-" + std::to_string(getpid()));
  auto [rc, out] = harness("bench --quick --mechanism pipe --out " + dir.string());
  ASSERT_EQ(rc, 0) << out;
  std::ifstream in(dir / "bench.json");
  auto j = nlohmann::json::parse(in);
  EXPECT_GT(j["calibration"]["memcpy_mb_per_s"]["median"].get<double>(), 0);
  EXPECT_GT(j["calibration"]["syscall_ns"]["median"].get<double>(), 0);
  EXPECT_EQ(j["calibration"]["bare_ping_pong"].size(), 1u);
  std::vector<std::size_t> sizes;
  for (const auto& r : j["results"]) {
    EXPECT_EQ(r["mechanism"], "pipe");
    EXPECT_GT(r["throughput_mb_per_s"]["median"].get<double>(), 0) << r.dump();
    EXPECT_GT(r["rtt_p50_us"]["median"].get<double>(), 0) << r.dump();
    EXPECT_LE(r["rtt_p50_us"]["median"].get<double>(), r["rtt_p99_us"]["median"].get<double>()) << r.dump();
    sizes.push_back(r["size"]);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{8, 64, 512, 4096, 65536, 1048576}));
  EXPECT_FALSE(j["targets"].empty());
  EXPECT_EQ(j["envelope"].size(), 1u);
  std::ifstream csv(dir / "bench.csv");
  std::string line;
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 7) << "a header and one row per size";
  std::ifstream svg(dir / "bench.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("Round-trip latency"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "bench.md"));
  std::filesystem::remove_all(dir);
}

TEST(Bench, AnUnknownMechanismIsExitTwoNamingTheChoices) {
  auto [rc, out] = harness("bench --mechanism carrier-pigeon --out /tmp/ipch-never-written");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("posix-shm"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_FALSE(std::filesystem::exists("/tmp/ipch-never-written"));
}

TEST(Bench, SigintStopsItAndRemovesEveryObject) {
  pid_t runner = spawn_runner("bench --mechanism posix-shm --out /tmp/ipch-benchint-" + std::to_string(getpid()));
  // Past the calibrations (about 10 s, longer on a loaded machine), into the rings. A hang guard.
  ASSERT_TRUE(wait_until([&] { return !objects_of(runner).empty(); }, 100s));
  ASSERT_TRUE(sys::kill(runner, SIGINT));
  auto w = sys::waitpid(runner, 0);
  ASSERT_TRUE(w);
  EXPECT_TRUE(WIFEXITED(w->second) && WEXITSTATUS(w->second) == 130) << w->second;
  EXPECT_TRUE(objects_of(runner).empty()) << ::testing::PrintToString(objects_of(runner));
  std::filesystem::remove_all("/tmp/ipch-benchint-" + std::to_string(getpid()));
}

TEST(Claims, AnUnknownClaimIsExitTwoNamingTheChoices) {
  auto [rc, out] = harness("claims --only pipes-are-magic --out /tmp/ipch-never-written");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("pipe-fifo-order"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_FALSE(std::filesystem::exists("/tmp/ipch-never-written"));
}

TEST(Claims, TheCatalogueListsEveryClaimWithItsSentenceAndMechanisms) {
  auto [rc, out] = harness("list claims --json");
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  ASSERT_GE(j["claims"].size(), 15u);
  for (const auto& c : j["claims"]) {
    EXPECT_FALSE(c["id"].get<std::string>().empty());
    EXPECT_FALSE(c["claim"].get<std::string>().empty());
    EXPECT_FALSE(c["mechanisms"].empty()) << c["id"];
  }
}

TEST(Claims, OneClaimWritesTheThreeReportsWithItsVerdictAndEvidence) {
  std::string dir = "/tmp/ipch-claimsone-" + std::to_string(getpid());
  auto [rc, out] = harness("claims --quick --only pipe-fifo-order --seed 5 --out " + dir);
  ASSERT_EQ(rc, 0) << out;
  for (const char* f : {"report.json", "report.md", "report.html"}) EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  std::ifstream in(dir + "/report.json");
  auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["claims"].size(), 1u);
  EXPECT_EQ(j["claims"][0]["id"], "pipe-fifo-order");
  EXPECT_EQ(j["claims"][0]["verdict"], "holds");
  EXPECT_FALSE(j["claims"][0]["evidence"].empty());
  EXPECT_EQ(j["seed"], 5);
  std::filesystem::remove_all(dir);
}

TEST(Claims, SigintStopsItAndRemovesEveryProcessAndObject) {
  std::string dir = "/tmp/ipch-claimsint-" + std::to_string(getpid());
  pid_t runner = spawn_runner("claims --quick --only kernel-synchronises,local-queues-reliable --out " + dir);
  // Into the harness runs (their workers show as "worker ... (runner PID)"). A hang guard.
  ASSERT_TRUE(wait_until([&] { return !workers_of(runner).empty(); }, 60s));
  ASSERT_TRUE(sys::kill(runner, SIGINT));
  auto w = sys::waitpid(runner, 0);
  ASSERT_TRUE(w);
  EXPECT_TRUE(WIFEXITED(w->second) && WEXITSTATUS(w->second) == 130) << w->second;
  EXPECT_TRUE(wait_until([&] { return workers_of(runner).empty(); }, 5s));
  EXPECT_TRUE(objects_of(runner).empty()) << ::testing::PrintToString(objects_of(runner));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ipch
