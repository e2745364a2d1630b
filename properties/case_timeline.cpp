#include "case_timeline.hpp"

#include <algorithm>
#include <set>

namespace ipch {

TimelinePage timeline_page(const RunOutcome& r, const Report& rep, std::string title) {
  TimelinePage p;
  p.title = std::move(title);
  p.verdict = rep.verdict;
  TimelineFocus focus;
  std::set<MessageId> named;
  for (const auto& v : rep.violations) {
    p.violations.push_back({v.kind, v.detail, v.messages});
    for (const auto& m : v.messages)
      if (named.insert(m).second) focus.messages.push_back(m);
  }
  for (const auto& b : r.diagnosis) {
    p.blocked.push_back(b.summary());
    std::string in = b.syscall.empty() || b.syscall == "running" ? b.state : "in " + b.syscall;
    if (!b.wchan.empty() && b.wchan != "0") in += " (" + b.wchan + ")";
    focus.stuck.push_back({b.pid, b.role, "blocked " + in});
  }
  // The watchdog diagnoses a stall once nothing moved for stalled_ms after the last event; the
  // kills that end the run (exit events) come after.
  if (r.deadlock && !r.history.events.empty()) {
    std::uint64_t last = 0;
    for (const auto& e : r.history.events)
      if (e.kind != EventKind::exited) last = std::max(last, e.t_ns);
    if (last) focus.stuck_at_ns = last + r.stalled_ms * 1'000'000;
  }
  if (!r.error.empty()) p.notes.push_back("harness error: " + r.error);
  p.notes.insert(p.notes.end(), r.notes.begin(), r.notes.end());
  p.notes.insert(p.notes.end(), rep.notes.begin(), rep.notes.end());
  p.timeline = from_history(r.history, p.title, 60, focus);
  return p;
}

std::expected<void, std::string> write_timeline(const std::string& path, const RunOutcome& r, const Report& rep,
                                                std::string title) {
  return write_timeline_html(path, timeline_page(r, rep, std::move(title)));
}

}  // namespace ipch
