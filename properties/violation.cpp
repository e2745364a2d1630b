#include "violation.hpp"

namespace ipch {

nlohmann::json to_json(const Violation& v) {
  nlohmann::json j = {{"kind", v.kind}, {"detail", v.detail}};
  if (!v.messages.empty()) {
    auto messages = nlohmann::json::array();
    for (const auto& m : v.messages) messages.push_back({{"link", m.link}, {"sender", m.sender}, {"seq", m.seq}});
    j["messages"] = messages;
  }
  return j;
}

void Violations::add(std::string_view kind, std::string detail) { add(kind, std::move(detail), {}); }

void Violations::add(std::string_view kind, std::string detail, std::vector<MessageId> messages) {
  auto it = counts_.find(kind);
  if (it == counts_.end()) it = counts_.emplace(std::string(kind), 0).first;
  if (it->second++ < per_kind_) listed_.push_back({std::string(kind), std::move(detail), std::move(messages)});
}

void Violations::add_unlisted(std::string_view kind, std::size_t n) {
  if (n == 0) return;
  auto it = counts_.find(kind);
  if (it == counts_.end()) it = counts_.emplace(std::string(kind), 0).first;
  // Past the listed ones whatever their number, so take() says "and n more".
  it->second = std::max(it->second, per_kind_) + n;
}

std::vector<Violation> Violations::take() {
  std::vector<Violation> out = std::move(listed_);
  for (const auto& [kind, n] : counts_) {
    if (n > per_kind_) out.push_back({kind, "and " + std::to_string(n - per_kind_) + " more " + kind, {}});
  }
  listed_.clear();
  counts_.clear();
  return out;
}

std::string who(const History& h, std::uint32_t worker) {
  if (worker >= h.workers.size()) return "worker " + std::to_string(worker);
  const WorkerInfo& w = h.workers[worker];
  return w.name() + (w.pid ? " (pid " + std::to_string(w.pid) + ")" : "");
}

std::string message_id(std::uint32_t sender, std::uint64_t seq, std::uint8_t link) {
  return "sender " + std::to_string(sender) + " seq " + std::to_string(seq) + (link ? " (responses)" : "");
}

std::string history_line(std::uint64_t line) {
  return "history.jsonl line " + std::to_string(line);
}

}  // namespace ipch
