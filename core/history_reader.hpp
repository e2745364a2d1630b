// Reads history.jsonl back one line at a time, so a history of any length is judged in fixed
// memory. Every error is one line naming the file and the line ("D/history.jsonl line 7:
// 'seq' is not an unsigned number").
#pragma once

#include <cstdint>
#include <expected>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "history_format.hpp"

namespace ipch {

class HistoryReader {
 public:
  // Opens `path` and reads its header (line 1).
  static std::expected<HistoryReader, std::string> open(const std::string& path);

  struct Item {
    enum class Kind { event, worker, end } kind = Kind::event;
    Event event;        // kind == event
    WorkerInfo worker;  // kind == worker
    std::uint64_t line = 0;
  };
  // The next event or added worker; the end line is kept (end()) and nullopt returned at the end of
  // the file. Nothing may follow the end line.
  std::expected<std::optional<Item>, std::string> next();

  const HistoryHead& head() const { return head_; }
  // The end line, once next() has returned nullopt; nullopt if the file has none (the writer died).
  const std::optional<HistoryEnd>& end() const { return end_; }

 private:
  HistoryReader() = default;
  std::string where() const;

  std::string path_;
  std::ifstream in_;
  std::uint64_t line_ = 0;
  HistoryHead head_;
  std::optional<HistoryEnd> end_;
};

}  // namespace ipch
