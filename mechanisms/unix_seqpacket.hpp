// unix-seqpacket: a unix seqpacket socket at a path in the run's private folder; one record per message
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& unix_seqpacket_mechanism();
}
