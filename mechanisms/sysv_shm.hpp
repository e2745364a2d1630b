// sysv-shm: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& sysv_shm_mechanism();
}
