// What a mechanism is capable of, as the layers above ask it: the generators (capacity edges), the
// fault catalogue (which faults apply, their defaults), the bench (its settings), the adapter.
// Those layers read these fields and never a mechanism's name, so a mechanism registered anywhere
// (a test, a user's adapter) gets exactly what its traits allow. What the kernel promises is the
// Contract; this is what the harness can do with the mechanism.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ipch {

// What a number in Settings::capacity counts. `unset` exists so that a mechanism that forgot its
// traits is refused by the registry instead of being treated as a byte buffer.
enum class CapacityUnit { unset, bytes, messages, declared };

// The libfiu points compiled into the mechanism's own code (faults/points.hpp names them).
struct FaultPoints {
  bool calls = false;     // ipch/<m>/send and /receive: the errno fault
  bool drop = false;      // ipch/<m>/drop: a datagram dropped on the send path
  bool lock = false;      // ipch/<m>/lock and /lock-held: a lock shared by the processes
  bool short_io = false;  // its bytes pass ipch/sys/write and /read as a stream a short call can split
};

struct Traits {
  CapacityUnit capacity_unit = CapacityUnit::unset;
  // Capacities worth generating, smallest valid first, in capacity_unit.
  std::vector<std::size_t> capacities = {};
  // The channel is a ring in memory the processes share (no kernel buffer between them).
  bool shared_memory = false;
  // A new receiver started on the same object after a kill can take the channel over: the object
  // outlives its processes and a new reader starts at a message, never inside one.
  bool receiver_takes_over = false;
  FaultPoints points = {};
  // Another process forked with the link can hold every end open (an fd leaked across fork).
  bool inherited_ends = false;
  // The capacity (in capacity_unit) of the smallest buffer that still holds one message of
  // `max_size` bytes: what the full-buffer fault sizes the buffer to.
  std::function<std::size_t(std::size_t max_size)> full_buffer_capacity = {};
  // The largest message a run can send while the buffer is that small, where the kernel caps it
  // below the run's ceiling (a SysV queue: msgmax); nullopt: no cap of its own.
  std::optional<std::size_t> full_buffer_message_limit = {};
  // The capacity the bench sets so that its largest message fits with room for the next in flight;
  // nullopt: the default. A function: it may ask the kernel (wmem_max) at the time of the bench.
  std::function<std::optional<std::size_t>()> bench_capacity = {};
};

std::string_view to_string(CapacityUnit u);
// Empty iff every field a layer above relies on is set; else one line naming what is missing.
std::string incomplete(const Traits& t);
void to_json(nlohmann::json& j, const Traits& t);
// One line for `list mechanisms`: "capacity in bytes (4096, 8192, 16384); ...".
std::string describe(const Traits& t);

}  // namespace ipch
