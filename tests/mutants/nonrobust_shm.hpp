// Mutant: posix-shm's ring behind a process-shared mutex that is NOT robust. A process killed
// while holding it leaves it locked for ever: the next locker sleeps in futex() and the run is
// a deadlock. The kill-lock-holder fault must catch exactly this.
#pragma once

#include "channel.hpp"

namespace ipch::mutants {

// Registered under the name "posix-shm-nonrobust" by register_nonrobust_shm().
const Mechanism& nonrobust_shm();
void register_nonrobust_shm();

}  // namespace ipch::mutants
