#include "tcp.hpp"

#include <sys/socket.h>

#include "socket_common.hpp"

namespace ipch {

namespace {

constexpr socket_common::Kind kKind{"tcp", AF_INET, SOCK_STREAM};

Contract contract() {
  return socket_common::connected_contract(
      false, "the socket and its port go with the last fd (closed connections may linger in TIME_WAIT)");
}

}  // namespace

const Mechanism& tcp_mechanism() {
  static const Mechanism m{kKind.name, "TCP over loopback (127.0.0.1), framed messages", contract(),
                           socket_common::settings(kKind),
                           [](const Settings& s) { return socket_common::create(kKind, s); },
                           socket_common::traits(kKind)};
  return m;
}

}  // namespace ipch
