// udp: UDP over loopback (127.0.0.1, a port the kernel picks); one datagram per message
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& udp_mechanism();
}
