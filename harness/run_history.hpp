// Where the runner hands every event: the one call site between the process loop and the history.
//
// The runner reads each worker's control pipe in turn, so its read order is not time order: a
// receipt may be read a drain before the send it received. Events wait here in a window of
// kHoldNs and leave in t_ns order (ties in arrival order, which keeps each worker's own order),
// so the history is in time order without ever sorting the whole of it. An event later than
// the window (a worker descheduled between taking its time and writing) leaves at once; the
// checkers do not depend on it being in place.
//
// Without a sink the events are kept in History::events (tests, claims: small runs). With one
// they go to the sink, and History::events keeps only a sample for the timeline: the first and
// the last kSample events (History::complete false).
#pragma once

#include <cstdint>
#include <deque>
#include <queue>
#include <vector>

#include "contract.hpp"
#include "history.hpp"
#include "history_sink.hpp"

namespace ipch {

class RunHistory {
 public:
  static constexpr std::uint64_t kHoldNs = 50'000'000;
  static constexpr std::size_t kSample = 10'000;

  // `h` receives the workers and faults from the runner as they are made, and, without a sink,
  // every event. Both must outlive this.
  RunHistory(History& h, const Contract& c, HistorySink* sink);
  void add(const Event& e);
  // Once, at the end of the run: every event still waiting leaves, in order.
  void finish();

 private:
  struct Waiting {
    Event e;
    std::uint64_t arrival;
    bool operator>(const Waiting& o) const { return e.t_ns != o.e.t_ns ? e.t_ns > o.e.t_ns : arrival > o.arrival; }
  };
  void release(const Event& e);

  History& h_;
  const Contract& c_;
  HistorySink* sink_;
  bool begun_ = false;
  std::size_t announced_ = 0;  // workers the sink has been told of
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> window_;
  std::uint64_t arrivals_ = 0;
  std::uint64_t released_t_ = 0;
  std::deque<Event> tail_;
};

}  // namespace ipch
