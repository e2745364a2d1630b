// One case of `ipc-harness check`: the user's receiver and sender, run through the frame
// protocol (README, "Checking your own programs") with at most one fault, and the history that
// comes out judged by the same checkers as our own mechanisms (check_all), plus the protocol's
// own rules (kind `protocol`).
//
// How the history is made: every message the harness gives a sender is `send_invoked` as its
// frame starts going into the sender's stdin; it becomes `send_ok` when the sender acknowledges
// it (an empty frame on its stdout), or, for a sender that does not acknowledge, when it exits 0
// after reading stdin to EOF. Messages given to a killed sender and not acknowledged stay
// indeterminate: they may be lost, never duplicated. Every frame a receiver writes out is `received`, judged by its
// envelope (sender, seq, length, hash). Under `bytes`, a receiver's frames are joined into one
// stream and cut into messages by the envelopes' lengths.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "contract_spec.hpp"
#include "runner.hpp"

namespace ipch::external {

struct CaseSpec {
  std::vector<std::string> sender;    // command words
  std::vector<std::string> receiver;
  ProgramContract contract;
  std::uint64_t seed = 0;             // this case's seed: sizes, bytes, the fault's point
  std::uint64_t messages = 100;
  std::size_t max_size = 4096;        // the largest message, envelope included
  std::string fault = "none";         // one of faults::program_faults()
  std::uint64_t at = 0;               // the fault's message, 1-based (0: drawn from the seed)
  std::uint32_t stall_ms = 5000;      // no progress this long: a hang, judged and ended
};

nlohmann::json to_json(const CaseSpec& c);
// Returns the spec iff `j` names every field with a valid value; else one line naming the field.
std::expected<CaseSpec, std::string> case_from_json(const nlohmann::json& j);
// The fault's message: `at` if set, else drawn from the seed in [1, messages].
std::uint64_t fault_point(const CaseSpec& c);

struct CaseResult {
  RunOutcome outcome;                 // history, contract, notes, leftovers, deadlock, diagnosis
  Report report;                      // every checker, protocol violations included
  std::vector<std::string> stderr_files;  // each program's stderr, kept in the case folder
  // Which level of the protocol the programs spoke: the sender "acknowledged" (each message it
  // handed to the channel), "plain" (wrote something else to stdout) or "silent"; the receiver
  // ended "by itself", "on SIGTERM", "by a kill" (the fault, under no-restart) or "by the harness"
  // (after a hang or a protocol breach).
  std::string sender_level, receiver_end;
  double seconds = 0;
};

// A controlled schedule for a case: the strategy that decides, or the decisions to follow.
struct CaseSchedule {
  std::shared_ptr<schedule::Strategy> strategy;
  std::optional<std::vector<schedule::Step>> follow;
  bool controlled() const { return strategy || follow; }
};

// Runs one case; `dir` (created if missing) receives the programs' stderr files. Throws BadInput
// iff a program cannot be started at all (not found, not executable): exit code 2, not a verdict.
// Everything a program does wrong is a violation in the result. Leaves no process and no kernel
// object of the case behind, on every path, SIGINT and SIGTERM included (outcome.interrupted_by).
// Under `sched`, the programs' IPC calls are the supervisor's (supervisor.hpp): statically
// linked programs and any language alike, since seccomp works below libc.
CaseResult run_case(const CaseSpec& c, const std::string& dir, const CaseSchedule& sched = {});

}  // namespace ipch::external
