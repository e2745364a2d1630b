// posix-shm: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& posix_shm_mechanism();
}
