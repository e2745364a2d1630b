// What the `ipc-harness check` tests share: running the binary with a hang guard, reading its JSON,
// and a fixture that checks that no program, queue, segment or SysV object outlives a run.
//
// The binary and the programs come from compile definitions: IPCH_BINARY, IPCH_VALIDATE_JUNIT,
// EXAMPLE_* (examples/), ARGV_RECEIVER and MISBEHAVE (tests/external/programs/).
// IPCH_CHECK_TEST_BINARY in the environment replaces IPCH_BINARY: a wrapper that misbehaves
// (leaves a process or an object behind) shows that the leftover checks fire.
#pragma once

#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace check_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct Outcome {
  int rc = -1;            // exit code; 128+signal if killed
  bool finished = false;  // false: the hang guard fired and the process was killed
  pid_t pid = 0;
  std::string out, err;
  double seconds = 0;
  std::string show() const {
    return "exit " + std::to_string(rc) + (finished ? "" : " (HANG GUARD FIRED)") + "\n--- stdout\n" + out +
           "\n--- stderr\n" + err;
  }
};

// Runs `argv` (no shell) in `cwd` with stdout and stderr to files in `scratch`; waits for it on a
// pidfd for at most `guard` (a hang guard: a run that needs it fails the test).
struct Started {
  pid_t pid;
  fs::path out, err;
  std::chrono::steady_clock::time_point start;
};

inline Started start_argv(const std::vector<std::string>& argv, const fs::path& scratch, const fs::path& cwd) {
  static int n = 0;
  ++n;
  fs::path out = scratch / ("run" + std::to_string(n) + ".out"), err = scratch / ("run" + std::to_string(n) + ".err");
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::chdir(cwd.c_str()) != 0) _exit(126);
    FILE* o = std::fopen(out.c_str(), "w");
    FILE* e = std::fopen(err.c_str(), "w");
    if (!o || !e) _exit(126);
    ::dup2(fileno(o), 1);
    ::dup2(fileno(e), 2);
    std::vector<char*> av;
    for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    ::execv(av[0], av.data());
    _exit(127);
  }
  return {pid, out, err, start};
}

inline Outcome wait_argv(const Started& s, std::chrono::seconds guard) {
  const auto& [pid, out, err, start] = s;
  Outcome r;
  r.pid = pid;
  int pidfd = int(::syscall(SYS_pidfd_open, pid, 0));
  pollfd p{pidfd, POLLIN, 0};
  r.finished = pidfd >= 0 && ::poll(&p, 1, int(std::chrono::milliseconds(guard).count())) == 1;
  if (!r.finished) ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (pidfd >= 0) ::close(pidfd);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

inline Outcome run_argv(const std::vector<std::string>& argv, const fs::path& scratch, const fs::path& cwd,
                 std::chrono::seconds guard) {
  return wait_argv(start_argv(argv, scratch, cwd), guard);
}

// Every process whose command line holds `marker`, as "pid: cmdline".
inline std::vector<std::string> processes_with(const std::string& marker) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string n = e.path().filename();
    if (n.find_first_not_of("0123456789") != std::string::npos || std::stoi(n) == ::getpid()) continue;
    std::string cmd = slurp(e.path() / "cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(marker) != std::string::npos) found.push_back(n + ": " + cmd);
  }
  return found;
}

inline bool alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// SysV objects of this IPC namespace, "msg key id" -> the pids /proc/sysvipc shows for it
// (creator or last user; none for semaphores).
inline std::map<std::string, std::vector<pid_t>> sysv_objects() {
  std::map<std::string, std::vector<pid_t>> out;
  for (const char* kind : {"msg", "shm", "sem"}) {
    std::ifstream in(std::string("/proc/sysvipc/") + kind);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::vector<std::string> f{std::istream_iterator<std::string>(ls), {}};
      if (f.size() < 7) continue;
      std::vector<pid_t> pids;
      if (std::string(kind) == "msg") pids = {std::stoi(f[5]), std::stoi(f[6])};  // lspid lrpid
      if (std::string(kind) == "shm") pids = {std::stoi(f[4]), std::stoi(f[5])};  // cpid lpid
      out[std::string(kind) + " key " + f[0] + " id " + f[1]] = pids;
    }
  }
  return out;
}

