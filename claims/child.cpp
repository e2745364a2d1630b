#include "child.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>
#include <utility>

#include "deadline.hpp"
#include "sys.hpp"

namespace ipch::claims {

std::string Ended::describe() const {
  if (signal != 0) return std::string("killed by SIG") + sigabbrev_np(signal);
  return "exit " + std::to_string(code);
}

Result<Child> Child::fork(std::function<int()> body, bool sigpipe_default) {
  std::fflush(nullptr);  // or buffered output is written twice
  auto pid = sys::fork(true);
  if (!pid) return std::unexpected(pid.error());
  if (*pid == 0) {
    std::signal(SIGPIPE, sigpipe_default ? SIG_DFL : SIG_IGN);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    int rc = 125;
    try {
      rc = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "claims child %d: %s\n", static_cast<int>(::getpid()), e.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  Child c(*pid);
  c.reaped_ = false;
  return c;
}

Child::Child(Child&& o) noexcept : pid_(o.pid_), reaped_(std::exchange(o.reaped_, true)) {}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    Child dead(std::move(*this));  // kills and reaps what this held
    pid_ = o.pid_;
    reaped_ = std::exchange(o.reaped_, true);
  }
  return *this;
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    (void)sys::kill(pid_, SIGKILL);
    (void)sys::waitpid(pid_, 0);
  }
}

Result<void> Child::kill(int sig) {
  if (reaped_) return errno_error(ESRCH);
  return sys::kill(pid_, sig);
}

std::optional<Ended> Child::wait(std::chrono::milliseconds guard) {
  if (reaped_) return std::nullopt;
  auto pidfd = sys::pidfd_open(pid_);
  if (!pidfd) return std::nullopt;
  pollfd p{pidfd->get(), POLLIN, 0};
  auto r = sys::poll(std::span(&p, 1), Deadline::after(guard));
  if (!r || *r == 0) return std::nullopt;
  auto w = sys::waitpid(pid_, 0);
  if (!w) return std::nullopt;
  reaped_ = true;
  Ended e;
  if (WIFEXITED(w->second)) e.code = WEXITSTATUS(w->second);
  if (WIFSIGNALED(w->second)) e.signal = WTERMSIG(w->second);
  return e;
}

std::string Child::state() const {
  if (reaped_) return "";
  std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return "";
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return "";
  std::string s(1, line[close + 2]);
  std::ifstream wchan("/proc/" + std::to_string(pid_) + "/wchan");
  std::string w;
  std::getline(wchan, w);
  if (!w.empty() && w != "0") s += " " + w;
  return s;
}

bool Child::wait_sleeping_in(const std::string& wchan_part, std::chrono::milliseconds guard) const {
  auto d = Deadline::after(guard);
  while (!d.expired()) {
    std::string s = state();
    if (s.size() > 2 && (s[0] == 'S' || s[0] == 'D') && s.find(wchan_part, 2) != std::string::npos) return true;
    if (s.empty() || s[0] == 'Z') return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace ipch::claims
