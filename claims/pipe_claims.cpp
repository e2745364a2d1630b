#include "groups.hpp"

namespace ipch::claims {

std::vector<Claim> pipe_claims() { return {}; }

}  // namespace ipch::claims
