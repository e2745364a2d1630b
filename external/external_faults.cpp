#include "external_faults.hpp"

#include <unistd.h>

#include <cerrno>

#include <vector>

namespace ipch::external {

namespace {
constexpr ExternalFault kFaults[] = {
    {"none", Side::none, "no fault", "every message arrives once, intact, in the declared order"},
    {"kill-sender", Side::sender,
     "SIGKILL to the sender's process group once the at-th message has been given to it; a new sender continues "
     "with the messages not yet given (under no-restart: nothing is restarted)",
     "nothing duplicated; messages the killed sender acknowledged arrive; the rest it was given may be lost "
     "(indeterminate); under no-restart the receiver ends by itself or when told, never hangs"},
    {"kill-receiver", Side::receiver,
     "SIGKILL to the receiver's process group once it has written out the at-th message; a new receiver takes over "
     "the channel and writes a new ready frame (under no-restart: nothing is restarted)",
     "at most window=N messages per kill lost, nothing duplicated; under no-restart the sender ends (an error is "
     "fine), never hangs"},
    {"stop-sender", Side::sender,
     "SIGSTOP to the sender once the at-th message has been given to it, SIGCONT once it has exited or its stdin "
     "is full",
     "nothing lost, duplicated or reordered"},
    {"stop-receiver", Side::receiver,
     "SIGSTOP to the receiver once it has written out the at-th message, SIGCONT once the sender has exited or "
     "stopped taking messages (the channel is full)",
     "nothing lost, duplicated or reordered: the sender waits or buffers"},
    {"hold-receiver", Side::receiver,
     "the harness stops reading the receiver's stdout after the at-th message, and reads again once the sender "
     "has exited or stopped taking messages",
     "nothing lost, duplicated or reordered: back-pressure reaches the sender"},
    {"fiu-eintr", Side::both,
     "libfiu's POSIX preload: read, write, send, recv, sendmsg and recvmsg fail with EINTR, seeded, with "
     "probability 0.05 per call, in both programs",
     "a correct program retries: nothing lost, duplicated or reordered"},
    {"fiu-short-io", Side::both,
     "libfiu's POSIX preload: read, write, readv and writev move fewer bytes than asked, seeded, with probability "
     "0.2 per call, in both programs",
     "a correct program finishes short reads and writes: nothing lost, torn or corrupted"},
};
}  // namespace

std::span<const ExternalFault> external_faults() { return kFaults; }

const ExternalFault* find_external_fault(std::string_view name) {
  for (const auto& f : kFaults)
    if (f.name == name) return &f;
  return nullptr;
}

std::string external_fault_names() {
  std::string s;
  for (const auto& f : kFaults) s += (s.empty() ? "" : ", ") + std::string(f.name);
  return s;
}

std::string fiu_preload_path() {
  for (const char* p : {"/usr/lib/fiu/fiu_posix_preload.so", "/usr/local/lib/fiu/fiu_posix_preload.so"})
    if (::access(p, R_OK) == 0) return p;
  return "";
}

std::vector<std::string> fiu_environment(std::string_view fault, std::uint64_t seed) {
  std::string commands;
  if (fault == "fiu-eintr") {
    for (const char* point : {"posix/io/rw/read", "posix/io/rw/write", "posix/io/net/send", "posix/io/net/recv",
                              "posix/io/net/sendmsg", "posix/io/net/recvmsg"})
      commands += std::string("enable_random name=") + point + ",probability=0.05,failinfo=" + std::to_string(EINTR) + "\n";
  } else if (fault == "fiu-short-io") {
    for (const char* point : {"posix/io/rw/read/reduce", "posix/io/rw/write/reduce", "posix/io/rw/readv/reduce",
                              "posix/io/rw/writev/reduce"})
      commands += std::string("enable_random name=") + point + ",probability=0.2\n";
  } else {
    return {};
  }
  std::string dir = fiu_preload_path();
  dir = dir.substr(0, dir.rfind('/'));
  return {"LD_PRELOAD=" + dir + "/fiu_run_preload.so " + dir + "/fiu_posix_preload.so", "FIU_ENABLE=" + commands,
          "FIU_PRNG_SEED=" + std::to_string(seed % 2147483647)};
}

}  // namespace ipch::external
