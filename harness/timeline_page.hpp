// timeline.html: the page of one failing case, written beside its reproducer. The verdict and
// each violation (with the messages it names) above the drawing of the run (timeline.hpp), in
// one self-contained file: inline CSS and SVG, no script, nothing fetched, every text escaped,
// well-formed as XML too (so a test can parse it).
// Neutral about where the verdict came from: properties/case_timeline.hpp fills it from a
// judged run.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "event.hpp"
#include "timeline.hpp"

namespace ipch {

struct TimelinePage {
  struct Finding {  // one violation
    std::string kind;
    std::string detail;
    std::vector<MessageId> messages;  // the messages it names, highlighted in the drawing
  };
  std::string title;                 // what ran: mechanism or programs, workload, fault, seed
  std::string verdict;               // violations, deadlock, error
  std::vector<Finding> violations;
  std::vector<std::string> blocked;  // the deadlock diagnosis, one line a process
  std::vector<std::string> notes;
  Timeline timeline;
};

// The page as one HTML document. Never throws but for memory.
std::string timeline_html(const TimelinePage& p);

// Writes timeline_html(p) to `path` atomically: a temporary file in the same folder, renamed over
// `path`, so a reader never sees half a page. Returns {} iff `path` holds the whole page; else
// one line naming the file and the fix.
std::expected<void, std::string> write_timeline_html(const std::string& path, const TimelinePage& p);

}  // namespace ipch
