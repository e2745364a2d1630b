// The timeline.html of a judged run: what `run`, `run --cases`, `check` and `replay` write beside
// the reproducer of every failing case. The verdict and violations come from check_all (or
// check's own report), the drawing from the run's history, with every message a violation
// names highlighted and every process the deadlock diagnosis found blocked marked at the end of
// its lane.
#pragma once

#include <expected>
#include <string>

#include "check.hpp"
#include "runner.hpp"
#include "timeline_page.hpp"

namespace ipch {

// The page of run `r` judged as `rep`, under the heading `title`.
TimelinePage timeline_page(const RunOutcome& r, const Report& rep, std::string title);

// Writes timeline_page(r, rep, title) to `path` atomically. Returns {} iff written whole; else
// one line naming the file and the fix.
std::expected<void, std::string> write_timeline(const std::string& path, const RunOutcome& r, const Report& rep,
                                                std::string title);

}  // namespace ipch
