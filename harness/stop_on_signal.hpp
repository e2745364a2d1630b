// SIGINT and SIGTERM turned into a flag for long commands (bench, claims) that stop between
// measurements, so every owner's destructor still runs and nothing is left behind.
#pragma once

#include <atomic>
#include <csignal>

namespace ipch::cli {

// The signal that arrived (0: none), while a StopOnSignal is alive.
inline std::atomic<int> stop_signal{0};

class StopOnSignal {
 public:
  StopOnSignal() {
    stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = [](int sig) { stop_signal = sig; };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopOnSignal() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_{};
};

}  // namespace ipch::cli
