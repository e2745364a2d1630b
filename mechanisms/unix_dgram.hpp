// unix-dgram: a unix datagram socket at a path in the run's private folder; one datagram per message
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& unix_dgram_mechanism();
}
