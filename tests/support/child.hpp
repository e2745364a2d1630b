// A forked child process for tests, in the shape of a death test: the child runs a function
// and exits with its return value; the parent reaps it and decodes the wait status.
// The child dies with the parent (PR_SET_PDEATHSIG), so a failed test leaves no process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

namespace ipch::test {

struct ExitStatus {
  bool finished = false;  // false: the hang guard fired and the child was killed
  int code = -1;          // exit code, when it exited
  int signal = 0;         // the signal that ended it, when one did
  bool ok() const { return finished && signal == 0 && code == 0; }
  std::string describe() const;
};

class Child {
 public:
  // Forks; the child runs fn() and _exit()s with its result (gtest state is never torn down
  // in the child). A child that throws exits 125.
  static Child spawn(std::function<int()> fn);

  Child(Child&& o) noexcept;
  Child& operator=(Child&&) = delete;
  ~Child();  // kills and reaps a child still running

  pid_t pid() const { return pid_; }
  void kill(int sig);
  // Waits at most `guard` (a hang guard, not a timing assertion); then kills and reaps.
  ExitStatus wait(std::chrono::milliseconds guard = std::chrono::seconds(60));

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace ipch::test
