#include "unix_dgram.hpp"

#include <sys/socket.h>

#include "socket_common.hpp"

namespace ipch {

namespace {

constexpr socket_common::Kind kKind{"unix-dgram", AF_UNIX, SOCK_DGRAM};

Contract contract() {
  Contract c;
  c.delivery = Delivery::reliable;  // flow-controlled: a full receiver makes the sender wait, never drops
  c.ordering = Ordering::fifo;
  c.boundaries = true;
  c.atomic_write_limit = 0;  // every datagram is whole
  c.direction = Direction::two_way;
  c.outlives_creator = false;
  c.persistence = "the socket dies with its last fd; a bound path stays until unlinked";
  c.many_senders = true;
  c.many_receivers = true;
  c.sharing_note = "each sender has its own socket; receivers share the one bound socket, each datagram goes to one";
  return c;
}

}  // namespace

const Mechanism& unix_dgram_mechanism() {
  static const Mechanism m{kKind.name, "unix datagram socket (AF_UNIX, SOCK_DGRAM) at a path, one datagram per message",
                           contract(), socket_common::settings(kKind),
                           [](const Settings& s) { return socket_common::create(kKind, s); },
                           socket_common::traits(kKind)};
  return m;
}

}  // namespace ipch
