// The events of every process of one run: what each worker did, as it reported it, and how each
// worker ended, as the runner saw it. In memory (tests, `check`, the claims) or as the bounded
// sample a streamed run keeps for its timeline (complete == false); history.jsonl is the whole.
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
  // In the order they are judged: time order for a run (a bounded window orders the runner's
  // reads), the file's order for a history read back.
  std::vector<Event> events;
  // False iff `events` is a sample (the first and last events of a streamed run): then only
  // history.jsonl holds them all, and nothing may judge this History.
  bool complete = true;
  std::uint64_t left_out = 0;  // events of a sample that are only in history.jsonl

  nlohmann::json to_json(const Event& e) const;
};

}  // namespace ipch
