#include "signal_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

namespace ipch {

namespace {
int pipe_w = -1;
volatile sig_atomic_t last_signal = 0;
void on_signal(int sig) {
  last_signal = sig;
  char b = 1;
  (void)!::write(pipe_w, &b, 1);  // raw: a handler may only make async-signal-safe calls
}
}  // namespace

SignalPipe::SignalPipe() {
  auto p = sys::pipe(O_NONBLOCK);
  if (!p) throw std::runtime_error("signal pipe: " + p.error().message());
  read_ = std::move(p->first);
  write_ = std::move(p->second);
  last_signal = 0;
  pipe_w = write_.get();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

SignalPipe::~SignalPipe() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  pipe_w = -1;
}

int SignalPipe::signal() const { return last_signal; }

}  // namespace ipch
