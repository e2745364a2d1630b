// unix-stream: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& unix_stream_mechanism();
}
