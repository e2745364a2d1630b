#include "groups.hpp"

namespace ipch::claims {

std::vector<Claim> queue_claims() { return {}; }

}  // namespace ipch::claims
