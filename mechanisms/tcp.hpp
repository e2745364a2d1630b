// tcp: TCP over loopback (127.0.0.1, a port the kernel picks); each sender connects, messages are framed
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& tcp_mechanism();
}
