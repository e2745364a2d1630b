#include "program.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>

namespace ipch::external {

namespace {

// In the child, between fork and exec: only calls that are safe after fork in a
// single-threaded parent. Any failure is reported as an errno through `report`.
[[noreturn]] void become(const ProgramSpec& spec, int in, int out, int err_file, int report) {
  auto fail = [&](int e) {
    (void)!::write(report, &e, sizeof e);
    ::_exit(127);
  };
  if (auto r = sys::setpgid(0, 0); !r) fail(r.error().value());
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGUSR1, SIGCHLD}) (void)sys::default_signal(sig);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Move every end above 10 first, so that installing one at 0..3 never closes another.
  int ends[4] = {in, out, err_file, report};
  for (int& e : ends) {
    auto moved = sys::fcntl(e, F_DUPFD_CLOEXEC, 10);
    if (!moved) fail(moved.error().value());
    e = *moved;
  }
  report = ends[3];
  for (int i = 0; i < 3; ++i)
    if (auto r = sys::dup_to(ends[i], i); !r) fail(r.error().value());
  if (auto r = sys::dup_to(report, 3, O_CLOEXEC); !r) fail(r.error().value());
  report = 3;
  if (auto r = sys::close_from(4); !r) fail(r.error().value());
  for (const auto& kv : spec.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    if (::setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1) != 0) fail(errno);
  }
  auto r = sys::execvp(spec.argv.at(0), spec.argv);
  fail(r ? ENOEXEC : r.error().value());
  ::_exit(127);  // not reached: fail() exits
}

}  // namespace

