// fifo: a named pipe (mkfifo) in the run's private folder; unrelated processes open it by path.
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& fifo_mechanism();
}
