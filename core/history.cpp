#include "history.hpp"

#include "history_format.hpp"

namespace ipch {

std::string_view to_string(WorkerRole r) {
  switch (r) {
    case WorkerRole::sender: return "sender";
    case WorkerRole::receiver: return "receiver";
    case WorkerRole::client: return "client";
    case WorkerRole::server: return "server";
    case WorkerRole::bystander: return "bystander";
  }
  return "?";
}

std::string WorkerInfo::name() const {
  if (role == WorkerRole::client || role == WorkerRole::server || role == WorkerRole::bystander)
    return std::string(to_string(role));
  return std::string(to_string(role)) + "-" + std::to_string(rank);
}

nlohmann::json History::to_json(const Event& e) const { return event_json(e, workers, faults); }

}  // namespace ipch
