#include "signal_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>

#include "sys.hpp"

namespace ipch {

namespace {
// One pipe per process, made by the first guard and kept: a handler may run at any moment, so
// the descriptor it writes to must never be closed under it.
int pipe_r = -1, pipe_w = -1;
int guards = 0;  // live SignalPipes; the harness is single-threaded where it makes them
struct sigaction old_int {}, old_term{};
std::atomic<int> arrived{0};

void on_signal(int sig) {
  arrived.store(sig, std::memory_order_relaxed);
  char b = 1;
  (void)!::write(pipe_w, &b, 1);  // raw: a handler may only make async-signal-safe calls
}

void drain() {
  std::byte buf[64];
  for (int i = 0; i < 1024; ++i) {  // the pipe holds at most a few pages of signals
    auto n = sys::read(pipe_r, buf);
    if (!n || *n == 0) return;
  }
}
}  // namespace

std::atomic<int>& stop_flag() { return arrived; }

SignalPipe::SignalPipe() {
  if (guards++ > 0) return;
  if (pipe_r < 0) {
    auto p = sys::pipe(O_NONBLOCK | O_CLOEXEC);
    if (!p) {
      --guards;
      throw std::runtime_error("signal pipe: " + p.error().message());
    }
    pipe_r = p->first.release();
    pipe_w = p->second.release();
  }
  drain();  // a signal of an earlier, finished guard is not this one's
  arrived = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
}

SignalPipe::~SignalPipe() {
  if (--guards > 0) return;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
}

int SignalPipe::fd() const { return pipe_r; }

int SignalPipe::signal() const { return arrived.load(); }

}  // namespace ipch
