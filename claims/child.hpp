// A forked child for an experiment: runs a function and _exit()s with its result. Dies with the
// report's process (PR_SET_PDEATHSIG); killed and reaped when its owner goes out of scope, so a
// failed experiment never leaves a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "result.hpp"

namespace ipch::claims {

struct Ended {
  int code = -1;   // exit code iff it exited
  int signal = 0;  // the signal that ended it, iff one did
  std::string describe() const;  // "exit 0", "killed by SIGPIPE"
};

class Child {
 public:
  // Forks; the child runs `body` and _exit()s with its result (125 if it throws). The child
  // keeps the parent's signal dispositions but SIGPIPE's, which is set to `sigpipe_default` ?
  // SIG_DFL : SIG_IGN, since what a write to a closed pipe does is itself under test.
  static Result<Child> fork(std::function<int()> body, bool sigpipe_default = false);

  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();  // SIGKILL and reap, iff still running

  pid_t pid() const { return pid_; }
  Result<void> kill(int sig);
  // Waits at most `guard` (a hang guard, not a timing assertion). Returns how it ended iff it
  // ended in time; nullopt iff it is still running (it is left running).
  std::optional<Ended> wait(std::chrono::milliseconds guard);

  // "S pipe_write": the /proc state letter and the kernel function it sleeps in (wchan), "" once
  // gone.
  std::string state() const;
  // Waits until the child sleeps in a kernel function whose name contains `wchan_part` (e.g.
  // "pipe_write", "open"), or until `guard`. Returns true iff it did.
  bool wait_sleeping_in(const std::string& wchan_part, std::chrono::milliseconds guard) const;

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  bool reaped_ = true;
};

}  // namespace ipch::claims
