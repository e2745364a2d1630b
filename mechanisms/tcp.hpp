// tcp: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& tcp_mechanism();
}
