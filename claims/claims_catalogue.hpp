// Every claim the report checks, in the order it lists them: pipes and FIFOs, message queues,
// sockets, shared memory, the guarantees the kernel gives every mechanism, and performance.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "claim.hpp"

namespace ipch::claims {

const std::vector<Claim>& catalogue();
// The claim with this id; nullptr iff there is none.
const Claim* find(std::string_view id);
// "pipe-fifo-order, fifo-unrelated, ...": for error messages.
std::string ids();

}  // namespace ipch::claims
