#include "harness_run.hpp"

#include <filesystem>
#include <stdexcept>

#include "fault_plan.hpp"
#include "generators.hpp"
#include "history.hpp"
#include "reproducer.hpp"

namespace ipch::claims {

std::string HarnessRun::describe() const { return gen::describe(scenario) + ": " + report.verdict; }

HarnessRun run_harness(Scenario s, const Context& ctx, std::string_view tag) {
  resolve_faults(s);
  HarnessRun r;
  r.scenario = s;
  r.outcome = run_scenario(s, RunOptions{});
  if (r.outcome.interrupted_by != 0) throw Interrupted{r.outcome.interrupted_by};
  r.report = check_all(r.outcome);
  r.folder = ctx.work_dir + "/" + std::string(tag);
  std::error_code ec;
  std::filesystem::create_directories(r.folder, ec);
  if (ec) throw std::runtime_error("cannot create " + r.folder + ": " + ec.message());
  if (auto w = write_run_history(r.folder + "/history.jsonl", r.outcome, r.report,
                                 {{"command", "claims"}, {"scenario", to_json(s)}});
      !w) {
    throw std::runtime_error("cannot write " + r.folder + "/history.jsonl: " + w.error().message());
  }
  const std::string path = r.folder + "/reproducer.json";
  if (auto w = write_reproducer(path, {s, r.report.verdict}); !w) throw std::runtime_error(w.error());
  r.replay = replay_command(std::filesystem::absolute(path).string());
  return r;
}

Counterexample counterexample_of(const HarnessRun& r, std::string summary) {
  Counterexample c;
  c.summary = std::move(summary);
  c.replay = r.replay;
  c.timeline = from_history(r.outcome.history, r.describe());
  return c;
}

}  // namespace ipch::claims
