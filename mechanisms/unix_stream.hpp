// unix-stream: a unix stream socket at a path in the run's private folder; each sender connects; framed messages
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& unix_stream_mechanism();
}
