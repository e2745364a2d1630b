// A timeline of one run: processes as lanes, messages, faults and errors as marks on a shared
// time axis, a message's send joined to its receipt. Drawn as standalone SVG for the report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ipch {
struct History;
}

namespace ipch::claims {

struct Mark {
  enum class Kind { send, receive, fault, error, blocked, end, note };
  std::uint32_t lane = 0;
  double t_ms = 0;     // since the run's first event
  Kind kind = Kind::note;
  std::string label;   // short: "s0#7", "EPIPE", "SIGKILL", "exit 0"
  bool bad = false;    // drawn red: a damaged receipt, a failed call, a stuck wait
};

struct Link {  // a message: from its send to its receipt
  std::uint32_t from_lane = 0, to_lane = 0;
  double from_ms = 0, to_ms = 0;
  bool bad = false;
};

struct Timeline {
  std::string title;
  std::vector<std::string> lanes;  // "sender-0 (pid 123)", "runner"
  std::vector<Mark> marks;
  std::vector<Link> links;
  std::string caption;  // one line under the drawing: what to look at
};

// The timeline of a harness run. Every fault, error, exit and damaged message is kept; of the
// messages, at most `max_messages` are drawn (the first ones, and those around a fault or an
// error), and the caption says how many were left out.
Timeline from_history(const History& h, std::string title, std::size_t max_messages = 60);

// One <svg> element, no script, no external resource; text is XML-escaped. Never throws.
std::string svg(const Timeline& t);

}  // namespace ipch::claims
