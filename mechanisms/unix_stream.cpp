#include "unix_stream.hpp"

#include <sys/socket.h>

#include "socket_common.hpp"

namespace ipch {

namespace {

constexpr socket_common::Kind kKind{"unix-stream", AF_UNIX, SOCK_STREAM};

Contract contract() {
  return socket_common::connected_contract(
      false, "the socket dies with its last fd; a bound path stays until unlinked");
}

}  // namespace

const Mechanism& unix_stream_mechanism() {
  static const Mechanism m{kKind.name, "unix stream socket (AF_UNIX, SOCK_STREAM) at a path, framed messages",
                           contract(), socket_common::settings(kKind),
                           [](const Settings& s) { return socket_common::create(kKind, s); },
                           socket_common::traits(kKind)};
  return m;
}

}  // namespace ipch
