// The C++ adapter: your own IPC mechanism, run by ipc-harness in real processes, judged by its
// checkers, from your own test suite.
//
//   find_package(ipc_harness REQUIRED)
//   target_link_libraries(my_tests PRIVATE ipc_harness::adapter GTest::gtest)
//
// You implement a Link and a Channel (channel.hpp: send and receive one whole message, open an
// end in a forked process, remove the kernel objects) and say what your mechanism promises in a
// Contract (contract.hpp). The harness then forks real sender and receiver processes (fork
// without exec: your code runs in them as it is linked into your test binary), runs generated
// workloads through your channel, injects faults, and checks the history of every message
// against your contract: lost, duplicated, unexpected, reordered, corrupted, boundary, torn,
// liveness (a deadlock).
//
// With GoogleTest, one line per mechanism (ipch/gtest.hpp; it ends with a semicolon, as
// INSTANTIATE_TEST_SUITE_P does) makes ordinary TESTs of it:
//   IPCH_MECHANISM_SUITE(MyPipe, my_pipe_mechanism());
// Without it, call check_properties / check_fault and read the CheckResult.
//
// The process that runs checks ignores SIGPIPE (set by the first check): a write to a gone reader
// must come back as EPIPE, which your Channel returns as data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "channel.hpp"

namespace ipch::adapter {

// Makes `m` runnable by name in this process and the workers it forks. Returns m.name.
// Throws std::invalid_argument, naming the field and the fix, iff the name is empty, is not made
// of [a-z0-9._-], is a built-in mechanism's, or m.create is empty, or m.settings names a setting
// other than capacity, message_size, blocking. Registering a name again keeps the first
// registration (so two suites may name the same mechanism).
//
// Settings: a setting you list in m.settings is drawn by the generator (capacity 4096 or 16384
// in your unit, blocking=false) and must be honoured; one you do not list is never asked for.
// The full-buffer fault runs only if you list capacity.
//
// m.traits is replaced: the harness sees nothing inside your code, so it gives your mechanism the
// traits of any code behind a Channel (send/receive fault points, which the adapter asks for you;
// a new receiver takes over after a kill iff your contract says the object outlives its creator
// and keeps boundaries). The faults follow from those traits, as for a built-in mechanism.
std::string register_mechanism(Mechanism m);

// Bounds of one check. Every field has an environment override, so a CI job can widen a run
// without recompiling: IPCH_CASES, IPCH_SEED.
struct Options {
  std::uint64_t cases = 20;          // generated cases (for check_fault: per fault)
  std::uint64_t max_messages = 100;  // in all, per case; drawn from 1..max_messages
  std::size_t max_size = 16 * 1024;  // ceiling of a message, the 32 B envelope included
  // Every choice derives from this: unset means IPCH_SEED, else a random one. Always reported.
  std::optional<std::uint64_t> seed;
  std::uint32_t stall_ms = 2000;  // no worker progress for this long is a deadlock
  // full-buffer: the capacity setting that makes your buffer smallest, in your unit.
  std::size_t full_buffer_capacity = 4096;
  int shrink_runs = 20;  // reruns spent shrinking a failure to a smaller case
  // Who runs next at each IPC call of the workers: "os" (the kernel), "random", "pct[:depth=D]"
  // or "dfs[:preemptions=P]" (docs/schedule.md). Each case's schedule derives from its seed.
  std::string schedule = "os";
};

struct Violation {
  std::string kind;  // lost, duplicated, unexpected, reordered, corrupted, boundary, torn, liveness, leaked
  std::string detail;
};

// The verdict of one check. (CheckResult, not Result: ipch::Result<T> is a call's value or errno.)
struct CheckResult {
  bool passed = false;
  std::string mechanism;
  std::string fault = "none";  // the fault every case carried; "none" for check_properties
  std::uint64_t seed = 0;
  std::uint64_t cases = 0;   // cases run, the failing one included
  std::string verdict;       // pass, violations, deadlock, error (the harness or your create() failed)
  std::vector<Violation> violations;  // of the failing case, after shrinking
  std::vector<std::string> diagnosis; // a deadlock: who is blocked in which call, on what
  std::string error;                  // verdict error: why
  std::string scenario;      // the failing case in one line: workload, sizes, settings, fault
  std::string reproducer;    // the failing case as a file (kept), or empty
  std::string replay;        // IPCH_REPLAY=<reproducer> <this binary>: reruns exactly that case
  std::string rerun;         // IPCH_SEED=<seed> <this binary>: reruns every case of this check

  // Several lines: the verdict, the violations, the case, the seed, the replay command. For a
  // test failure message.
  std::string message() const;
};

// The contract's invariants over `options.cases` generated cases without faults: workload
// shapes (stream, fan-in, request-response, as the contract allows), processes per role, message
// counts and sizes at the edges (32 B, PIPE_BUF, the atomic limit + 1, max_size), and the settings
// your mechanism lists. Stops at the first failing case and shrinks it. Throws nothing: an unknown
// name is a CheckResult with verdict error.
//
// With IPCH_REPLAY=<reproducer> in the environment, a check whose mechanism and fault match the
// file runs that one case instead (what CheckResult::replay does).
CheckResult check_properties(const std::string& mechanism, const Options& options = {});

// The faults that apply to `mechanism` (registered): kill-receiver, kill-sender, stop, eintr,
// errno, and full-buffer if it honours capacity. The faults that need fault points inside our
// own code (short-io, drop-datagram, the lock faults) or two ends of a pipe (leaked-fd) do not
// apply to a mechanism of yours. Empty iff the mechanism is unknown.
std::vector<std::string> faults_for(const std::string& mechanism);
// The faults every mechanism of yours gets, whatever it honours and promises (faults_for minus
// those that need a setting): what a suite whose mechanism failed to register lists.
std::vector<std::string> faults_for_any_mechanism();

// `options.cases` generated cases, each with `fault` injected (parameters drawn from the seed).
// What a correct mechanism does under each fault is `ipc-harness list faults`; in short, nothing
// that the sender completed is lost, duplicated or reordered, and nobody hangs. kill-receiver
// restarts a receiver on the same object iff the contract says it outlives its creator and keeps
// boundaries. errno makes the n-th send of the first sender fail with ENOSPC before your send()
// is called: your code must go on sending afterwards.
CheckResult check_fault(const std::string& mechanism, const std::string& fault, const Options& options = {});

// check_fault for every fault of faults_for(mechanism); passed iff every one passed. The CheckResult
// is the first failure's, else the last pass's with `cases` summed and fault "all".
CheckResult check_fault_matrix(const std::string& mechanism, const Options& options = {});

}  // namespace ipch::adapter
