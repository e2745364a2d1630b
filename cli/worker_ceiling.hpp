// How many worker processes one run may fork on this machine.
//
// Above it a run fails half-way, as EMFILE or EAGAIN from fork (exit 3), or worse, as a receiver
// that cannot accept another connection and a false "lost" verdict. So the command line refuses
// such a count up front (exit 2), naming the limit that binds and how to raise it.
#pragma once

#include <cstdint>
#include <string>

namespace ipch::cli {

// A fixed ceiling beside the machine's. A socket mechanism listens with a backlog of 128
// (mechanisms/socket_common.cpp): 255 tcp or unix-stream senders of one fan-in ended as a false
// deadlock after minutes of diagnosis, 127 pass in a fraction of a second.
inline constexpr std::uint64_t kMaxWorkers = 128;
// Descriptors one worker costs at most: the runner's control pipe and pidfd for it, and the
// connection a socket receiver accepts from it; measured with `ulimit -n 256`, with room to spare.
inline constexpr std::uint64_t kFdsPerWorker = 4;
// Descriptors and processes a run needs whatever its size: stdio, the kernel objects, the start
// gate, /proc reads of the diagnosis, a bystander and restarted workers.
inline constexpr std::uint64_t kFdReserve = 32;
inline constexpr std::uint64_t kProcessReserve = 16;

struct WorkerCeiling {
  std::uint64_t workers = 0;  // senders + receivers of one run, at least 2 unless the machine is exhausted
  std::string why;            // what sets it, as the end of a refusal: "RLIMIT_NOFILE 1024 allows ..."
};

// Returns the most workers (senders plus receivers) one run may fork: the least of kMaxWorkers,
// what RLIMIT_NOFILE leaves at kFdsPerWorker each after kFdReserve, and, unless root (whom the
// kernel does not hold to it), what RLIMIT_NPROC leaves beside the threads this user runs now.
// `why` names the limit that binds.
WorkerCeiling worker_ceiling();

}  // namespace ipch::cli
