#include "liveness.hpp"

#include <algorithm>

#include "catalogue.hpp"

namespace ipch {

namespace {
// The last worker a fault killed, as "kill-receiver killed receiver-0 (pid 12)"; empty if none.
std::string last_kill(const History& h) {
  std::string out;
  for (const Event& e : h.events) {
    if (e.kind != EventKind::fault || static_cast<FaultAction>(e.err) != FaultAction::killed) continue;
    std::string fault = e.seq < h.faults.size() ? h.faults[e.seq] : "fault " + std::to_string(e.seq);
    out = fault + " killed " + who(h, e.sender);
  }
  return out;
}

// True iff every sender and client had exited (the runner recorded its exit) before the stall.
bool senders_gone(const History& h) {
  bool any = false;
  for (const WorkerInfo& w : h.workers) {
    if (w.role != WorkerRole::sender && w.role != WorkerRole::client) continue;
    any = true;
    bool exited = std::any_of(h.events.begin(), h.events.end(),
                              [&](const Event& e) { return e.kind == EventKind::exited && e.worker == w.index; });
    if (!exited) return false;
  }
  return any;
}

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

std::string expected_stall(const History& h) {
  bool leaked_fd = std::any_of(h.faults.begin(), h.faults.end(), [](const std::string& n) {
    const faults::Entry* f = faults::find(n);
    return f && f->drive == faults::Drive::bystander;  // an end held open: a stall is its prediction
  });
  std::string kill = last_kill(h);
  if (!leaked_fd || kill.empty()) return "";
  return "the stall is what leaked-fd predicts after " + kill +
         ": the bystander holds the other end open, so the survivor blocks instead of getting EPIPE or end of stream";
}

std::vector<Violation> check_liveness(const History& h, const std::optional<Stall>& stall) {
  if (!stall || !expected_stall(h).empty()) return {};
  Violations out;
  std::string kill = last_kill(h);
  std::string why = kill.empty() ? "no worker made progress for " + std::to_string(stall->ms) + " ms"
                                 : "still blocked " + std::to_string(stall->ms) + " ms after " + kill +
                                       ": a survivor must get an error or end of stream, not hang";
  // The runner leaves receivers running after their senders only where the contract promises
  // them end of stream (Runner::receivers_see_end_of_stream).
  std::string eof_why = "every sender has exited, yet it still waits " + std::to_string(stall->ms) +
                        " ms later: the contract promises this receiver end of stream once its senders are gone";
  bool gone = senders_gone(h);
  std::size_t reported = 0;
  for (const Blocked& b : stall->blocked) {
    if (bystander(h, b)) continue;
    out.add(kinds::liveness, b.summary() + "; " + (gone && receiving(h, b) ? eof_why : why));
    ++reported;
  }
  // A stall whose workers could not be snapshotted (all gone by then) is still a stall.
  if (!reported) out.add(kinds::liveness, "the run stalled: " + why);
  return out.take();
}

}  // namespace ipch