inline std::set<std::string> names_in(const char* dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename());
  return out;
}

// The result of `check --json`: the whole object, or a failure naming what came out.
inline json parse(const Outcome& r) {
  json j = json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    ADD_FAILURE() << "check --json did not print one JSON object:\n" << r.show();
    return json::object({{"verdict", "?"}, {"cases", json::array()}});
  }
  return j;
}

// Every violation of every case, as "kind: detail" lines, for messages.
inline std::string violations_of(const json& j) {
  std::string s;
  for (const auto& c : j["cases"])
    for (const auto& v : c["violations"])
      s += c.value("label", "") + " " + c.value("fault", "") + ": " + v.value("kind", "") + ": " +
           v.value("detail", "") + "\n";
  return s;
}

// The first violation of kind `kind` in any case whose detail holds every one of `words`.
inline bool has_violation(const json& j, const std::string& kind, const std::vector<std::string>& words) {
  for (const auto& c : j["cases"])
    for (const auto& v : c["violations"]) {
      if (v.value("kind", "") != kind) continue;
      std::string d = v.value("detail", "");
      if (std::all_of(words.begin(), words.end(), [&](const auto& w) { return d.find(w) != std::string::npos; }))
        return true;
    }
  return false;
}

inline int lines_of(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

const std::string kSender = EXAMPLE_MQ_SENDER;
const std::string kReceiver = EXAMPLE_MQ_RECEIVER;
const std::string kBrokenReceiver = EXAMPLE_MQ_BROKEN_RECEIVER;
const std::string kStreamSender = EXAMPLE_STREAM_SENDER;
const std::string kStreamReceiver = EXAMPLE_STREAM_RECEIVER;
const std::string kStreamBrokenSender = EXAMPLE_STREAM_BROKEN_SENDER;
const std::string kMq = "reliable,fifo,boundaries";
const std::string kStream = "reliable,fifo,boundaries,eof";

class Check : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipch-check-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    static int n = 0;
    marker_ = "ipchmark" + std::to_string(::getpid()) + "x" + std::to_string(++n);
    shm_before_ = names_in("/dev/shm");
    mq_before_ = names_in("/dev/mqueue");
    sysv_before_ = sysv_objects();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // `ipc-harness ARGS...`, run in the test's folder (so a stray shell redirection would show
  // there), with `--out` there too for check.
  Started start(std::vector<std::string> args) {
    const char* wrapper = std::getenv("IPCH_CHECK_TEST_BINARY");
    args.insert(args.begin(), wrapper ? wrapper : IPCH_BINARY);
    if (args.size() > 1 && args[1] == "check") {
      args.push_back("--out");
      args.push_back((dir_ / "out").string());
    }
    return start_argv(args, dir_, dir_);
  }
  Outcome harness(std::vector<std::string> args, std::chrono::seconds guard = 120s) {
    Outcome r = wait_argv(start(std::move(args)), guard);
    EXPECT_TRUE(r.finished) << "ipc-harness did not end within " << guard.count() << " s:\n" << r.show();
    return r;
  }

  // Runs one check and then asserts that the run left nothing behind.
  Outcome check(std::vector<std::string> args, std::chrono::seconds guard = 120s) {
    args.insert(args.begin(), "check");
    Outcome r = harness(args, guard);
    expect_nothing_left(r);
    return r;
  }

  // No program (found by the marker every command line here carries) still runs; no POSIX shm or
  // queue named after the run's endpoints (/ipch-<harness pid>-N) or the marker; no SysV object
  // new since SetUp whose processes are all gone (one a process still holds belongs to another
  // test running beside this one: this run's programs are all gone, checked first).
  void expect_nothing_left(const Outcome& r) {
    EXPECT_EQ(processes_with(marker_), std::vector<std::string>{}) << r.show();
    std::string mine = "ipch-" + std::to_string(r.pid) + "-";
    for (const char* d : {"/dev/shm", "/dev/mqueue"})
      for (const auto& n : names_in(d)) {
        bool before = std::string(d) == "/dev/shm" ? shm_before_.count(n) : mq_before_.count(n);
        EXPECT_FALSE(!before && (n.rfind(mine, 0) == 0 || n.find(marker_) != std::string::npos))
            << d << "/" << n << " was left behind\n"
            << r.show();
      }
    // As root every case has an IPC namespace of its own, so the programs' SysV objects can never
    // reach the machine's table, and objects other tests make beside this one (a message queue has
    // no attached process to tell its owner by) would only make this check flaky: it runs
    // without the privilege, where check judges by comparing the machine's table.
    if (::geteuid() == 0) return;
    for (const auto& [obj, pids] : sysv_objects()) {
      if (sysv_before_.count(obj)) continue;
      bool held = std::any_of(pids.begin(), pids.end(), [](pid_t p) { return alive(p); });
      EXPECT_TRUE(held) << "SysV " << obj << " is new since the test began and no process holds it\n" << r.show();
    }
  }

  fs::path dir_;
  std::string marker_;
  std::set<std::string> shm_before_, mq_before_;
  std::map<std::string, std::vector<pid_t>> sysv_before_;
};

