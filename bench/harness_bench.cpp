// The harness's own speed: cases per second of a 2-process, 100-message pipe scenario, next to
// the floor measured in the same run: spawning and reaping the same number of do-nothing
// processes. The harness aims for at least half of that floor.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <map>

#include "runner.hpp"
#include "sys.hpp"

namespace {

ipch::Scenario pipe_case(std::uint64_t seed) {
  ipch::Scenario s;
  s.seed = seed;
  s.mechanism = "pipe";
  s.workload = {ipch::WorkloadKind::stream, 1, 1, 100, 4096, 1};
  return s;
}

void BM_PipeScenario100(benchmark::State& state) {
  std::uint64_t seed = 1;
  for (auto _ : state) {
    auto r = ipch::run_scenario(pipe_case(seed++), {});
    if (r.deadlock || !r.error.empty()) state.SkipWithError("the scenario did not pass");
  }
  state.SetItemsProcessed(state.iterations());
}

// The floor: fork two processes that exit at once, and reap both, as the runner does.
void BM_SpawnTwoAndReap(benchmark::State& state) {
  for (auto _ : state) {
    pid_t a = fork();
    if (a == 0) _exit(0);
    pid_t b = fork();
    if (b == 0) _exit(0);
    waitpid(a, nullptr, 0);
    waitpid(b, nullptr, 0);
  }
  state.SetItemsProcessed(state.iterations());
}

class Ratio : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      std::string name = r.benchmark_name();
      rate_[name.substr(0, name.find('/'))] = double(r.iterations) / r.real_accumulated_time;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    double cases = rate_["BM_PipeScenario100"], floor = rate_["BM_SpawnTwoAndReap"];
    if (cases > 0 && floor > 0) {
      std::printf("\nharness: %.0f cases/s; floor (spawn and reap 2 processes): %.0f /s; ratio %.2f (aim >= 0.50)\n",
                  cases, floor, cases / floor);
    }
  }

 private:
  std::map<std::string, double> rate_;
};

}  // namespace

BENCHMARK(BM_PipeScenario100)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_SpawnTwoAndReap)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  benchmark::Initialize(&argc, argv);
  Ratio reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  return 0;
}
