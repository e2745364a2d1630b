// What a parked call would do if the supervisor let it go on now: run to completion, fail at
// once with EAGAIN (a spin), wait for another process, or wait for a timeout. Judged from the
// outside, never by running it: the descriptor is polled through pidfd_getfd, queue and
// semaphore state read with IPC_STAT/GETVAL/mq_getattr, a futex word read from the caller's
// memory. Futexes are keyed by the object and offset behind the address, so waiters in
// different processes on one shared word meet, and a dead owner's FUTEX_OWNER_DIED is seen.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace ipch::schedule {

struct Call {
  std::uint64_t id = 0;  // the notification's id
  pid_t tid = 0;
  long nr = 0;
  std::array<std::uint64_t, 6> args{};
};

// A futex's identity across processes: (device, inode, offset) of a shared mapping, or
// (0, tgid, address) of a private one.
struct FutexKey {
  std::uint64_t a = 0, b = 0, c = 0;
  bool operator==(const FutexKey&) const = default;
};

enum class Readiness {
  runs,     // completes without waiting
  spins,    // returns at once without progress: sched_yield, EAGAIN of a non-blocking call
  blocked,  // would wait for another process
  timed,    // would wait, but only until its timeout
};

struct Assessment {
  Readiness readiness = Readiness::runs;
  std::string why;                 // blocked: "the pipe is empty", "semaphore 0 is 0"...
  std::string object;              // what it waits on: "fd 12", "sysv-msg 3", "futex ..."
  std::optional<FutexKey> waits;   // a FUTEX_WAIT that would sleep on this word
  std::optional<FutexKey> wakes;   // a FUTEX_WAKE (or unlock) of this word
  int wake_count = 0;
  std::optional<FutexKey> wakes2;  // FUTEX_WAKE_OP / REQUEUE: the second word
  int wake_count2 = 0;
  bool exits = false;              // exit_group: the process ends
  bool signals = false;            // kill/tgkill: someone may stop or die
};

// Judges `call` of thread `call.tid`, whose process is `tgid` behind `pidfd` (its descriptors).
Assessment assess(const Call& call, int pidfd, pid_t tgid);

// Answers a timed call as its timeout would, without running it: sets what the kernel would
// leave in the caller's memory (poll's revents, select's sets: none ready) and returns the
// call's result (0, or -ETIMEDOUT / -EAGAIN).
std::int64_t take_timeout(const Call& call);

// Drops what is cached about process `tgid`'s mappings (it exited or exec'd).
void forget_process(pid_t tgid);

// "write(fd 12, 4096 B)": a call as a human reads it.
std::string show(const Call& call);

}  // namespace ipch::schedule
