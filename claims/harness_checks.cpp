#include "harness_checks.hpp"

#include <fmt/format.h>

#include <map>

namespace ipch::claims {

namespace {

struct PerMechanism {
  std::uint64_t runs = 0, sent = 0, received = 0, lost = 0;
  std::vector<std::string> faults;
};

std::map<std::string, PerMechanism> by_mechanism(const std::vector<RunTally>& runs) {
  std::map<std::string, PerMechanism> m;
  for (const auto& r : runs) {
    auto& p = m[r.mechanism];
    ++p.runs;
    p.sent += r.sent;
    p.received += r.received;
    p.lost += r.lost;
    if (std::find(p.faults.begin(), p.faults.end(), r.fault) == p.faults.end()) p.faults.push_back(r.fault);
  }
  return m;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

const RunTally* first_failed(const std::vector<RunTally>& runs) {
  for (const auto& r : runs) {
    if (r.verdict != "pass") return &r;
  }
  return nullptr;
}

}  // namespace

Finding judge_queues_reliable(const QueueRuns& q) {
  Finding f;
  if (q.runs.empty()) {
    f.condition = "no harness run could be made";
    f.evidence = {f.condition};
    return f;
  }
  std::uint64_t failed = 0, lost_with_killed = 0;
  for (const auto& r : q.runs) {
    if (r.verdict != "pass") ++failed;
    if (r.verdict == "pass" && r.fault == "kill-receiver") lost_with_killed += r.lost;
  }
  for (const auto& [m, p] : by_mechanism(q.runs)) {
    f.runs.push_back(fmt::format("{}: {} harness runs, 2 senders x 1 receiver and generated shapes; faults: {}", m, p.runs,
                                 joined(p.faults)));
    f.evidence.push_back(fmt::format("{}: {} messages sent, {} received, {} lost", m, p.sent, p.received, p.lost));
    f.measurements[m] = {{"runs", p.runs}, {"sent", p.sent}, {"received", p.received}, {"lost", p.lost}};
  }
  f.counterexamples = q.counterexamples;
  if (const RunTally* bad = first_failed(q.runs)) {
    f.verdict = Verdict::refuted;
    f.condition = fmt::format("{} of {} runs failed; first: {}: {}", failed, q.runs.size(), bad->describe,
                              bad->first_violation.empty() ? bad->verdict : bad->first_violation);
    f.evidence.push_back("replay the first failure: " + bad->replay);
    return f;
  }
  if (lost_with_killed > 0) {
    f.verdict = Verdict::holds_only_if;
    f.condition = fmt::format(
        "no receiver dies between taking a message and handling it: {} messages left the queue with receivers "
        "that were killed (the queue had handed them over; nothing else was lost)",
        lost_with_killed);
    f.evidence.push_back(fmt::format("{} messages were taken by receivers SIGKILLed mid-run; a restarted receiver got "
                                     "everything still queued, intact, once and in order",
                                     lost_with_killed));
    return f;
  }
  f.verdict = Verdict::holds;
  f.evidence.push_back("every run passed: nothing lost, duplicated, reordered or corrupted");
  return f;
}

Finding judge_kernel_synchronises(const SyncRuns& k, const std::string& replay) {
  Finding f;
  if (k.runs.empty() && k.streams.empty()) {
    f.condition = "no harness run could be made";
    f.evidence = {f.condition};
    return f;
  }
  std::uint64_t failed = 0;
  for (const auto& r : k.runs) {
    if (r.verdict != "pass") ++failed;
    f.runs.push_back(r.describe);
    f.measurements[r.mechanism] = {{"verdict", r.verdict}, {"sent", r.sent}, {"received", r.received}};
    if (!r.note.empty()) f.evidence.push_back(r.mechanism + ": " + r.note);
  }
  f.evidence.insert(f.evidence.begin(),
                    fmt::format("{} of {} mechanisms passed with several senders and receivers on one object, no lock "
                                "of ours",
                                k.runs.size() - failed, k.runs.size()));
  std::uint64_t torn = 0;
  std::vector<std::string> tore;
  for (const auto& [kind, s] : k.streams) {
    f.runs.push_back(kind + ": " + s.describe());
    f.measurements[kind + " large writes"] = {{"writers", s.writers}, {"record_size", s.record_size},
                                              {"records", s.records}, {"torn", s.torn}};
    torn += s.torn;
    if (s.torn > 0) tore.push_back(fmt::format("{} of {} {} writes of {} B", s.torn, s.records, kind, s.record_size));
  }
  f.counterexamples = k.counterexamples;
  if (const RunTally* bad = first_failed(k.runs)) {
    f.verdict = Verdict::refuted;
    f.condition = fmt::format("{} of {} runs failed; first: {}: {}", failed, k.runs.size(), bad->describe,
                              bad->first_violation.empty() ? bad->verdict : bad->first_violation);
    return f;
  }
  if (torn > 0) {
    f.verdict = Verdict::holds_only_if;
    f.condition = "each message is one call within the atomic limit (a pipe write of at most PIPE_BUF = 4096 B; "
                  "a datagram or queue message whole): " + joined(tore) + " were torn by other writers";
    for (const auto& [kind, s] : k.streams) {
      if (s.first_torn.empty()) continue;
      Counterexample c;
      c.summary = kind + ": " + s.describe();
      c.replay = replay;
      c.timeline = s.first_torn.front();
      f.counterexamples.push_back(std::move(c));
    }
    return f;
  }
  f.verdict = Verdict::holds;
  f.evidence.push_back("no write was torn, even above the atomic limit");
  return f;
}

}  // namespace ipch::claims
