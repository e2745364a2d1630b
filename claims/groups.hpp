// The catalogue's parts, one file each: what a reader of the source text would ask of each
// family of mechanisms. catalogue.cpp puts them in order.
#pragma once

#include <vector>

#include "claim.hpp"

namespace ipch::claims {

std::vector<Claim> pipe_claims();         // pipe_claims.cpp: pipes and FIFOs
std::vector<Claim> queue_claims();        // queue_claims.cpp: System V and POSIX message queues
std::vector<Claim> socket_claims();       // socket_claims.cpp: Unix domain, TCP and UDP sockets
std::vector<Claim> shm_claims();          // shm_claims.cpp: shared memory and its locks
std::vector<Claim> harness_claims();      // harness_claims.cpp: claims checked by harness runs
std::vector<Claim> performance_claims();  // performance_claims.cpp: from `ipc-harness bench`

}  // namespace ipch::claims
