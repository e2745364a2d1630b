// Claims the harness itself checks: whole scenarios in real processes, judged by the checkers,
// with every failing run kept as a reproducer.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "generators.hpp"
#include "groups.hpp"
#include "harness_checks.hpp"
#include "harness_run.hpp"
#include "interleave.hpp"
#include "registry.hpp"
#include "seed.hpp"

namespace ipch::claims {

namespace {

Scenario scenario_of(const std::string& mechanism, std::uint64_t seed, std::uint64_t messages, std::uint32_t senders,
                     std::uint32_t receivers, const std::string& fault) {
  Scenario s;
  s.seed = seed;
  s.mechanism = mechanism;
  s.workload = {WorkloadKind::stream, senders, receivers, messages, 4096, 1};
  s.stall_ms = 1000;
  if (!fault.empty()) s.faults = nlohmann::json::array({{{"name", fault}, {"params", nlohmann::json::object()}}});
  return s;
}

RunTally tally_of(const HarnessRun& r, std::string fault) {
  RunTally t;
  t.mechanism = r.scenario.mechanism;
  t.fault = std::move(fault);
  t.verdict = r.report.verdict;
  t.sent = r.report.delivery.sent;
  t.received = r.report.delivery.received;
  t.lost = r.report.delivery.lost;
  if (!r.report.violations.empty()) t.first_violation = r.report.violations.front().kind + ": " + r.report.violations.front().detail;
  t.describe = r.describe();
  t.replay = r.replay;
  return t;
}

// Runs `s`, or returns nullopt iff the harness refuses this workload for the mechanism.
std::optional<HarnessRun> try_run(const Scenario& s, const Context& ctx, const std::string& tag) {
  try {
    return run_harness(s, ctx, tag);
  } catch (const BadInput&) {
    return std::nullopt;
  }
}

Finding check_queues_reliable(const Context& ctx) {
  QueueRuns q;
  std::uint64_t n = 0;
  for (const std::string m : {"sysv-msg", "posix-mq"}) {
    std::vector<std::string> plan = {""};
    for (const auto& f : gen::generated_faults(m)) plan.push_back(f);
    const std::uint64_t messages = ctx.quick ? 150 : 1000;
    for (const auto& f : plan) {
      if (ctx.stopping()) break;
      auto s = scenario_of(m, derive_seed(ctx.seed, m + "/" + f), messages, 2, 1, f);
      auto r = try_run(s, ctx, m + "-" + (f.empty() ? "none" : f));
      if (!r) continue;
      q.runs.push_back(tally_of(*r, f.empty() ? "none" : f));
      if (r->report.verdict != "pass" && q.counterexamples.empty()) {
        q.counterexamples.push_back(counterexample_of(*r, r->describe()));
      }
    }
    // Generated cases besides: shapes, sizes and buffers the fixed plan above does not try.
    const std::uint64_t cases = ctx.quick ? 4 : 40;
    for (std::uint64_t i = 0; i < cases && !ctx.stopping(); ++i, ++n) {
      gen::Options go;
      go.mechanism = m;
      go.max_messages = ctx.quick ? 100 : 400;
      Scenario s = gen::draw(go, ctx.seed, n);
      auto r = try_run(s, ctx, m + "-case-" + std::to_string(i));
      if (!r) continue;
      q.runs.push_back(tally_of(*r, gen::fault_name(s)));
      if (r->report.verdict != "pass" && q.counterexamples.empty()) {
        q.counterexamples.push_back(counterexample_of(*r, r->describe()));
      }
    }
  }
  return judge_queues_reliable(q);
}

Finding check_kernel_synchronises(const Context& ctx) {
  SyncRuns k;
  const std::uint64_t messages = ctx.quick ? 300 : 3000;
  for (const auto* m : registry::all()) {
    if (ctx.stopping()) break;
    if (m->name.ends_with("-shm")) continue;  // shared memory: the claim says the kernel does not sync it
    auto s = scenario_of(m->name, derive_seed(ctx.seed, m->name), messages, 3, 2, "");
    s.workload.max_size = 8192;
    auto r = try_run(s, ctx, m->name + "-3x2");
    if (!r) {
      s.workload.receivers = 1;
      r = try_run(s, ctx, m->name + "-3x1");
    }
    if (!r) continue;
    auto t = tally_of(*r, "none");
    for (const auto& note : r->outcome.notes) {
      if (note.find("atomic") != std::string::npos) t.note = note;
    }
    k.runs.push_back(t);
    if (r->report.verdict != "pass" && k.counterexamples.empty()) k.counterexamples.push_back(counterexample_of(*r, r->describe()));
  }
  // The same many writers, each message one write() larger than the atomic limit.
  const std::size_t each = ctx.quick ? 16 : 64;
  k.streams.emplace_back("pipe", interleave(StreamKind::pipe, 4, 64 * 1024 + 1, each, derive_seed(ctx.seed, "pipe")));
  k.streams.emplace_back("unix-stream",
                         interleave(StreamKind::unix_stream, 4, 256 * 1024, each, derive_seed(ctx.seed, "unix-stream")));
  return judge_kernel_synchronises(k, ctx.replay);
}

}  // namespace

std::vector<Claim> harness_claims() {
  std::vector<Claim> v;
  v.push_back({"local-queues-reliable",
               "While local message queues are reliable, it's easy to confuse them with network protocols.",
               true,
               "Common Pitfalls 3",
               {"sysv-msg", "posix-mq"},
               false,
               check_queues_reliable});
  std::vector<std::string> kernel;
  for (const auto* m : registry::all()) {
    if (!m->name.ends_with("-shm")) kernel.push_back(m->name);
  }
  v.push_back({"kernel-synchronises",
               "Synchronization is a mandatory concern when using shared memory; the kernel handles it for you with "
               "pipes, queues, and sockets.",
               true,
               "Summary",
               kernel,
               false,
               check_kernel_synchronises});
  return v;
}

}  // namespace ipch::claims
