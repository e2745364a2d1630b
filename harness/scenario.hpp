// A scenario: mechanism + settings + workload + fault plan, fully derived from one 64-bit seed
// and serialisable to JSON and back unchanged. The same scenario gives the same messages
// (sizes and bytes) on every run.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include <nlohmann/json.hpp>

#include "channel.hpp"

namespace ipch {

enum class WorkloadKind { stream, request_response, fan_in };
std::string_view to_string(WorkloadKind k);
std::optional<WorkloadKind> workload_kind(std::string_view s);
constexpr const char* kWorkloadNames = "stream, request-response, fan-in";

struct Workload {
  WorkloadKind kind = WorkloadKind::stream;
  std::uint32_t senders = 1;    // stream/fan-in: processes sending; request-response: 1 client
  std::uint32_t receivers = 1;  // stream: processes receiving; fan-in and request-response: 1
  std::uint64_t messages = 100;  // in all, split over the senders (request-response: requests)
  std::size_t max_size = 4096;   // a ceiling on message sizes, envelope included
  std::uint32_t depth = 1;       // request-response: requests written before the first response is read
};

struct Scenario {
  static constexpr int kVersion = 1;
  std::uint64_t seed = 0;
  std::string mechanism;
  Settings settings;
  Workload workload;
  nlohmann::json faults = nlohmann::json::array();  // the fault plan; empty until faults land
  std::uint32_t stall_ms = 2000;

  // Sub-seeds, derived from `seed`.
  std::uint64_t payload_seed() const;
  std::uint64_t size_seed() const;

  // The size of message `seq` of sender `sender`, in [kEnvelopeSize, cap]: mostly uniform,
  // with the smallest and the largest size drawn often, because limits break at the edges.
  std::size_t message_size(std::uint32_t sender, std::uint64_t seq, std::size_t cap) const;
  // How many of `workload.messages` sender `index` sends.
  std::uint64_t messages_of(std::uint32_t index) const;
};

nlohmann::json to_json(const Scenario& s);
// Returns the scenario iff `j` is a complete, valid scenario of this version; else one line
// naming the field that is missing or wrong and what it should be.
std::expected<Scenario, std::string> scenario_from_json(const nlohmann::json& j);

}  // namespace ipch
