// What `check` says about users' programs and finds for them: their names in verdicts, their
// stderr's tail, their wait statuses in words, where a command is found on PATH, and the
// orphans left to kill after a case. The engine (harness/engine.hpp) starts and ends them.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <expected>
#include <string>
#include <vector>

namespace ipch::external {

// "'examples/posix-mq/sender' (sender-0, pid 1234)": how every verdict line names a program.
std::string program_who(const std::string& command, const std::string& name, pid_t pid);
// The last `bytes` of a program's stderr file, one line per line, "" if none: what a user reads first.
std::string stderr_tail(const std::string& path, std::size_t bytes = 400);

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
