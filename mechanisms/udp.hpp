// udp: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& udp_mechanism();
}
