#include "fault_driver.hpp"

#include <signal.h>

#include <algorithm>

#include "catalogue.hpp"

namespace ipch {

FaultDriver::FaultDriver(const Scenario& s, faults::Plan plan, Hooks hooks)
    : s_(s), plan_(std::move(plan)), h_(std::move(hooks)), done_(plan_.size(), false) {
  quiet_ms_for_release_ = std::max<std::uint64_t>(50, s.stall_ms / 4);
  for (const auto& f : plan_) {
    const faults::Entry* e = faults::find(f.name);
    drives_.push_back(e ? e->drive : faults::Drive::none);
    targets_.push_back(e ? f.get("target", e->target) : "receiver");
  }
}

bool FaultDriver::drives(faults::Drive d) const { return std::find(drives_.begin(), drives_.end(), d) != drives_.end(); }

std::optional<std::uint32_t> FaultDriver::target(const std::string& role, std::uint32_t rank) const {
  for (const auto& w : h_.workers()) {
    bool sends = w.role == WorkerRole::sender || w.role == WorkerRole::client;
    bool receives = w.role == WorkerRole::receiver || w.role == WorkerRole::server;
    if (((role == "sender" && sends) || (role == "receiver" && receives)) && w.rank == rank && h_.alive(w.index)) {
      return w.index;
    }
  }
  return std::nullopt;
}

bool FaultDriver::holds_receivers_at_start() const { return drives(faults::Drive::hold_receivers); }
bool FaultDriver::wants_bystander() const { return drives(faults::Drive::bystander); }
bool FaultDriver::killed_by_fault(std::uint32_t w) const {
  return std::find(killed_.begin(), killed_.end(), w) != killed_.end();
}

void FaultDriver::hold_receivers() {
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    if (drives_[i] != faults::Drive::hold_receivers) continue;
    for (const auto& w : h_.workers()) {
      if (w.role != WorkerRole::receiver && w.role != WorkerRole::server) continue;
      h_.signal(w.index, SIGSTOP);
      h_.record(i, FaultAction::held, w.index);
      held_.push_back({w.index, i, 0});
    }
    done_[i] = true;
  }
}

void FaultDriver::kill(std::size_t fault, std::uint32_t worker) {
  killed_.push_back(worker);
  h_.signal(worker, SIGKILL);
  h_.record(fault, FaultAction::killed, worker);
}

void FaultDriver::on_event(const Event& e) {
  if (e.worker >= messages_.size()) messages_.resize(e.worker + 1), events_.resize(e.worker + 1);
  ++events_[e.worker];
  bool message = e.kind == EventKind::send_ok || e.kind == EventKind::received;
  if (message) ++messages_[e.worker];
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    const faults::Fault& f = plan_[i];
    const faults::Drive d = drives_[i];
    if (d == faults::Drive::signal_every && e.worker < h_.workers().size() && h_.alive(e.worker) &&
        events_[e.worker] % std::max<std::uint64_t>(1, f.get_u64("every", 4)) == 0) {
      h_.signal(e.worker, SIGUSR1);  // not recorded per signal: the worker reports its EINTR count
      continue;
    }
    if (done_[i] || !message) continue;
    if (d != faults::Drive::kill_at_message && d != faults::Drive::stop_at_message) continue;
    auto t = target(targets_[i], 0);
    if (!t || *t != e.worker || messages_[e.worker] < f.get_u64("at", 1)) continue;
    done_[i] = true;
    if (d == faults::Drive::stop_at_message) {
      h_.signal(*t, SIGSTOP);
      h_.record(i, FaultAction::stopped, *t);
      held_.push_back({*t, i, f.get_u64("for", 10)});
      continue;
    }
    kill(i, *t);
    if (f.get("restart") == "true") {
      if (auto n = h_.restart(*t)) h_.record(i, FaultAction::released, *n);
    }
  }
  // A held worker continues after the others made `for` messages.
  if (message) {
    for (auto it = held_.begin(); it != held_.end();) {
      if (it->worker != e.worker && it->resume_after > 0 && --it->resume_after == 0) {
        h_.signal(it->worker, SIGCONT);
        h_.record(it->fault, FaultAction::continued, it->worker);
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

bool FaultDriver::on_tick(std::uint64_t quiet_ms) {
  bool acted = false;
  // A worker armed to stop itself at a point (SIGSTOP inside the lock) is killed there.
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    if (done_[i] || drives_[i] != faults::Drive::kill_stopped_sender) continue;
    auto t = target(targets_[i], 0);
    if (t && h_.state(*t) == 'T') {
      done_[i] = true;
      kill(i, *t);
      acted = true;
    }
  }
  if (held_.empty() || quiet_ms < quiet_ms_for_release_) return acted;
  for (const auto& h : held_) {
    h_.signal(h.worker, SIGCONT);
    h_.record(h.fault, FaultAction::released, h.worker);
  }
  held_.clear();
  return true;
}

}  // namespace ipch
