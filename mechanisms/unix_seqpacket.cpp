#include "unix_seqpacket.hpp"

#include <sys/socket.h>

#include "socket_common.hpp"

namespace ipch {

namespace {

constexpr socket_common::Kind kKind{"unix-seqpacket", AF_UNIX, SOCK_SEQPACKET};

Contract contract() {
  Contract c;
  c.delivery = Delivery::reliable;
  c.ordering = Ordering::fifo;
  c.boundaries = true;
  c.atomic_write_limit = 0;  // every record is whole
  c.direction = Direction::two_way;
  c.outlives_creator = false;
  c.persistence = "the socket dies with its last fd; a bound path stays until unlinked";
  c.many_senders = true;
  c.many_receivers = true;
  c.sharing_note =
      "each sender has its own connection. Each receiver accepts its own connections: all of one sender's messages "
      "go to whichever receiver accepted it";
  return c;
}

}  // namespace

const Mechanism& unix_seqpacket_mechanism() {
  static const Mechanism m{
      kKind.name, "unix seqpacket socket (AF_UNIX, SOCK_SEQPACKET) at a path, one record per message", contract(),
      socket_common::settings(kKind), [](const Settings& s) { return socket_common::create(kKind, s); }};
  return m;
}

}  // namespace ipch
