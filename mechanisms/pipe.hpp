// pipe: an anonymous pipe(2), shared by fork. A byte stream; framing gives whole messages.
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& pipe_mechanism();
}
