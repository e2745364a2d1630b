// What a mechanism promises. The checkers judge a history against this, so every field is a
// claim the tests make the kernel prove.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace ipch {

enum class Delivery { reliable, lossy };
// fifo: one global order per channel. per_priority: fifo within a priority, higher first.
// per_type: fifo within a message type. none: no order promised.
enum class Ordering { fifo, per_priority, per_type, none };
enum class Direction { one_way, two_way };

struct Contract {
  Delivery delivery = Delivery::reliable;
  Ordering ordering = Ordering::fifo;
  // Whether the raw kernel object keeps message boundaries. Channels always move whole messages
  // (stream mechanisms frame them); this records what a user of the raw object gets.
  bool boundaries = true;
  // Largest write that can never interleave with another writer's, in bytes (PIPE_BUF for pipes;
  // the whole message for message-based objects: 0 means "every message").
  std::size_t atomic_write_limit = 0;
  Direction direction = Direction::one_way;
  // Whether the kernel object outlives the process that created it, and until when.
  bool outlives_creator = false;
  std::string persistence;  // e.g. "until msgctl(IPC_RMID) or reboot"
  // How many processes may share each end of one channel.
  bool many_senders = true;
  bool many_receivers = true;
  std::string sharing_note;  // why an end may not be shared, when it may not
};

std::string_view to_string(Delivery);
std::string_view to_string(Ordering);
std::string_view to_string(Direction);
void to_json(nlohmann::json& j, const Contract& c);

}  // namespace ipch
