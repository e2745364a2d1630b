#include "history.hpp"

#include <fcntl.h>

#include "sys.hpp"

namespace ipch {

std::string_view to_string(WorkerRole r) {
  switch (r) {
    case WorkerRole::sender: return "sender";
    case WorkerRole::receiver: return "receiver";
    case WorkerRole::client: return "client";
    case WorkerRole::server: return "server";
    case WorkerRole::bystander: return "bystander";
  }
  return "?";
}

std::string WorkerInfo::name() const {
  if (role == WorkerRole::client || role == WorkerRole::server || role == WorkerRole::bystander)
    return std::string(to_string(role));
  return std::string(to_string(role)) + "-" + std::to_string(rank);
}

nlohmann::json History::to_json(const Event& e) const {
  nlohmann::json j{{"t_ns", e.t_ns}, {"worker", e.worker}, {"event", to_string(e.kind)}};
  if (e.worker < workers.size()) {
    j["role"] = workers[e.worker].name();
    j["pid"] = workers[e.worker].pid;
  }
  switch (e.kind) {
    case EventKind::send_invoked:
    case EventKind::send_ok:
    case EventKind::send_failed:
    case EventKind::received:
    case EventKind::would_block:
      j["link"] = e.link;
      j["sender"] = e.sender;
      j["seq"] = e.seq;
      j["size"] = e.size;
      break;
    default:
      break;
  }
  if (e.kind == EventKind::received && e.damage != Damage::none) j["damage"] = to_string(e.damage);
  if (e.kind == EventKind::send_failed || e.kind == EventKind::receive_failed) {
    j["link"] = e.link;
    j["errno"] = e.err == kEndOfStream ? "end-of-stream" : describe({e.err, std::generic_category()});
  }
  if (e.kind == EventKind::fault) {
    j["fault"] = e.seq < faults.size() ? faults[e.seq] : std::to_string(e.seq);
    j["action"] = to_string(static_cast<FaultAction>(e.err));
    if (e.sender < workers.size()) j["target"] = workers[e.sender].name();
  }
  if (e.kind == EventKind::finished) {
    j["eintr_retries"] = e.seq;
    j["short_io"] = e.size;
    j["fault_points_fired"] = e.sender;
  }
  if (e.kind == EventKind::exited) {
    if (e.err >= 0) j["exit_code"] = e.err;
    else j["signal"] = sigabbrev_np(-e.err) ? std::string("SIG") + sigabbrev_np(-e.err) : std::to_string(-e.err);
    j["stopped_by_runner"] = e.stopped != 0;
  }
  return j;
}

Result<void> History::write_jsonl(const std::string& path) const {
  auto fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd) return std::unexpected(fd.error());
  std::string out;
  for (const auto& e : events) out += to_json(e).dump() + "\n";
  return sys::write_all(fd->get(), std::as_bytes(std::span(out)), Deadline::never());
}

}  // namespace ipch
