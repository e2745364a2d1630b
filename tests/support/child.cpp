#include "child.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "sys.hpp"

namespace ipch::test {

std::string ExitStatus::describe() const {
  if (!finished) return "hung: killed by the hang guard";
  if (signal) return std::string("killed by signal ") + sigabbrev_np(signal);
  return "exit " + std::to_string(code);
}

Child Child::spawn(std::function<int()> fn) {
  std::fflush(nullptr);  // or buffered output is written twice
  auto pid = sys::fork(true);
  if (!pid) throw std::runtime_error("fork: " + describe(pid.error()));
  if (*pid == 0) {
    int rc = 125;
    try {
      rc = fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: exception: %s\n", e.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  return Child(*pid);
}

Child::Child(Child&& o) noexcept : pid_(o.pid_), reaped_(o.reaped_) { o.reaped_ = true; }

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    (void)sys::kill(pid_, SIGKILL);
    (void)sys::waitpid(pid_, 0);
  }
}

void Child::kill(int sig) {
  if (!reaped_) (void)sys::kill(pid_, sig);
}

ExitStatus Child::wait(std::chrono::milliseconds guard) {
  ExitStatus st;
  if (reaped_) return st;
  auto pidfd = sys::pidfd_open(pid_);
  if (pidfd) {
    pollfd p{pidfd->get(), POLLIN, 0};
    auto r = sys::poll(std::span(&p, 1), Deadline::after(guard));
    if (r && *r == 0) (void)sys::kill(pid_, SIGKILL);
    else st.finished = true;
  }
  auto w = sys::waitpid(pid_, 0);
  reaped_ = true;
  if (!w) return st;
  int status = w->second;
  if (!pidfd) st.finished = true;
  if (WIFEXITED(status)) st.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) st.signal = WTERMSIG(status);
  return st;
}

}  // namespace ipch::test
