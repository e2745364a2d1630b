// The seccomp filter that hands a process's scheduling points to the supervisor.
//
// A scheduling point is a system call whose order against other processes' calls decides what a
// program sees: a read or write on a pipe, FIFO or socket, a message queue send or receive, a
// semaphore operation, a futex, a poll, sched_yield or a sleep, a signal sent, exit. Each one waits in the
// kernel (SECCOMP_RET_USER_NOTIF) until the supervisor lets it go on; every other call runs
// untrapped. Plain loads and stores to shared memory are not points: two of them racing with no
// system call between them cannot be scheduled this way.
#pragma once

#include <span>
#include <vector>

#include "result.hpp"

namespace ipch::schedule {

// The trapped calls, by x86-64 number.
std::span<const long> trapped_calls();
bool is_trapped(long nr);

// In a freshly forked child, before it runs any code of its own (and before exec, which keeps
// the filter): pins it to `cpu` (-1: no pinning), installs the filter and puts the listener at
// descriptor `handoff_fd` (O_CLOEXEC, replacing the write end of a pipe whose EOF tells the
// parent to take it with pidfd_getfd), then waits at its first point (a sched_yield) until the
// supervisor answers. Writes on `untrapped_fds` (the harness's own event pipe, stderr) stay
// untrapped. Returns the errno iff the kernel refused: the child must then exit, not run free.
Result<void> enter_schedule(int handoff_fd, const std::vector<int>& untrapped_fds, int cpu);

}  // namespace ipch::schedule
