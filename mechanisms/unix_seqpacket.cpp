#include "unix_seqpacket.hpp"

#include <sys/socket.h>

#include "socket_common.hpp"

namespace ipch {

namespace {

constexpr socket_common::Kind kKind{"unix-seqpacket", AF_UNIX, SOCK_SEQPACKET};

Contract contract() {
  return socket_common::connected_contract(
      true, "the socket dies with its last fd; a bound path stays until unlinked");
}

}  // namespace

const Mechanism& unix_seqpacket_mechanism() {
  static const Mechanism m{
      kKind.name, "unix seqpacket socket (AF_UNIX, SOCK_SEQPACKET) at a path, one record per message", contract(),
      socket_common::settings(kKind), [](const Settings& s) { return socket_common::create(kKind, s); },
                           socket_common::traits(kKind)};
  return m;
}

}  // namespace ipch
