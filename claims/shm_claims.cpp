#include "groups.hpp"

namespace ipch::claims {

std::vector<Claim> shm_claims() { return {}; }

}  // namespace ipch::claims
