#include "groups.hpp"

namespace ipch::claims {

std::vector<Claim> socket_claims() { return {}; }

}  // namespace ipch::claims
