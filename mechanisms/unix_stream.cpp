#include "unix_stream.hpp"

#include <sys/socket.h>

#include "socket_common.hpp"

namespace ipch {

namespace {

constexpr socket_common::Kind kKind{"unix-stream", AF_UNIX, SOCK_STREAM};

Contract contract() {
  Contract c;
  c.delivery = Delivery::reliable;
  c.ordering = Ordering::fifo;
  c.boundaries = false;
  c.atomic_write_limit = 0;
  c.direction = Direction::two_way;
  c.outlives_creator = false;
  c.persistence = "the socket dies with its last fd; a bound path stays until unlinked";
  c.many_senders = true;
  c.many_receivers = true;
  c.sharing_note =
      "each sender has its own connection; a shared connection would interleave writes. Each receiver accepts its "
      "own connections: all of one sender's messages go to whichever receiver accepted it";
  return c;
}

}  // namespace

const Mechanism& unix_stream_mechanism() {
  static const Mechanism m{kKind.name, "unix stream socket (AF_UNIX, SOCK_STREAM) at a path, framed messages",
                           contract(), socket_common::settings(kKind),
                           [](const Settings& s) { return socket_common::create(kKind, s); }};
  return m;
}

}  // namespace ipch
