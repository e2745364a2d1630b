// leaked: kernel objects a run created that the kernel still has after the run ended and every
// link was destroyed (RunOutcome::leftovers, from objects::still_present). Objects that outlive
// their creator (SysV, POSIX queues and shm: Contract::outlives_creator) stay until someone
// removes them, so a leak there costs the machine until reboot; the detail says how long.
// Pure function of the contract and the leftovers.
#pragma once

#include <string>
#include <vector>

#include "contract.hpp"
#include "violation.hpp"

namespace ipch {

std::vector<Violation> check_leaked(const Contract& c, const std::vector<std::string>& leftovers);

}  // namespace ipch
