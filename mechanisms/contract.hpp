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
// When a receiver learns that no more messages can come (end of stream) rather than waiting on.
// none: never (queues, datagram sockets: an object with no senders is just empty).
// after_close: once every sender has closed its end; a killed sender still counts as open.
// after_close_or_death: once every sender has closed its end or died (the kernel closes it).
enum class EndOfStream { none, after_close, after_close_or_death };

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
  // Promised to a receiver that is the only one on its channel. (Several receivers of one
  // listening socket split the connections; one that accepted none waits for the next.)
  EndOfStream end_of_stream = EndOfStream::none;
  bool many_senders = true;
  bool many_receivers = true;
  std::string sharing_note;  // why an end may not be shared, when it may not
  // How many messages a killed receiver may take down with it (taken from the kernel object,
  // not yet reported). 0: any number, as with our own workers, whose losses on a kill are the
  // fault's doing. N > 0: a user's declared window (`check --contract window=N`): more than N
  // per kill is lost.
  std::uint32_t killed_receiver_window = 0;
};

std::string_view to_string(Delivery);
std::string_view to_string(Ordering);
std::string_view to_string(Direction);
std::string_view to_string(EndOfStream);
void to_json(nlohmann::json& j, const Contract& c);

}  // namespace ipch
