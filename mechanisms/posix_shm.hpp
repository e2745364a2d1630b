// posix-shm: a shm_ring in a POSIX shared memory object (shm_open of /dev/shm/ipch-<pid>-<n>,
// 0600, mmap MAP_SHARED), locked with a robust process-shared mutex and waited on with two futex
// words, all in the segment (not pthread condition variables: see posix_shm.cpp).
//
// Contract (shm_ring.hpp): reliable, fifo, many senders and receivers, boundaries and atomicity
// only from our framing under the lock; the object lives until shm_unlink or reboot. The robust
// mutex detects a process that died holding the lock (EOWNERDEAD: the next locker takes over, and
// the ring is intact because head and tail move last). Open ends are counted in the segment at
// open and close only: a killed peer stays counted, so it never causes EPIPE or end_of_stream.
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& posix_shm_mechanism();
}
