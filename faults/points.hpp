// Fault points compiled into our own code with libfiu (FIU_ENABLE is defined for every target).
// Names are ipch/<mechanism>/<point>, or ipch/sys/<point> for the syscall wrappers.
//
//   ipch/<m>/send        a send fails with the errno in failinfo (errno fault)
//   ipch/<m>/receive     a receive fails with the errno in failinfo (errno fault)
//   ipch/<m>/drop        udp, unix-dgram: the datagram is dropped, the send reports success
//   ipch/<m>/lock        sysv-shm, posix-shm: sleep failinfo microseconds before taking the lock
//   ipch/<m>/lock-held   sysv-shm, posix-shm: right after taking the lock: sleep failinfo
//                        microseconds, or, with failinfo == kStopHere, stop this process
//                        (SIGSTOP) while it holds the lock, for the runner to kill it there
//                        (both are hit once per send or receive, not at relocks after a wait)
//   ipch/sys/write       one write()/send() in the wrappers moves at most failinfo bytes
//   ipch/sys/read        one read()/recv() in the wrappers moves at most failinfo bytes
//                        (both on byte streams only: pipes, FIFOs, stream sockets. On a datagram
//                        or seqpacket socket the point is hit and fires but moves the whole
//                        record, since the kernel never splits one)
//
// A process forked after arm() inherits the armed points and their hit counts so far.
#pragma once

#include <cstdint>
#include <string>

namespace ipch::faults {

constexpr std::uintptr_t kStopHere = ~std::uintptr_t{0};

std::string point(const std::string& mechanism, const std::string& what);  // "ipch/udp/drop"

// Arms `name` in this process: it fires at hits number `from` (1-based) to `from + count - 1`
// (count 0: from then on), with `failinfo`. Hits are counted here, so the n-th hit is the same
// on every replay. Arming `name` again replaces the earlier arming and counts hits and fires
// from 0. Returns false iff libfiu refused.
bool arm(const std::string& name, std::uint64_t from, std::uint64_t count, std::uintptr_t failinfo);
// How often `name` has fired in this process.
std::uint64_t fired(const std::string& name);

}  // namespace ipch::faults
