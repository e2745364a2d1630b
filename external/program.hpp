// One external program of a case: a sender or receiver the user wrote, started from its command
// words (execvp, never a shell) in its own process group, dying with the harness
// (PR_SET_PDEATHSIG), with stdin and stdout as pipes to the harness and stderr kept in a file.
#pragma once

#include <sys/types.h>

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "result.hpp"
#include "sys.hpp"

namespace ipch::external {

struct ProgramSpec {
  std::string name;                 // "sender-0", "receiver-1": how verdicts name it
  std::vector<std::string> argv;    // argv[0] is looked up in PATH unless it holds a '/'
  std::vector<std::string> env;     // "K=V" set on top of the harness's environment
  std::string stderr_path;          // its stderr, appended to; kept for the verdict
  bool feed_stdin = false;          // stdin: a pipe from the harness, else /dev/null
  bool read_stdout = false;         // stdout: a pipe to the harness, else its stderr file
  std::size_t pipe_bytes = 4096;    // both pipes' buffers: small, so back-pressure shows at once
};

class Program {
 public:
  // Starts the program. Returns it iff exec succeeded: a failed exec (ENOENT for a name not
  // found in PATH, EACCES for a file that is not executable) comes back as that errno through
  // a close-on-exec pipe, so "not found" is never mistaken for a program that exited 127.
  static Result<Program> start(const ProgramSpec& spec);

  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  // Kills the process group (SIGKILL) and reaps the program if it still runs.
  ~Program();

  const ProgramSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  pid_t pid() const { return pid_; }
  int stdin_fd() const { return stdin_.get(); }    // ours to write, non-blocking; -1 once closed
  int stdout_fd() const { return stdout_.get(); }  // ours to read, non-blocking; -1 once closed
  int pidfd() const { return pidfd_.get(); }       // readable once it has exited
  void close_stdin() { stdin_.reset(); }
  void close_stdout() { stdout_.reset(); }

  // Sends `sig` to its whole process group (a shell script's children too). Does nothing once
  // it has been reaped.
  void signal(int sig) const;
  // Reaps it if it has exited. Returns its wait status iff it has (now or before).
  std::optional<int> reap();
  // Kills the group, then waits for the program itself. Returns its wait status.
  int kill_and_reap();
  std::optional<int> status() const { return status_; }

  // "'examples/posix-mq/sender' (sender-0, pid 1234)": for every verdict line.
  std::string who() const;
  // The last `bytes` of its stderr, one line per line, "" if none: what a user reads first.
  std::string stderr_tail(std::size_t bytes = 400) const;

 private:
  Program() = default;
  ProgramSpec spec_;
  pid_t pid_ = 0;
  sys::Fd stdin_, stdout_, pidfd_;
  std::optional<int> status_;
};

// "exited with status 2", "exited 0", "was killed by SIGKILL", "was killed by SIGSEGV (core dumped)".
std::string describe_status(int wait_status);
// True iff `wait_status` is a clean end after the harness's SIGTERM: exit 0 or death by SIGTERM.
bool ended_cleanly_after_sigterm(int wait_status);

// Where execvp would find `name`: itself if it holds a '/', else the first executable of that
// name on PATH. Returns the path iff that is an executable file; else one line saying why.
std::expected<std::string, std::string> find_program(const std::string& name);

// Every process whose parent is this one (orphans reparented to us as the subreaper
// included), from /proc: what is left to kill after a case.
std::vector<pid_t> children_of_this_process();

}  // namespace ipch::external
