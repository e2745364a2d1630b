// sysv-msg: (not built yet)
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& sysv_msg_mechanism();
}
