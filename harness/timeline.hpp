// A timeline of one run: processes as lanes, messages, faults and errors as marks on a shared
// time axis, a message's send joined to its receipt. Drawn as standalone SVG, for the claims
// report's counterexamples and for the timeline.html of every failing case (timeline_page.hpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "event.hpp"

namespace ipch {

struct History;

struct Mark {
  enum class Kind { send, receive, fault, error, blocked, end, note };
  std::uint32_t lane = 0;
  double t_ms = 0;     // since the run's first event
  Kind kind = Kind::note;
  std::string label;   // short: "s0#7", "EPIPE", "SIGKILL", "exit 0"
  bool bad = false;    // drawn red: a damaged receipt, a failed call, a stuck wait
  bool highlight = false;  // a message a violation names: drawn red and bold, class "highlight"
};

struct Arrow {  // a message: from its send to its receipt
  std::uint32_t from_lane = 0, to_lane = 0;
  double from_ms = 0, to_ms = 0;
  bool bad = false;
  bool highlight = false;
};

struct Timeline {
  std::string title;
  std::vector<std::string> lanes;  // "sender-0 (pid 123)", "runner"
  std::vector<Mark> marks;
  std::vector<Arrow> links;
  std::string caption;  // one line under the drawing: what to look at
};

// What a failing case's timeline must show whatever its budget.
struct TimelineFocus {
  std::vector<MessageId> messages;  // the messages the violations name: kept and highlighted
  struct Stuck {                    // a process the deadlock diagnosis found blocked
    pid_t pid = 0;
    std::string role;   // matched against the lane's worker when the pid is unknown
    std::string label;  // "blocked in write (pipe_write)"
  };
  std::vector<Stuck> stuck;  // drawn as a blocked mark at the end of the process's lane
  // When the diagnosis was taken (CLOCK_MONOTONIC ns, as Event::t_ns): where the blocked marks
  // go, before the kills that end a stalled run. 0: at the run's last event.
  std::uint64_t stuck_at_ns = 0;
};

// The timeline of a harness run. Every fault, error, exit and damaged message is kept; of the
// messages, at most `max_messages` are drawn (the first ones, and those around a fault or an
// error), and the caption says how many were left out. Every message in `focus` is drawn
// whatever the budget, highlighted; a message it names that the history never mentions is
// skipped. An empty focus gives the drawing the claims report has always had.
Timeline from_history(const History& h, std::string title, std::size_t max_messages = 60,
                      const TimelineFocus& focus = {});

// One <svg> element, no script, no external resource; text is XML-escaped. Never throws.
std::string svg(const Timeline& t);

}  // namespace ipch
