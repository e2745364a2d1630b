// Small owners and helpers the pipe and FIFO experiments share: a private folder that is removed
// on every path, a one-byte gate between processes, a clock since the experiment's start.
#pragma once

#include <chrono>
#include <string>

#include "deadline.hpp"
#include "sys.hpp"

namespace ipch::claims::pipe_util {

// "EPIPE"; "errno 1234" for a number without a name.
std::string errno_name(int e);

// Milliseconds since the experiment began.
class Clock {
 public:
  Clock() : t0_(std::chrono::steady_clock::now()) {}
  double ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  std::chrono::steady_clock::time_point t0_;
};

// A private folder /tmp/ipch-<pid>-<n> (0700) for FIFOs, removed with whatever is in it when the
// owner goes out of scope. Throws std::runtime_error iff it cannot be made.
class Folder {
 public:
  Folder();
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  ~Folder();
  const std::string& path() const { return path_; }
  // mkfifo <folder>/<name> (0600). Returns its path; throws std::runtime_error iff mkfifo fails.
  std::string fifo(const std::string& name) const;

 private:
  std::string path_;
};

// A pipe that carries one byte per event between processes: children block in pass() until the
// parent release()s them, or the parent collect()s the bytes children release() once they are
// ready. Throws std::runtime_error iff pipe() fails.
class Gate {
 public:
  Gate();
  // Writes one byte per waiter. Returns true iff they were written.
  bool release(std::size_t waiters = 1);
  // Blocks until a byte arrives. Returns true iff one did.
  bool pass();
  // Waits for `n` bytes until `guard`. Returns true iff they all came.
  bool collect(std::size_t n, std::chrono::milliseconds guard);

 private:
  sys::Fd r_, w_;
};

// The session id of `pid` (0: this process), from /proc; -1 iff it cannot be read.
long session_of(long pid);

}  // namespace ipch::claims::pipe_util
