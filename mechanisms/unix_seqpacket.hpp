// unix-seqpacket: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& unix_seqpacket_mechanism();
}
