// What the shared-memory experiments stand on: a segment of either kind, a SysV semaphore set,
// a start gate that releases every racer at once, and a slot where a child names the call that
// failed. Each owner removes its kernel object on every path.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "deadline.hpp"
#include "result.hpp"
#include "shm_checks.hpp"

namespace ipch::claims::shm {

// A fresh zero-filled segment, mapped read-write here and so in every child forked later. Its
// name (or key) is removed as soon as it is mapped: the mapping keeps the memory until the last
// process unmaps it, so a report killed mid-experiment leaves nothing behind. Throws
// std::runtime_error naming the call and errno iff the segment cannot be made.
class Segment {
 public:
  Segment(ShmKind kind, std::size_t size);
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();  // unmaps (shmdt / munmap)

  void* base() const { return base_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(base_);
  }
  std::size_t size() const { return size_; }

 private:
  ShmKind kind_;
  std::size_t size_;
  void* base_ = nullptr;
};

// A SysV semaphore set of `count` semaphores, each starting at `value`, journaled and removed
// (IPC_RMID) on destruction; it cannot go early, since semop needs the id. Throws
// std::runtime_error iff it cannot be made.
class SemSet {
 public:
  SemSet(int count, int value);
  SemSet(const SemSet&) = delete;
  SemSet& operator=(const SemSet&) = delete;
  ~SemSet();
  int id() const { return id_; }

 private:
  void remove();
  int id_ = -1;
  std::string name_;
};

// A failed call inside a child, for the parent's exception: string literals keep their address
// across fork, so the child stores a pointer.
struct Failure {
  const char* call = nullptr;
  int err = 0;
};
// Records the first failure; returns the child's exit code for it (3).
int fail(Failure& f, const char* call, std::error_code ec);
// Throws std::runtime_error("<what>: <call>: EXXX ...") iff a child recorded a failure.
void throw_if_failed(const Failure& f, const std::string& what);

// Every racer arrives, then all leave together when the parent opens the gate. Both words are
// futex words in the segment (zero-filled, so a new gate is closed).
struct StartGate {
  std::uint32_t arrived = 0;
  std::uint32_t open = 0;
};
// In a child: counts itself in and sleeps until the gate opens. ETIMEDOUT at the deadline.
Result<void> arrive_and_wait(StartGate& g, Deadline d);
// In the parent: waits until `n` have arrived, then opens the gate. Throws std::runtime_error
// iff they do not all arrive before the deadline.
void open_when_arrived(StartGate& g, std::uint32_t n, Deadline d);

// One spin of a busy wait: tells the CPU (and a sibling hyperthread) that we are waiting.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Milliseconds since `t0` (steady_clock, which every process shares).
double ms_since(std::chrono::steady_clock::time_point t0);

// Puts the calling process on the `index`-th usable CPU iff there is one ("where possible").
void pin_where_possible(const std::vector<int>& cpus, std::size_t index);

}  // namespace ipch::claims::shm
