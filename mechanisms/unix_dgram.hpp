// unix-dgram: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& unix_dgram_mechanism();
}