// A misbehaving program's command line, with the marker that finds it later.
inline std::string misbehave(const std::string& mode, const std::string& marker) {
  return std::string(MISBEHAVE) + " " + mode + " " + marker;
}

// Every fault check injects on this machine (the fiu ones need libfiu's POSIX preload).
inline std::set<std::string> every_fault() {
  std::set<std::string> f{"none", "kill-sender", "kill-receiver", "stop-sender", "stop-receiver", "hold-receiver"};
  if (fs::exists("/usr/lib/fiu/fiu_posix_preload.so") || fs::exists("/usr/local/lib/fiu/fiu_posix_preload.so")) {
    f.insert("fiu-eintr");
    f.insert("fiu-short-io");
  }
  return f;
}

// Exit 0, and every case of every fault passed.
inline void expect_pass_under_every_fault(const Outcome& r) {
  EXPECT_EQ(r.rc, 0) << r.show();
  json j = parse(r);
  EXPECT_EQ(j.value("verdict", ""), "pass") << violations_of(j);
  std::set<std::string> seen;
  for (const auto& c : j["cases"]) {
    seen.insert(c.value("fault", ""));
    EXPECT_EQ(c.value("verdict", ""), "pass") << c.dump(2);
  }
  EXPECT_EQ(seen, every_fault());
}

// Exit 1, and every case of every fault failed with a violation of `kind` and kept a reproducer.
inline void expect_caught(const Outcome& r, const std::string& kind) {
  EXPECT_EQ(r.rc, 1) << r.show();
  json j = parse(r);
  EXPECT_EQ(j.value("verdict", ""), "violations");
  ASSERT_FALSE(j["cases"].empty()) << r.show();
  std::set<std::string> faults;
  for (const auto& c : j["cases"]) {
    faults.insert(c.value("fault", ""));
    EXPECT_EQ(c.value("verdict", ""), "violations") << c.dump(2);
    bool found = false;
    for (const auto& v : c["violations"]) found = found || v.value("kind", "") == kind;
    EXPECT_TRUE(found) << "no " << kind << " violation in " << c.dump(2);
    EXPECT_TRUE(c["reproducer"].is_string() && fs::exists(c["reproducer"].get<std::string>())) << c.dump(2);
    for (const char* k : {"label", "fault", "seed", "verdict", "violations", "notes", "reproducer"})
      EXPECT_TRUE(c.contains(k)) << k << " missing in " << c.dump(2);
  }
  EXPECT_EQ(faults, every_fault());
}

}  // namespace check_test
