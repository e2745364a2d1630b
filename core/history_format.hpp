// history.jsonl, the interface between whoever makes a history and whoever judges it
// (docs/history.md): one JSON object per line.
//   line 1        the header: {"history": "ipc-harness", "version": 1, "workers", "faults", "contract", "run"}
//   then          events ({"t_ns", "worker", "event", ...}, one per Event) and, when a worker is
//                 started after the header was written (a restart), {"added_worker": {...}} before its first event
//   last line     the end: {"end": {"deadlock", "stalled_ms", "diagnosis", "leftovers", "error", ...}};
//                 missing iff the writer died before the run ended
// Every field the checkers read survives a write and a read unchanged (tests/core).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "contract.hpp"
#include "history.hpp"

namespace ipch {

inline constexpr int kHistoryVersion = 1;

// What line 1 carries: everything the checkers need that is not an event.
struct HistoryHead {
  std::vector<WorkerInfo> workers;  // those started before the first event was written
  std::vector<std::string> faults;  // the plan's fault names, by index
  Contract contract;                // what the run was judged against (killed_receiver_window included)
  nlohmann::json run = nlohmann::json::object();  // facts for a reader: mechanism, workload, seed...
};

// What the last line carries: how the run ended, as far as the checkers need it.
struct HistoryEnd {
  bool deadlock = false;
  std::uint64_t stalled_ms = 0;
  nlohmann::json diagnosis = nlohmann::json::array();  // Blocked objects (harness/diagnosis.hpp to_json)
  std::vector<std::string> leftovers;                  // kernel objects left after the run
  std::vector<std::string> objects;                    // the run's kernel objects
  std::string error;                                   // non-empty iff the harness failed
  int interrupted_by = 0;                              // SIGINT or SIGTERM
  std::vector<std::string> notes;                      // the runner's notes (caps applied...)
  std::uint64_t max_message_size = 0;
  std::string verdict;                                 // what the run said; judge recomputes it
  // Violations found outside the events (a `check` program's protocol, what programs left
  // behind), as Violation JSON: judge adds them back as they are.
  nlohmann::json violations_outside = nlohmann::json::array();
};

nlohmann::json head_json(const HistoryHead& h);
nlohmann::json worker_json(const WorkerInfo& w);
nlohmann::json end_json(const HistoryEnd& e);

// Appends one event line (with its '\n') to `out`: the worker's role and pid, and the fault's
// name, come from `workers` and `faults`.
void append_event_line(std::string& out, const Event& e, const std::vector<WorkerInfo>& workers,
                       const std::vector<std::string>& faults);
// The same line as a JSON object.
nlohmann::json event_json(const Event& e, const std::vector<WorkerInfo>& workers, const std::vector<std::string>& faults);

// Each returns the value, or why the object is not one ("'seq' is not an unsigned number").
std::expected<HistoryHead, std::string> head_from_json(const nlohmann::json& j);
std::expected<WorkerInfo, std::string> worker_from_json(const nlohmann::json& j);
std::expected<HistoryEnd, std::string> end_from_json(const nlohmann::json& j);
std::expected<Event, std::string> event_from_json(const nlohmann::json& j, const std::vector<std::string>& faults);
std::expected<Contract, std::string> contract_from_json(const nlohmann::json& j);
nlohmann::json contract_json(const Contract& c);

}  // namespace ipch
