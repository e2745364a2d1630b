#include "liveness.hpp"

#include <algorithm>

#include "catalogue.hpp"

namespace ipch {

namespace {
bool receiving(const History& h, const Blocked& b) {
  return std::any_of(h.workers.begin(), h.workers.end(), [&](const WorkerInfo& w) {
    return (w.role == WorkerRole::receiver || w.role == WorkerRole::server) && (w.pid == b.pid || w.name() == b.role);
  });
}

bool bystander(const History& h, const Blocked& b) {
  return std::any_of(h.workers.begin(), h.workers.end(), [&](const WorkerInfo& w) {
    return w.role == WorkerRole::bystander && (w.pid == b.pid || w.name() == b.role);
  });
}
}  // namespace

void LivenessCheck::add(const Event& e) {
  if (e.kind == EventKind::exited) {
    if (exited_.size() <= e.worker) exited_.resize(e.worker + 1);
    exited_[e.worker] = true;
  }
  if (e.kind == EventKind::fault && static_cast<FaultAction>(e.err) == FaultAction::killed) {
    std::string fault = e.seq < h_.faults.size() ? h_.faults[e.seq] : "fault " + std::to_string(e.seq);
    last_kill_ = fault + " killed " + who(h_, e.sender);
  }
}

// True iff every sender and client had exited (the runner recorded its exit) before the stall.
bool LivenessCheck::senders_gone() const {
  bool any = false;
  for (const WorkerInfo& w : h_.workers) {
    if (w.role != WorkerRole::sender && w.role != WorkerRole::client) continue;
    any = true;
    if (w.index >= exited_.size() || !exited_[w.index]) return false;
  }
  return any;
}

std::string LivenessCheck::expected_stall() const {
  bool leaked_fd = std::any_of(h_.faults.begin(), h_.faults.end(), [](const std::string& n) {
    const faults::Entry* f = faults::find(n);
    return f && f->drive == faults::Drive::bystander;  // an end held open: a stall is its prediction
  });
  if (!leaked_fd || last_kill_.empty()) return "";
  return "the stall is what leaked-fd predicts after " + last_kill_ +
         ": the bystander holds the other end open, so the survivor blocks instead of getting EPIPE or end of stream";
}

std::vector<Violation> LivenessCheck::finish(const std::optional<Stall>& stall) const {
  if (!stall || !expected_stall().empty()) return {};
  Violations out;
  const std::string& kill = last_kill_;
  // Under a controlled schedule the deadlock is by construction: no time was waited out.
  const bool parked = std::any_of(stall->blocked.begin(), stall->blocked.end(),
                                  [](const Blocked& b) { return b.state == "parked by the schedule"; });
  const std::string waited = parked ? "with nothing left that could let it go on" : std::to_string(stall->ms) + " ms";
  std::string why = kill.empty() ? (parked ? "no worker can go on any more" : "no worker made progress for " + waited)
                                 : "still blocked " + waited + " after " + kill +
                                       ": a survivor must get an error or end of stream, not hang";
  // The runner leaves receivers running after their senders only where the contract promises
  // them end of stream (Runner::receivers_see_end_of_stream).
  std::string eof_why = "every sender has exited, yet it still waits " + (parked ? waited : waited + " later") +
                        ": the contract promises this receiver end of stream once its senders are gone";
  bool gone = senders_gone();
  std::size_t reported = 0;
  for (const Blocked& b : stall->blocked) {
    if (bystander(h_, b)) continue;
    out.add(kinds::liveness, b.summary() + "; " + (gone && receiving(h_, b) ? eof_why : why));
    ++reported;
  }
  // A stall whose workers could not be snapshotted (all gone by then) is still a stall.
  if (!reported) out.add(kinds::liveness, "the run stalled: " + why);
  return out.take();
}

std::string expected_stall(const History& h) {
  LivenessCheck check(h);
  for (const Event& e : h.events) check.add(e);
  return check.expected_stall();
}

std::vector<Violation> check_liveness(const History& h, const std::optional<Stall>& stall) {
  LivenessCheck check(h);
  for (const Event& e : h.events) check.add(e);
  return check.finish(stall);
}

}  // namespace ipch
