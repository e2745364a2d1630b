// posix-mq: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& posix_mq_mechanism();
}
