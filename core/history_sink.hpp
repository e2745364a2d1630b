// Where a run's history goes as it is made: history.jsonl and the online checkers (properties/
// streamed_judge.hpp), instead of a vector that grows with the run.
#pragma once

#include "contract.hpp"
#include "history.hpp"

namespace ipch {

class HistorySink {
 public:
  virtual ~HistorySink() = default;
  // Once, before the first event: the workers started so far and the faults (head.events is
  // not read), and the contract the run is judged against.
  virtual void begin(const History& head, const Contract& c) = 0;
  // A worker started after begin(), before its first event.
  virtual void worker(const WorkerInfo& w) = 0;
  // The events, in the order they are judged.
  virtual void event(const Event& e) = 0;
};

}  // namespace ipch
