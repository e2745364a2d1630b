// A one-shot signal between a parent and a forked child: one side opens it, the other waits.
// Built on a pipe that is not the channel under test.
#pragma once

#include <chrono>

#include "sys.hpp"

namespace ipch::test {

class Gate {
 public:
  Gate();
  // Lets the waiter through. Call in one process only.
  void open();
  // Returns true iff the gate opened before the hang guard.
  bool wait(std::chrono::milliseconds guard = std::chrono::seconds(30));

 private:
  sys::Fd r_, w_;
};

}  // namespace ipch::test