Result<Program> Program::start(const ProgramSpec& spec) {
  if (spec.argv.empty()) return std::unexpected(std::make_error_code(std::errc::invalid_argument));
  auto report = sys::pipe(O_CLOEXEC);
  if (!report) return std::unexpected(report.error());
  auto err_file = sys::open(spec.stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (!err_file) return std::unexpected(err_file.error());
  auto devnull = sys::open("/dev/null", O_RDWR);
  if (!devnull) return std::unexpected(devnull.error());
  sys::Fd in_r, in_w, out_r, out_w;
  if (spec.feed_stdin) {
    auto p = sys::pipe(O_CLOEXEC);
    if (!p) return std::unexpected(p.error());
    in_r = std::move(p->first);
    in_w = std::move(p->second);
    (void)sys::set_pipe_size(in_w.get(), spec.pipe_bytes);
  }
  if (spec.read_stdout) {
    auto p = sys::pipe(O_CLOEXEC);
    if (!p) return std::unexpected(p.error());
    out_r = std::move(p->first);
    out_w = std::move(p->second);
    (void)sys::set_pipe_size(out_w.get(), spec.pipe_bytes);
  }
  auto pid = sys::fork(/*die_with_parent=*/true);
  if (!pid) return std::unexpected(pid.error());
  if (*pid == 0) {
    become(spec, spec.feed_stdin ? in_r.get() : devnull->get(), spec.read_stdout ? out_w.get() : err_file->get(),
           err_file->get(), report->second.get());
  }
  // Both sides call setpgid, so the group exists before either goes on (the usual race fix).
  (void)sys::setpgid(*pid, *pid);
  report->second.reset();
  Program p;
  p.spec_ = spec;
  p.pid_ = *pid;
  int child_errno = 0;
  auto n = sys::read(report->first.get(), std::as_writable_bytes(std::span(&child_errno, 1)));
  if (n && *n == sizeof child_errno) {
    p.kill_and_reap();
    return std::unexpected(std::error_code(child_errno, std::generic_category()));
  }
  auto pfd = sys::pidfd_open(*pid);
  if (!pfd) {
    p.kill_and_reap();
    return std::unexpected(pfd.error());
  }
  p.pidfd_ = std::move(*pfd);
  if (spec.feed_stdin) {
    p.stdin_ = std::move(in_w);
    (void)sys::set_nonblocking(p.stdin_.get(), true);
  }
  if (spec.read_stdout) {
    p.stdout_ = std::move(out_r);
    (void)sys::set_nonblocking(p.stdout_.get(), true);
  }
  return p;
}

Program::Program(Program&& o) noexcept
    : spec_(std::move(o.spec_)),
      pid_(std::exchange(o.pid_, 0)),
      stdin_(std::move(o.stdin_)),
      stdout_(std::move(o.stdout_)),
      pidfd_(std::move(o.pidfd_)),
      status_(o.status_) {}

Program& Program::operator=(Program&& o) noexcept {
  if (this != &o) {
    if (pid_ && !status_) kill_and_reap();
    spec_ = std::move(o.spec_);
    pid_ = std::exchange(o.pid_, 0);
    stdin_ = std::move(o.stdin_);
    stdout_ = std::move(o.stdout_);
    pidfd_ = std::move(o.pidfd_);
    status_ = o.status_;
  }
  return *this;
}

Program::~Program() {
  if (pid_ && !status_) kill_and_reap();
}

void Program::signal(int sig) const {
  if (!pid_) return;
  // The group outlives the leader while its children run: signal it even after the reap.
  (void)sys::kill(-pid_, sig);
  if (!status_) (void)sys::kill(pid_, sig);
}

std::optional<int> Program::reap() {
  if (status_ || !pid_) return status_;
  auto r = sys::waitpid(pid_, WNOHANG);
  if (r && r->first == pid_) status_ = r->second;
  return status_;
}

int Program::kill_and_reap() {
  if (!pid_) return 0;
  (void)sys::kill(-pid_, SIGKILL);
  if (status_) return *status_;
  (void)sys::kill(pid_, SIGKILL);
  auto r = sys::waitpid(pid_, 0);
  status_ = r ? r->second : W_EXITCODE(0, SIGKILL);
  return *status_;
}

std::string Program::who() const {
  std::string cmd = spec_.argv.empty() ? "" : spec_.argv[0];
  return "'" + cmd + "' (" + spec_.name + ", pid " + std::to_string(pid_) + ")";
}

std::string Program::stderr_tail(std::size_t bytes) const {
  std::ifstream f(spec_.stderr_path, std::ios::binary | std::ios::ate);
  if (!f) return "";
  auto size = static_cast<std::size_t>(f.tellg());
  std::size_t from = size > bytes ? size - bytes : 0;
  f.seekg(static_cast<std::streamoff>(from));
  std::string s(size - from, '\0');
  f.read(s.data(), static_cast<std::streamsize>(s.size()));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';  // one line in a verdict
  return (from ? "..." : "") + s;
}

std::string describe_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st) ? "exited with status " + std::to_string(WEXITSTATUS(st)) : "exited 0";
  if (WIFSIGNALED(st)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(st));
    std::string s = "was killed by SIG" + std::string(abbrev ? abbrev : std::to_string(WTERMSIG(st)).c_str());
    if (WCOREDUMP(st)) s += " (core dumped)";
    return s;
  }
  return "ended with wait status " + std::to_string(st);
}

bool ended_cleanly_after_sigterm(int st) {
  return (WIFEXITED(st) && WEXITSTATUS(st) == 0) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

std::expected<std::string, std::string> find_program(const std::string& name) {
  auto usable = [](const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (usable(name)) return name;
    std::error_code ec;
    if (!std::filesystem::exists(name, ec)) return std::unexpected("'" + name + "' does not exist; check the path");
    return std::unexpected("'" + name + "' is not an executable file; check the path, or chmod +x it");
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t at = 0; at <= dirs.size();) {
    auto colon = dirs.find(':', at);
    if (colon == std::string::npos) colon = dirs.size();
    std::string dir = dirs.substr(at, colon - at);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (usable(candidate)) return candidate;
    at = colon + 1;
  }
  return std::unexpected("'" + name + "' is not on PATH; give a path to the program (./" + name + " if it is here)");
}

std::vector<pid_t> children_of_this_process() {
  std::vector<pid_t> out;
  const pid_t self = ::getpid();
  std::error_code ec;
  for (const auto& d : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = d.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(d.path() / "stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid == self) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

}  // namespace ipch::external
