// Writes history.jsonl as the run makes it: the header, events and added workers as they
// come, the end last. Buffered (one write() per ~1 MiB), so memory stays fixed whatever the
// number of events. The first failure is kept and every later call does nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "history_format.hpp"
#include "sys.hpp"

namespace ipch {

class HistoryWriter {
 public:
  // Creates (or truncates) `path`; status() says whether that worked.
  explicit HistoryWriter(std::string path);
  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  // Once, first.
  void head(const HistoryHead& h);
  // A worker started after the header: before its first event.
  void worker(const WorkerInfo& w);
  void event(const Event& e);
  // Once, last; flushes.
  void end(const HistoryEnd& e);
  Result<void> flush();

  // The line the next call writes (1-based): what a violation cites as "history.jsonl line N".
  std::uint64_t next_line() const { return lines_ + 1; }
  const std::string& path() const { return path_; }
  Result<void> status() const;

 private:
  void line(const nlohmann::json& j);
  void maybe_flush();

  std::string path_;
  sys::Fd fd_;
  std::error_code error_;
  std::string buf_;
  std::uint64_t lines_ = 0;
  std::vector<WorkerInfo> workers_;
  std::vector<std::string> faults_;
};

// The whole of an in-memory history in one go: header, every event, the end.
Result<void> write_history(const std::string& path, const HistoryHead& head, const std::vector<Event>& events,
                           const HistoryEnd& end);

}  // namespace ipch
