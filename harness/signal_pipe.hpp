// SIGINT and SIGTERM, for the whole process, delivered to poll() loops and to code between them.
//
// While at least one SignalPipe lives, either signal is caught: it makes fd() readable (and it
// stays readable: nothing drains it, so every later poll wakes at once too) and it is kept in
// stop_flag(), which only the outermost SignalPipe's birth clears. Nested guards share that one
// state: a command holds one for its whole length (between cases as well as during them), and
// the engine's loop holds one per run, so a signal that lands anywhere, in a case's set-up, its
// clean-up or between two cases, is seen by the next check of signal() or poll of fd(), never lost.
#pragma once

#include <atomic>
#include <csignal>

namespace ipch {

// The signal that arrived while a SignalPipe lived, 0 if none. Async-signal-safe to read.
std::atomic<int>& stop_flag();

class SignalPipe {
 public:
  // The first live guard makes the pipe and installs the handlers (and clears stop_flag()); a
  // nested one shares them. Throws std::runtime_error if the pipe cannot be made.
  SignalPipe();
  // The last live guard puts the previous handlers back. The pipe stays for the next guard.
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  // Readable once a signal has arrived, and from then on while any guard lives.
  int fd() const;
  // The signal that arrived (stop_flag()), 0 if none.
  int signal() const;
};

}  // namespace ipch
