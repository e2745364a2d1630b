// Hand-written histories for the checker tests: senders 0..n-1, then receiver-0 (pids 100...),
// in the style of tests/harness/checker_test.cpp. Each call appends events in history order.
#pragma once

#include <string>
#include <vector>

#include "contract.hpp"
#include "history.hpp"
#include "violation.hpp"

namespace ipch::test {

struct Builder {
  History h;
  std::uint32_t receiver = 0;
  std::uint64_t t = 0;

  explicit Builder(std::uint32_t senders = 2) {
    for (std::uint32_t i = 0; i < senders; ++i) h.workers.push_back({i, WorkerRole::sender, i, pid_t(100 + i)});
    receiver = senders;
    h.workers.push_back({senders, WorkerRole::receiver, 0, pid_t(100 + senders)});
  }
  Builder& add(Event e) {
    e.t_ns = ++t;
    h.events.push_back(e);
    return *this;
  }
  Builder& sent(std::uint32_t sender, std::uint64_t seq, bool completed = true, std::uint64_t size = 32) {
    add({.worker = sender, .kind = EventKind::send_invoked, .sender = sender, .seq = seq, .size = size});
    if (completed) add({.worker = sender, .kind = EventKind::send_ok, .sender = sender, .seq = seq, .size = size});
    return *this;
  }
  Builder& got(std::uint32_t sender, std::uint64_t seq, Damage d = Damage::none, std::uint64_t size = 32) {
    return add(
        {.worker = receiver, .kind = EventKind::received, .damage = d, .sender = sender, .seq = seq, .size = size});
  }
  // What a second receiver (worker index `by`, which must exist) got.
  Builder& got_by(std::uint32_t by, std::uint32_t sender, std::uint64_t seq) {
    return add({.worker = by, .kind = EventKind::received, .sender = sender, .seq = seq, .size = 32});
  }
  // A fault of the plan (by name) acting on worker `target`.
  Builder& fault(const std::string& name, FaultAction a, std::uint32_t target) {
    h.faults.push_back(name);
    return add({.worker = target,
                .kind = EventKind::fault,
                .err = static_cast<std::int32_t>(a),
                .sender = target,
                .seq = h.faults.size() - 1});
  }
};

inline std::vector<std::string> kinds_of(const std::vector<Violation>& vs) {
  std::vector<std::string> k;
  for (const auto& v : vs) k.push_back(v.kind);
  return k;
}

// A message-based contract (posix-mq-like) and a byte stream shared under PIPE_BUF (pipe-like).
inline Contract messages() {
  return Contract{};
}
inline Contract pipe_like() {
  Contract c;
  c.boundaries = false;
  c.atomic_write_limit = 4096;
  return c;
}

}  // namespace ipch::test
