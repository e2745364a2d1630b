#include "performance_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>


namespace ipch::claims {

namespace {

std::string label(const bench::Figure& f) {
  return f.sync == bench::Sync::spinning ? f.mechanism + " (spinning)" : f.mechanism;
}

std::string size_of(std::size_t s) {
  if (s >= 1024 * 1024 && s % (1024 * 1024) == 0) return std::to_string(s / (1024 * 1024)) + " MiB";
  if (s >= 1024 && s % 1024 == 0) return std::to_string(s / 1024) + " KiB";
  return std::to_string(s) + " B";
}

const bench::Figure* figure(const bench::Report& b, const std::string& m, std::size_t size,
                            bench::Sync sync = bench::Sync::blocking) {
  for (const auto& f : b.figures) {
    if (f.mechanism == m && f.size == size && f.sync == sync) return &f;
  }
  return nullptr;
}

std::set<std::size_t> sizes_of(const bench::Report& b) {
  std::set<std::size_t> s;
  for (const auto& f : b.figures) s.insert(f.size);
  return s;
}

std::string joined(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string mb(double v) { return v >= 1000 ? fmt::format("{:.2f} GB/s", v / 1000) : fmt::format("{:.0f} MB/s", v); }

Counterexample numbers(std::string summary, const std::string& replay) {
  Counterexample c;
  c.summary = std::move(summary);
  c.replay = replay;
  return c;
}

}  // namespace

Finding judge_shm_fastest(const bench::Report& b, const std::string& replay) {
  Finding f;
  std::vector<std::string> won, lost;
  for (std::size_t size : sizes_of(b)) {
    if (size < 64 * 1024) continue;
    const bench::Figure* best = nullptr;
    const bench::Figure* best_shm = nullptr;
    for (const auto& x : b.figures) {
      if (x.size != size) continue;
      if (!best || x.mb_per_s.median > best->mb_per_s.median) best = &x;
      if (x.mechanism.ends_with("-shm") && (!best_shm || x.mb_per_s.median > best_shm->mb_per_s.median)) best_shm = &x;
    }
    if (!best) continue;
    f.runs.push_back(fmt::format("{}: one-way throughput of every mechanism, median of {} repeats", size_of(size),
                                 best->mb_per_s.n));
    f.measurements[size_of(size)] = {{"fastest", label(*best)}, {"mb_per_s", best->mb_per_s.median}};
    if (best_shm) f.measurements[size_of(size)]["fastest_shm"] = {{"mechanism", label(*best_shm)}, {"mb_per_s", best_shm->mb_per_s.median}};
    if (best->mechanism.ends_with("-shm")) {
      won.push_back(size_of(size));
      f.evidence.push_back(fmt::format("{}: {} was fastest at {}", size_of(size), label(*best), mb(best->mb_per_s.median)));
    } else {
      lost.push_back(size_of(size));
      std::string line = fmt::format("{}: {} was fastest at {}", size_of(size), label(*best), mb(best->mb_per_s.median));
      if (best_shm) line += fmt::format("; the fastest shared memory, {}, moved {}", label(*best_shm), mb(best_shm->mb_per_s.median));
      f.evidence.push_back(line);
      f.counterexamples.push_back(numbers(line, replay));
    }
  }
  if (b.memcpy_mb_per_s.n > 0) {
    f.evidence.push_back(fmt::format("memcpy of 1 MiB on this machine: {}; our rings copy every message in and out once "
                                     "each, as a socket does, so only a protocol that writes in place avoids the copies",
                                     mb(b.memcpy_mb_per_s.median)));
  }
  if (won.empty() && lost.empty()) {
    f.condition = "the benchmark measured no size of 64 KiB or more";
    f.evidence.push_back(f.condition);
    return f;
  }
  if (lost.empty()) {
    f.verdict = Verdict::holds;
  } else if (won.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = "shared memory was not the fastest at any bulk size (" + joined(lost) + ")";
  } else {
    f.verdict = Verdict::holds_only_if;
    f.condition = "messages of " + joined(won) + "; at " + joined(lost) + " a socket or pipe was faster";
  }
  return f;
}

Finding judge_small_negligible(const bench::Report& b, const std::string& replay) {
  Finding f;
  const std::size_t size = 64;
  const bench::Figure *fast_rtt = nullptr, *slow_rtt = nullptr, *fast_rate = nullptr, *slow_rate = nullptr;
  for (const auto& x : b.figures) {
    if (x.size != size || x.sync != bench::Sync::blocking || x.rtt_p50_us.median <= 0 || x.msgs_per_s.median <= 0) continue;
    if (!fast_rtt || x.rtt_p50_us.median < fast_rtt->rtt_p50_us.median) fast_rtt = &x;
    if (!slow_rtt || x.rtt_p50_us.median > slow_rtt->rtt_p50_us.median) slow_rtt = &x;
    if (!fast_rate || x.msgs_per_s.median > fast_rate->msgs_per_s.median) fast_rate = &x;
    if (!slow_rate || x.msgs_per_s.median < slow_rate->msgs_per_s.median) slow_rate = &x;
  }
  if (!fast_rtt || fast_rtt == slow_rtt) {
    f.condition = "the benchmark measured 64 B messages for fewer than two mechanisms";
    f.evidence.push_back(f.condition);
    return f;
  }
  double rtt_spread = slow_rtt->rtt_p50_us.median / fast_rtt->rtt_p50_us.median;
  double rate_spread = fast_rate->msgs_per_s.median / slow_rate->msgs_per_s.median;
  f.runs.push_back("64 B messages, every mechanism blocking: round trips (p50) and one-way message rates");
  f.measurements = {{"size", size},
                    {"negligible_within", kNegligible},
                    {"rtt_p50_us", {{"fastest", label(*fast_rtt)}, {"min", fast_rtt->rtt_p50_us.median},
                                    {"slowest", label(*slow_rtt)}, {"max", slow_rtt->rtt_p50_us.median}, {"spread", rtt_spread}}},
                    {"messages_per_s", {{"fastest", label(*fast_rate)}, {"max", fast_rate->msgs_per_s.median},
                                        {"slowest", label(*slow_rate)}, {"min", slow_rate->msgs_per_s.median}, {"spread", rate_spread}}}};
  f.evidence.push_back(fmt::format("round trip at 64 B: {:.1f} us ({}) to {:.1f} us ({}): {:.1f}x", fast_rtt->rtt_p50_us.median,
                                   label(*fast_rtt), slow_rtt->rtt_p50_us.median, label(*slow_rtt), rtt_spread));
  f.evidence.push_back(fmt::format("messages per second at 64 B: {:.0f} ({}) to {:.0f} ({}): {:.1f}x", fast_rate->msgs_per_s.median,
                                   label(*fast_rate), slow_rate->msgs_per_s.median, label(*slow_rate), rate_spread));
  if (const auto* spin = figure(b, "posix-shm", size, bench::Sync::spinning)) {
    f.evidence.push_back(fmt::format("a spinning posix-shm round trip takes {:.1f} us: {:.1f}x faster than the fastest blocking one",
                                     spin->rtt_p50_us.median, fast_rtt->rtt_p50_us.median / spin->rtt_p50_us.median));
  }
  f.evidence.push_back(fmt::format("negligible here means within {:.0f}x of the fastest", kNegligible));
  bool rtt_ok = rtt_spread <= kNegligible, rate_ok = rate_spread <= kNegligible;
  if (rtt_ok && rate_ok) {
    f.verdict = Verdict::holds;
  } else if (rtt_ok) {
    f.verdict = Verdict::holds_only_if;
    f.condition = fmt::format("one message at a time (round trips within {:.1f}x); streamed, the rates differ {:.0f}x", rtt_spread,
                              rate_spread);
    f.counterexamples.push_back(numbers(f.evidence[1], replay));
  } else {
    f.verdict = Verdict::refuted;
    f.condition = fmt::format("round trips differ {:.1f}x and rates {:.1f}x at 64 B", rtt_spread, rate_spread);
    f.counterexamples.push_back(numbers(f.evidence[0], replay));
  }
  return f;
}

Finding judge_unix_efficient(const bench::Report& b, const std::string& replay) {
  Finding f;
  std::vector<std::string> won, lost;
  for (auto [u, n] : {std::pair<std::string, std::string>{"unix-stream", "tcp"}, {"unix-dgram", "udp"}}) {
    for (std::size_t size : sizes_of(b)) {
      const auto* a = figure(b, u, size);
      const auto* c = figure(b, n, size);
      if (!a || !c) continue;
      bool faster = a->msgs_per_s.median > c->msgs_per_s.median;
      bool quicker = a->rtt_p50_us.median > 0 && c->rtt_p50_us.median > 0 && a->rtt_p50_us.median < c->rtt_p50_us.median;
      std::string where = fmt::format("{} vs {} at {}", u, n, size_of(size));
      std::string line = fmt::format("{}: {:.0f} vs {:.0f} messages/s, round trip {:.1f} vs {:.1f} us", where,
                                     a->msgs_per_s.median, c->msgs_per_s.median, a->rtt_p50_us.median, c->rtt_p50_us.median);
      f.evidence.push_back(line);
      f.measurements[where] = {{"unix_msgs_per_s", a->msgs_per_s.median}, {"inet_msgs_per_s", c->msgs_per_s.median},
                               {"unix_rtt_us", a->rtt_p50_us.median}, {"inet_rtt_us", c->rtt_p50_us.median}};
      if (faster && quicker) {
        won.push_back(where);
      } else {
        lost.push_back(where);
        f.counterexamples.push_back(numbers(line, replay));
      }
    }
  }
  f.runs.push_back("unix-stream against tcp and unix-dgram against udp on loopback, every size both measured, blocking");
  if (won.empty() && lost.empty()) {
    f.condition = "the benchmark measured no size for both a Unix socket and its loopback counterpart";
    f.evidence.push_back(f.condition);
    return f;
  }
  if (lost.empty()) {
    f.verdict = Verdict::holds;
  } else if (won.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = "the loopback socket was as fast or faster at every size";
  } else {
    f.verdict = Verdict::holds_only_if;
    f.condition = fmt::format("{} of {} comparisons: not for {}", won.size(), won.size() + lost.size(), joined(lost, "; "));
  }
  return f;
}

Finding judge_queue_overhead(const bench::Report& b, const std::string& replay) {
  Finding f;
  std::vector<std::string> slower, faster;
  for (const std::string q : {"sysv-msg", "posix-mq"}) {
    for (std::size_t size : sizes_of(b)) {
      const auto* a = figure(b, q, size);
      const auto* p = figure(b, "pipe", size);
      if (!a || !p) continue;
      std::string where = fmt::format("{} at {}", q, size_of(size));
      std::string line = fmt::format("{}: {:.0f} messages/s against the pipe's {:.0f} ({:.2f}x)", where, a->msgs_per_s.median,
                                     p->msgs_per_s.median, a->msgs_per_s.median / p->msgs_per_s.median);
      f.evidence.push_back(line);
      f.measurements[where] = {{"queue_msgs_per_s", a->msgs_per_s.median}, {"pipe_msgs_per_s", p->msgs_per_s.median}};
      if (a->msgs_per_s.median < p->msgs_per_s.median) {
        slower.push_back(where);
      } else {
        faster.push_back(where);
        f.counterexamples.push_back(numbers(line, replay));
      }
    }
  }
  f.runs.push_back("sysv-msg and posix-mq against pipe, one-way message rate, every size all measured, blocking");
  if (slower.empty() && faster.empty()) {
    f.condition = "the benchmark measured no size for both a queue and the pipe";
    f.evidence.push_back(f.condition);
    return f;
  }
  if (faster.empty()) {
    f.verdict = Verdict::holds;
  } else if (slower.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = "the queues moved as many messages per second as the pipe, or more, at every size (" + joined(faster) + ")";
  } else {
    f.verdict = Verdict::holds_only_if;
    f.condition = "slower than a pipe only for " + joined(slower) + "; as fast or faster for " + joined(faster);
  }
  return f;
}

}  // namespace ipch::claims
