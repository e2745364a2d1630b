// SIGINT and SIGTERM turned into a flag for long commands (bench, claims) that stop between
// measurements, so every owner's destructor still runs and nothing is left behind. The same
// process-wide state as every SignalPipe (signal_pipe.hpp): a signal caught by a run's own
// loop inside the command is the command's too.
#pragma once

#include <atomic>

#include "signal_pipe.hpp"

namespace ipch::cli {

// The signal that arrived (0: none), while a StopOnSignal (or any SignalPipe) is alive.
inline std::atomic<int>& stop_signal = ipch::stop_flag();

class StopOnSignal {
 public:
  StopOnSignal() = default;
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  SignalPipe guard_;
};

}  // namespace ipch::cli
