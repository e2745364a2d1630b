#include "history_reader.hpp"

namespace ipch {

std::string HistoryReader::where() const { return path_ + " line " + std::to_string(line_); }

std::expected<HistoryReader, std::string> HistoryReader::open(const std::string& path) {
  HistoryReader r;
  r.path_ = path;
  r.in_.open(path);
  if (!r.in_) return std::unexpected(path + ": cannot be read (" + std::strerror(errno) + ")");
  std::string text;
  if (!std::getline(r.in_, text)) return std::unexpected(path + " is empty; a history starts with its header line");
  r.line_ = 1;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected(r.where() + ": not a JSON object");
  auto head = head_from_json(j);
  if (!head) return std::unexpected(r.where() + ": " + head.error());
  r.head_ = std::move(*head);
  return r;
}

std::expected<std::optional<HistoryReader::Item>, std::string> HistoryReader::next() {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_;
    if (text.empty()) continue;
    if (end_) return std::unexpected(where() + ": a line after the end line");
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::unexpected(where() + ": not a JSON object");
    Item item;
    item.line = line_;
    if (j.contains("end")) {
      auto e = end_from_json(j);
      if (!e) return std::unexpected(where() + ": " + e.error());
      end_ = std::move(*e);
      continue;
    }
    if (auto w = j.find("added_worker"); w != j.end()) {
      auto info = worker_from_json(*w);
      if (!info) return std::unexpected(where() + ": " + info.error());
      item.kind = Item::Kind::worker;
      item.worker = *info;
      return item;
    }
    if (!j.contains("event")) return std::unexpected(where() + ": neither an event, an added worker nor the end");
    auto e = event_from_json(j, head_.faults);
    if (!e) return std::unexpected(where() + ": " + e.error());
    item.event = *e;
    return item;
  }
  if (in_.bad()) return std::unexpected(where() + ": read failed");
  return std::nullopt;
}

}  // namespace ipch
