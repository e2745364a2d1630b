// --shard i/n: campaign/shard.hpp, under the names the command line has always used.
#pragma once

#include "shard.hpp"

namespace ipch::cli {

using campaign::parse_shard;
using campaign::Shard;

}  // namespace ipch::cli
