// Claims about speed, judged on the numbers `ipc-harness bench` measured in the same run.
#include "groups.hpp"
#include "performance_checks.hpp"
#include "registry.hpp"

namespace ipch::claims {

namespace {

// A performance claim: not-checked when the benchmark did not run (never a typed-in number).
std::function<Finding(const Context&)> on_bench(Finding (*judge)(const bench::Report&, const std::string&)) {
  return [judge](const Context& ctx) {
    if (ctx.bench == nullptr) {
      Finding f;
      f.condition = "the benchmark did not run in this report";
      f.evidence = {f.condition};
      return f;
    }
    return judge(*ctx.bench, ctx.replay);
  };
}

std::vector<std::string> every_mechanism() {
  std::vector<std::string> v;
  for (const auto* m : registry::all()) v.push_back(m->name);
  return v;
}

}  // namespace

std::vector<Claim> performance_claims() {
  return {
      {"shm-fastest-bulk",
       "Shared memory is the undisputed speed champion for high-volume data exchange, as it minimizes data copying.",
       true, "Comparing Performance", every_mechanism(), true, on_bench(judge_shm_fastest)},
      {"small-messages-negligible",
       "For small, frequent messages, the differences may be negligible, but for bulk data, the choice is critical.",
       true, "Comparing Performance", every_mechanism(), true, on_bench(judge_small_negligible)},
      {"unix-sockets-efficient",
       "When configured for local use, they bypass the network stack, making them efficient.", true,
       "Socket-Based Communication", {"unix-stream", "unix-dgram", "tcp", "udp"}, true, on_bench(judge_unix_efficient)},
      {"queues-overhead", "Message queues add overhead for message management and copying.", true, "Comparing Performance",
       {"sysv-msg", "posix-mq", "pipe"}, true, on_bench(judge_queue_overhead)},
  };
}

}  // namespace ipch::claims
