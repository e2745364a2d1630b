// Why a run stopped moving: a /proc snapshot of every live worker, taken before anything is
// killed. For each process: its state, the kernel function it sleeps in, the system call it is
// blocked in and the object behind that call's fd, and which other workers hold that object.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipch {

struct Holder {
  pid_t pid = 0;
  std::string role;
  int fd = -1;
  std::string access;  // "read", "write", "read-write"
};

struct Blocked {
  pid_t pid = 0;
  std::string role;
  std::string state;    // from /proc/<pid>/stat: "S (sleeping)", "D (disk sleep)", "T (stopped)"...
  std::string wchan;    // kernel function it sleeps in: pipe_write, do_msgrcv, futex_wait_queue...
  std::string syscall;  // "write", "msgrcv", "futex"; "running" when not in a call
  int fd = -1;          // the fd argument, for calls that take one
  std::string object;   // what that fd (or id) is: "pipe:[123]", "socket:[45]", a path, "sysv-msg id 3"
  std::vector<Holder> others;  // other workers holding the same object
  std::string backtrace;       // gdb stacks, with --backtrace
  std::string waits;           // under a controlled schedule: why its call may not go on
  std::string summary() const;  // one line a human reads first
};

struct Process {
  pid_t pid;
  std::string role;
};

// Snapshots every process. `backtrace`: also attach gdb -batch to each (slower; needs gdb).
std::vector<Blocked> diagnose(const std::vector<Process>& processes, bool backtrace);

nlohmann::json to_json(const Blocked& b);

// The name of x86-64 system call `nr` ("write"), or "syscall <nr>".
std::string syscall_name(long nr);

}  // namespace ipch
