#include "calibration.hpp"

#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "event.hpp"
#include "pipe.hpp"
#include "runner.hpp"
#include "sys.hpp"

namespace ipch::bench {

namespace {
double seconds_since(std::uint64_t t0) { return double(monotonic_ns() - t0) / 1e9; }
std::uint64_t budget_ns(std::chrono::milliseconds b) { return static_cast<std::uint64_t>(b.count()) * 1'000'000; }
}  // namespace

double memcpy_mb_per_s(std::size_t bytes, std::chrono::milliseconds budget) {
  std::vector<char> a(bytes, 1), b(bytes, 2);
  std::uint64_t t0 = monotonic_ns(), copies = 0;
  while (monotonic_ns() - t0 < budget_ns(budget)) {
    std::memcpy(b.data(), a.data(), bytes);
    a[copies % bytes] = static_cast<char>(copies);  // a different source each time: nothing to elide
    asm volatile("" : : "r"(b.data()) : "memory");
    ++copies;
  }
  return double(copies) * double(bytes) / seconds_since(t0) / 1e6;
}

double syscall_ns(std::chrono::milliseconds budget) {
  std::uint64_t t0 = monotonic_ns(), calls = 0;
  while (monotonic_ns() - t0 < budget_ns(budget)) {
    for (int i = 0; i < 1000; ++i) (void)sys::getpid_syscall();
    calls += 1000;
  }
  return double(monotonic_ns() - t0) / double(calls);
}

double spawn_pairs_per_s(std::chrono::milliseconds budget) {
  std::uint64_t t0 = monotonic_ns(), pairs = 0;
  while (monotonic_ns() - t0 < budget_ns(budget)) {
    auto a = sys::fork(true);
    if (a && *a == 0) ::_exit(0);
    auto b = sys::fork(true);
    if (b && *b == 0) ::_exit(0);
    if (!a || !b) throw std::runtime_error("fork() failed: " + describe(!a ? a.error() : b.error()));
    (void)sys::waitpid(*a, 0);
    (void)sys::waitpid(*b, 0);
    ++pairs;
  }
  return double(pairs) / seconds_since(t0);
}

double harness_cases_per_s(std::chrono::milliseconds budget) {
  std::uint64_t t0 = monotonic_ns(), cases = 0;
  while (monotonic_ns() - t0 < budget_ns(budget)) {
    Scenario s;
    s.seed = cases + 1;
    s.mechanism = pipe_mechanism().name;
    s.workload = {WorkloadKind::stream, 1, 1, 100, 4096, 1};
    auto r = run_scenario(s, {});
    if (r.deadlock || !r.error.empty()) throw std::runtime_error("the harness's pipe case did not pass: " + r.error);
    ++cases;
  }
  return double(cases) / seconds_since(t0);
}

ScheduleCost schedule_cost(std::uint64_t messages) {
  Scenario s;
  s.seed = 1;
  s.mechanism = pipe_mechanism().name;
  s.workload = {WorkloadKind::stream, 1, 1, messages, 4096, 1};
  ScheduleCost c;
  c.messages = messages;
  auto timed = [&](std::shared_ptr<schedule::Strategy> strategy) {
    std::uint64_t t0 = monotonic_ns();
    auto r = run_scenario(s, RunOptions{false, nullptr, std::move(strategy), std::nullopt});
    double secs = seconds_since(t0);
    if (r.deadlock || !r.error.empty()) throw std::runtime_error("the pipe run for the schedule's price did not pass: " + r.error);
    if (r.schedule) c.decisions = r.schedule->decisions;
    return secs;
  };
  c.os_s = timed(nullptr);
  schedule::Explorer random({schedule::Kind::random}, 1);
  c.random_s = timed(random.next());
  c.ns_per_decision = c.decisions ? c.random_s * 1e9 / double(c.decisions) : 0;
  return c;
}

}  // namespace ipch::bench
