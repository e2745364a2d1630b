#include "groups.hpp"

namespace ipch::claims {

std::vector<Claim> performance_claims() { return {}; }

}  // namespace ipch::claims
