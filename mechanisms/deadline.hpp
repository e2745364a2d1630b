// When a blocking call must give up. Deadlines are hang guards, not timing assertions.
#pragma once

#include <chrono>
#include <ctime>

namespace ipch {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // Blocks as long as the kernel call blocks: the raw blocking system call is used, so a stuck
  // process shows that call (write, msgsnd, ...) in /proc. Deadlock diagnosis relies on this.
  static Deadline never() { return Deadline(Clock::time_point::max()); }
  static Deadline after(std::chrono::nanoseconds d) { return Deadline(Clock::now() + d); }
  static Deadline at(Clock::time_point t) { return Deadline(t); }

  bool is_never() const { return at_ == Clock::time_point::max(); }
  bool expired() const { return !is_never() && Clock::now() >= at_; }
  Clock::time_point time_point() const { return at_; }

  // For poll(): -1 when never, else the milliseconds left rounded up (0 once expired).
  int poll_ms() const;
  // For calls taking a relative timeout (semtimedop): the time left, at least zero.
  timespec relative() const;
  // For calls taking an absolute CLOCK_REALTIME time (mq_timedsend): now + the time left.
  timespec absolute_realtime() const;
  // For pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable.
  timespec absolute_monotonic() const;
  // The earlier of this deadline and now + slice: for waits that must wake to re-check liveness.
  Deadline capped(std::chrono::nanoseconds slice) const;

 private:
  explicit Deadline(Clock::time_point t) : at_(t) {}
  Clock::time_point at_;
};

}  // namespace ipch
