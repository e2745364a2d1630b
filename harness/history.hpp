// The time-ordered events of every process of one run: what each worker did, as it reported
// it, and how each worker ended, as the runner saw it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "event.hpp"
#include "result.hpp"

namespace ipch {

enum class WorkerRole { sender, receiver, client, server, bystander };
std::string_view to_string(WorkerRole r);

struct WorkerInfo {
  std::uint32_t index = 0;
  WorkerRole role = WorkerRole::sender;
  std::uint32_t rank = 0;  // within its role: sender-0, sender-1...
  pid_t pid = 0;
  std::string name() const;  // "sender-0", "client"
};

struct History {
  std::vector<WorkerInfo> workers;
  std::vector<std::string> faults;  // names of the plan's faults, by index (Event::seq of a fault event)
  std::vector<Event> events;  // in the order the runner read them; t_ns orders them across processes

  nlohmann::json to_json(const Event& e) const;
  // Writes one JSON object per line. Returns {} iff every line was written.
  Result<void> write_jsonl(const std::string& path) const;
};

}  // namespace ipch
