// liveness: a worker blocked past the stall window where the run should have progressed.
//
// A stall (RunOutcome::deadlock) yields one violation per blocked worker of the diagnosis
// (Blocked::summary(): the call, the object, who holds its other end). After a fault killed a
// worker, the survivors must get an error or end of stream rather than hang, so a survivor
// blocked at the stall is reported naming that fault. Bystanders (leaked-fd) only hold fds and
// are never reported. One stall is predicted by the fault catalogue and is no violation:
// leaked-fd with a kill, the source text's "writer blocks indefinitely" (the bystander keeps
// the read end open, so the kernel is right never to say EPIPE); the verdict is still
// "deadlock", with the diagnosis. A function of the history and the stall, online: it keeps the
// last kill and which workers exited.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "diagnosis.hpp"
#include "history.hpp"
#include "violation.hpp"

namespace ipch {

struct Stall {
  std::uint64_t ms = 0;              // how long no worker made progress
  std::span<const Blocked> blocked;  // the diagnosis: every live worker at the stall
};

class LivenessCheck {
 public:
  explicit LivenessCheck(const History& head) : h_(head) {}
  void add(const Event& e);
  // Empty unless the fault plan predicts a stall in this history; then why (for a note).
  std::string expected_stall() const;
  // No stall (nullopt): nothing to report.
  std::vector<Violation> finish(const std::optional<Stall>& stall) const;

 private:
  bool senders_gone() const;
  const History& h_;
  std::string last_kill_;  // "kill-receiver killed receiver-0 (pid 12)"
  std::vector<bool> exited_;
};

// Empty unless the fault plan predicts a stall in this history; then why (for a note).
std::string expected_stall(const History& h);

// No stall (nullopt): nothing to report.
std::vector<Violation> check_liveness(const History& h, const std::optional<Stall>& stall);

}  // namespace ipch
