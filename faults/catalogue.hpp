// The fault catalogue: every fault the harness injects, into our mechanisms' workers or into
// users' programs (`check`), one object each. A fault says what it applies to (a predicate over a
// mechanism's Traits and Contract, or: programs), draws its parameters from the run's seed, arms
// its points inside a worker, and tells the runner how to drive it. Nothing outside faults/ tests
// a fault's name: the runner, the workers, the generators and the checkers read these fields.
// The expected behaviour is part of the contract: a run with a fault is judged against it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "channel.hpp"
#include "plan.hpp"

namespace ipch::faults {

struct Param {
  std::string name;
  std::string meaning;  // with its default
};

// What a fault is injected into: our workers running a mechanism, or a user's two programs.
enum class Subject { mechanism, program };

// How the runner drives a mechanism fault (harness/fault_driver.cpp).
enum class Drive {
  none,                 // it acts through the points the workers arm, or through the run's settings
  kill_at_message,      // SIGKILL the target after its at-th message; restart=true starts a new one
  stop_at_message,      // SIGSTOP the target after its at-th message; SIGCONT after `for` of the others'
  hold_receivers,       // SIGSTOP every receiver from the start, SIGCONT once the others cannot move
  kill_stopped_sender,  // SIGKILL sender-0 once it stopped itself at an armed point
  signal_every,         // SIGUSR1 to each worker at every `every`-th of its events
  bystander,            // one more process holding every end open
};

// Program faults: which program and what the harness does to it at the at-th message.
enum class Side { none, sender, receiver, both };
enum class Act { none, kill, stop, hold, preload };

// What a mechanism fault draws its defaults from. `between` is the fault's own seeded stream
// (one per fault of a plan), so a replay draws the same values.
struct DrawContext {
  const Mechanism& mechanism;
  std::uint64_t per_sender = 1;    // messages of sender-0
  std::uint64_t per_receiver = 1;  // messages of one receiver
  std::size_t max_size = 0;
  std::function<std::uint64_t(std::uint64_t lo, std::uint64_t hi)> between;
};

// One worker arming its points: `arm` is faults::arm plus the worker's record of what it armed.
struct ArmContext {
  std::string mechanism;
  bool first_sender = false;    // sender-0 or the client
  bool first_receiver = false;  // receiver-0 or the server
  std::function<void(const std::string& point, std::uint64_t from, std::uint64_t count, std::uintptr_t info)> arm;
};

struct Entry {
  std::string name = {};
  Subject subject = Subject::mechanism;
  std::string how = {};         // how it is injected
  std::string applies_to = {};  // `applies` in words, for `list faults`
  std::vector<Param> params = {};
  std::string expected = {};    // what a correct mechanism (or pair of programs) does under it

  // Mechanism faults.
  std::function<bool(const Mechanism&)> applies = {};
  // Fills every parameter left out; returns one line iff a given value is not valid.
  std::function<std::string(Fault&, const DrawContext&)> draw = {};
  // Arms, in one worker, the points the fault needs there (none: nothing to arm).
  std::function<void(const Fault&, const ArmContext&)> arm = {};
  Drive drive = Drive::none;
  std::string target = "receiver";  // the role it acts on, unless the fault's `target` says
  bool kills_sender = false;        // a sender it kills stays counted as an open end
  bool sets_capacity = false;       // the run's capacity setting is the fault's `capacity`
  std::string needs_setting = {};   // a user's mechanism gets it only if it honours this setting
  bool splits_writes = false;       // writes are cut short: not atomic even under PIPE_BUF
  // True iff the contract of `m` makes the fault's outcome a violation (never generated).
  std::function<bool(const Mechanism&)> fails_by_contract = {};

  // Program faults.
  Side side = Side::none;
  Act act = Act::none;
  // The environment entries a program runs with (a libfiu preload); empty for the others.
  std::function<std::vector<std::string>(std::uint64_t seed)> environment = {};
};

// Mechanism faults, in the order `list faults` prints them and generators index them.
std::span<const Entry> mechanism_faults();
// Program faults: "none" first, then every fault, in the order `check` cycles through them.
std::span<const Entry> program_faults();

const Entry* find(std::string_view name);          // a mechanism fault, or nullptr
const Entry* find_program(std::string_view name);  // a program fault ("none" too), or nullptr
std::string names();          // "kill-receiver, kill-sender, ..."
std::string program_names();  // "none, kill-sender, ..."

// Empty iff `fault` applies to `mechanism`; else one line saying why not and where it does.
std::string why_not(const Entry& fault, const Mechanism& mechanism);
std::string why_not(const Entry& fault, const std::string& mechanism);
// The registered mechanisms (registry::all) it applies to.
std::vector<std::string> where(const Entry& fault);

// The errno by name ("ENOSPC"), or 0 iff it is not one.
int errno_by_name(const std::string& name);

nlohmann::json to_json(const Entry& e);

}  // namespace ipch::faults
