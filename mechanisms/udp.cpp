#include "udp.hpp"

#include <sys/socket.h>

#include "socket_common.hpp"

namespace ipch {

namespace {

constexpr socket_common::Kind kKind{"udp", AF_INET, SOCK_DGRAM};

Contract contract() {
  Contract c;
  c.delivery = Delivery::lossy;  // a full receive buffer drops the datagram; the sender is not told
  c.ordering = Ordering::none;   // loopback rarely reorders, but nothing promises order
  c.boundaries = true;
  c.atomic_write_limit = 0;  // every datagram is whole
  c.direction = Direction::two_way;
  c.outlives_creator = false;
  c.persistence = "the socket and its port go with the last fd";
  c.many_senders = true;
  c.many_receivers = true;
  c.sharing_note = "each sender has its own socket; receivers share the one bound socket, each datagram goes to one";
  return c;
}

}  // namespace

const Mechanism& udp_mechanism() {
  static const Mechanism m{kKind.name, "UDP over loopback (127.0.0.1), one datagram per message", contract(),
                           socket_common::settings(kKind),
                           [](const Settings& s) { return socket_common::create(kKind, s); },
                           socket_common::traits(kKind)};
  return m;
}

}  // namespace ipch
