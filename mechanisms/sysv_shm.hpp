// sysv-shm: a shm_ring in a System V segment (shmget, 0600, keyed from a name ipch-<pid>-<n>),
// locked and waited on with a System V semaphore set (same kind of key).
//
// Contract (shm_ring.hpp): reliable, fifo, many senders and receivers, boundaries and atomicity
// only from our framing under the lock; the segment lives until shmctl(IPC_RMID) and the last
// detach. The lock and the open-end counts are SEM_UNDO semaphores, so the kernel releases the
// lock of a killed process and uncounts its end: a killed sender still gives end_of_stream and a
// killed receiver EPIPE, within one wait slice (100 ms).
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& sysv_shm_mechanism();
}
