// SIGINT and SIGTERM delivered to a poll() loop: while a SignalPipe lives, either signal makes
// fd() readable and signal() says which one came, so the loop can kill and clean up (a flag
// alone would not wake a poll that sys::poll restarts after EINTR).
#pragma once

#include <csignal>

#include "sys.hpp"

namespace ipch {

class SignalPipe {
 public:
  // Installs the handlers. Throws std::runtime_error if the pipe cannot be made.
  SignalPipe();
  // Puts the previous handlers back.
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int fd() const { return read_.get(); }
  // The last signal that arrived, 0 if none.
  int signal() const;

 private:
  sys::Fd read_, write_;
  struct sigaction old_int_ {}, old_term_{};
};

}  // namespace ipch
