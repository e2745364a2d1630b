// The runner's half of fault injection: the faults that are signals (kill, stop, continue,
// SIGUSR1 for EINTR), each sent at a logical point of the history (a worker's k-th message,
// the n-th hit of a fault point seen as a stopped process), and every action recorded as a
// fault event in the history.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "history.hpp"
#include "catalogue.hpp"
#include "plan.hpp"
#include "scenario.hpp"

namespace ipch {

class FaultDriver {
 public:
  struct Hooks {
    std::function<void(std::uint32_t worker, int sig)> signal;
    std::function<void(std::size_t fault, FaultAction, std::uint32_t worker)> record;
    // Forks a replacement for `worker` on the same channel; returns its index.
    std::function<std::optional<std::uint32_t>(std::uint32_t worker)> restart;
    std::function<bool(std::uint32_t worker)> alive;
    std::function<char(std::uint32_t worker)> state;  // /proc state letter: 'T' when stopped
    std::function<const std::vector<WorkerInfo>&()> workers;
  };

  FaultDriver(const Scenario& s, faults::Plan plan, Hooks hooks);

  // Called for every event a worker reports.
  void on_event(const Event& e);
  // Called on every turn of the runner's loop; `quiet_ms` is the time since the last event.
  // Resumes a worker held back once the others cannot move (after a quarter of the stall
  // window without progress), so a fault never turns into a false deadlock.
  // Returns true iff it acted (killed a stopped worker, resumed a held one).
  bool on_tick(std::uint64_t quiet_ms);
  // Workers the runner must hold back from the start (a fault that holds the receivers).
  bool holds_receivers_at_start() const;
  bool wants_bystander() const;
  // True while a worker is held back by a fault: the watchdog then waits for on_tick.
  bool holding() const { return !held_.empty(); }
  // A worker the fault plan killed on purpose: its death is not a harness error.
  bool killed_by_fault(std::uint32_t worker) const;

  void hold_receivers();  // SIGSTOP every receiver, for each fault that holds them

 private:
  struct Held {
    std::uint32_t worker;
    std::size_t fault;
    std::uint64_t resume_after;  // events of others until SIGCONT; 0: only when quiet
  };
  void kill(std::size_t fault, std::uint32_t worker);
  std::optional<std::uint32_t> target(const std::string& role, std::uint32_t rank) const;
  bool drives(faults::Drive d) const;

  const Scenario& s_;
  faults::Plan plan_;
  Hooks h_;
  std::vector<faults::Drive> drives_;      // per fault: how the catalogue says to drive it
  std::vector<std::string> targets_;       // per fault: the role it acts on
  std::vector<bool> done_;                 // per fault: fired (one-shot faults)
  std::vector<Held> held_;
  std::vector<std::uint64_t> messages_;    // per worker: messages sent or received
  std::vector<std::uint64_t> events_;      // per worker: events reported
  std::vector<std::uint32_t> killed_;
  std::uint64_t quiet_ms_for_release_;
};

}  // namespace ipch
