// ipc-harness: the command line.
//
// Exit codes (stable; scripts rely on them):
//   0    pass / success
//   1    violations or a deadlock found
//   2    bad input: unknown mechanism, workload or setting, a number out of its range (option_ranges.hpp),
//        malformed reproducer; one line on stderr naming the option and the fix
//   3    harness error: something failed that is not the mechanism under test
//   130  interrupted by SIGINT, 143 by SIGTERM (after killing every worker and cleaning up)
#include <CLI/CLI.hpp>
#include <sys/random.h>

#include <algorithm>
#include <csignal>
#include <iostream>

#include "cli_bench.hpp"
#include "cli_claims.hpp"
#include "cli_cases.hpp"
#include "cli_check.hpp"
#include "cli_judge.hpp"
#include "cli_list.hpp"
#include "cli_run.hpp"
#include "option_ranges.hpp"
#include "worker_ceiling.hpp"
#include "fault_plan.hpp"
#include "objects.hpp"
#include "plan.hpp"
#include "runner.hpp"
#include "process_title.hpp"
#include "registry.hpp"
#include "reproducer.hpp"

namespace {

std::uint64_t random_seed() {
  std::uint64_t s = 0;
  if (getrandom(&s, sizeof s, 0) != sizeof s) s = static_cast<std::uint64_t>(time(nullptr)) ^ getpid();
  return s;
}

// CLI11's own message is one or more lines plus "Run with --help"; ours is one line, prefixed like
// every other refusal of this command line, so that a script can show it as it stands.
std::string one_line_failure(const CLI::App* app, const CLI::Error& e) {
  std::string who = "ipc-harness";
  for (const CLI::App* sub : app->get_subcommands()) who += " " + sub->get_name();
  std::string what = e.what();
  std::replace(what.begin(), what.end(), '\n', ' ');
  while (!what.empty() && what.back() == ' ') what.pop_back();
  return who + ": " + what + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  ipch::title::init(argc, argv);
  // EPIPE is data: a pipe write to a gone reader must return it, not kill the writer.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"ipc-harness: every Linux IPC mechanism under property-based tests, with real processes"};
  app.require_subcommand(1);
  app.failure_message(one_line_failure);
  const ipch::cli::WorkerCeiling ceiling = ipch::cli::worker_ceiling();
  namespace r = ipch::cli;
  app.set_version_flag("--version", std::string("ipc-harness ") + ipch::kVersion);

  auto* list = app.add_subcommand("list", "list what the harness knows");
  std::string what;
  bool json = false;
  list->add_option("what", what, "mechanisms, faults or claims")
      ->required()
      ->check(CLI::IsMember({"mechanisms", "faults", "claims"}));
  list->add_flag("--json", json, "one JSON object on stdout");

  auto* clean = app.add_subcommand("clean", "remove kernel objects and folders left by dead ipc-harness processes");

  auto* run = app.add_subcommand("run", "run one scenario in real processes and check its history");
  std::string mechanism, workload = "stream", settings;
  std::optional<std::uint32_t> senders, receivers;
  std::uint64_t messages = 1000;
  std::size_t max_size = 4096;
  std::uint32_t depth = 1, stall_ms = 2000;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> out;
  bool backtrace = false;
  std::vector<std::string> fault_specs;
  std::optional<std::uint64_t> cases;
  // Senders and receivers together stay within the machine's ceiling (checked after parsing); each
  // alone leaves room for one of the other role.
  const std::uint64_t role_max = std::max<std::uint64_t>(ceiling.workers, 2) - 1;
  run->add_option("--mechanism", mechanism, "the mechanism (ipc-harness list mechanisms); with --cases also all")
      ->required()
      ->check(r::mechanism_name(true));
  run->add_option("--cases", cases, "run this many generated scenarios (derived from --seed) instead of one")
      ->transform(r::in_range(1, r::kMaxCases, "give how many generated cases to run"));
  run->add_option("--workload", workload, "stream, request-response or fan-in");
  run->add_option("--senders", senders, "sending processes (stream: 1, fan-in: 4); with --receivers at most " +
                                            std::to_string(ceiling.workers) + " here: " + ceiling.why)
      ->transform(r::in_range(1, role_max, ceiling.why));
  run->add_option("--receivers", receivers, "receiving processes (stream: 1)")
      ->transform(r::in_range(1, role_max, ceiling.why));
  run->add_option("--messages", messages, "messages in all (request-response: requests)")
      ->transform(r::in_range(1, r::kMaxMessages, "give a count of messages"));
  run->add_option("--max-size", max_size, "largest message in bytes, envelope included; capped to the mechanism's limit")
      ->transform(r::in_range(r::kMinSize, r::kMaxSize, "a message holds at least its 32 B envelope, at most 16 MiB"));
  run->add_option("--depth", depth, "request-response: requests written before the first response is read")
      ->transform(r::in_range(1, r::kMaxDepth, "give how many requests go out before the first response is read"));
  run->add_option("--setting", settings, "capacity=N,message_size=N,blocking=false (see list mechanisms)");
  run->add_option("--fault", fault_specs, "NAME[:key=value,...], repeatable (ipc-harness list faults)");
  run->add_option("--seed", seed, "the seed every choice derives from (default: random, always printed)")
      ->transform(r::seed_number());
  run->add_option("--stall-ms", stall_ms, "no progress for this long is a deadlock")
      ->transform(r::in_range(r::kMinStallMs, r::kMaxStallMs, "below 100 ms a busy machine looks like a deadlock"));
  run->add_option("--out", out, "folder for history.jsonl, result.json and, on failure, reproducer.json and timeline.html");
  run->add_flag("--json", json, "one JSON object on stdout");
  run->add_flag("--backtrace", backtrace, "add gdb stacks of blocked workers to a deadlock diagnosis");
  std::optional<std::string> run_junit, run_corpus;
  std::string run_shard = "0/1";
  run->add_option("--junit", run_junit, "with --cases: JUnit XML, one testcase per mechanism x fault");
  run->add_option("--shard", run_shard, "with --cases: i/n, run the cases whose index % n == i (default 0/1)")
      ->check(r::shard_form());
  run->add_option("--corpus", run_corpus, "with --cases: replay the reproducers in this folder first; save the shrunk failure there");
  std::string run_schedule = "os";
  std::uint64_t run_schedules = 1;
  run->add_option("--schedule", run_schedule,
                  "who runs next at each IPC call: os (the kernel decides, the default), random, pct[:depth=D] or "
                  "dfs[:preemptions=P]; a controlled schedule is recorded in the reproducer and replays exactly")
      ->transform(r::schedule_spec());
  run->add_option("--schedules", run_schedules, "schedules to try per case until one fails (default 1)")
      ->transform(r::in_range(1, r::kMaxSchedules, "give how many schedules to try"));

  auto* replay = app.add_subcommand("replay", "rerun a reproducer and say how often it gives the same verdict");
  std::string repro;
  unsigned times = 1;
  // ExistingFile: a folder would make the reproducer's reader throw instead of refusing it.
  replay->add_option("reproducer", repro, "a reproducer.json written by run")->required()->check(CLI::ExistingFile);
  replay->add_option("--times", times, "how many replays")->transform(r::in_range(1, r::kMaxTimes, "give how many replays"));
  replay->add_flag("--json", json, "one JSON object on stdout");
  replay->add_flag("--backtrace", backtrace, "add gdb stacks to a deadlock diagnosis");

  auto* bench = app.add_subcommand("bench", "measure every mechanism's throughput and latency against this machine's limits");
  ipch::cli::BenchArgs bench_args;
  bench->add_flag("--quick", bench_args.quick, "fewer repeats and messages: within 2 minutes on 2 cores");
  bench->add_option("--mechanism", bench_args.mechanism, "one mechanism, or all (the default)")
      ->check(r::mechanism_name(true));
  bench->add_option("--out", bench_args.out, "folder for bench.json, bench.csv, bench.svg, bench.md (default ipch-runs/bench)");
  bench->add_flag("--json", bench_args.json, "print bench.json on stdout instead of the summary");

  auto* claims = app.add_subcommand("claims", "check each claim of the source text on this kernel and write a report");
  ipch::cli::ClaimsArgs claims_args;
  std::string claims_only;
  std::optional<std::uint64_t> claims_seed;
  claims->add_flag("--quick", claims_args.quick, "smaller runs and a quick benchmark: within 3 minutes on 2 cores");
  claims->add_option("--out", claims_args.out, "folder for report.html, report.md, report.json (default ipch-runs/claims)");
  claims->add_flag("--json", claims_args.json, "print report.json on stdout instead of the summary");
  // An empty list would silently mean every claim: minutes, not the few the user meant.
  claims->add_option("--only", claims_only, "comma-separated claim ids (ipc-harness list claims)")
      ->check(r::claim_ids());
  claims->add_option("--seed", claims_seed, "the seed every experiment derives from (default: random, always printed)")
      ->transform(r::seed_number());

  auto* check = app.add_subcommand("check", "run your own sender and receiver programs under faults and judge them");
  ipch::cli::CheckArgs check_args;
  std::optional<std::uint64_t> check_seed;
  check->add_option("--sender", check_args.sender, "the sender's command line (split like a shell, run without one)")->required();
  check->add_option("--receiver", check_args.receiver, "the receiver's command line")->required();
  check->add_option("--contract", check_args.contract,
                    "reliable|lossy,fifo|unordered,boundaries|bytes[,eof][,restart|no-restart][,window=N] "
                    "(default reliable,fifo,boundaries; restart unless eof). eof: the receiver must end by itself "
                    "once its sender has finished; restart: after a kill a new program takes over the channel; "
                    "window=N: a killed receiver may lose N messages");
  check->add_option("--fault", check_args.faults, "a fault for programs, repeatable (default: all, cycled over the cases)");
  check->add_option("--cases", check_args.cases, "how many cases (default 16)")
      ->transform(r::in_range(1, r::kMaxCases, "give how many cases to run"));
  check->add_option("--messages", check_args.messages, "messages per case (default 100)")
      ->transform(r::in_range(1, r::kMaxMessages, "give a count of messages per case"));
  check->add_option("--max-size", check_args.max_size, "largest message in bytes, envelope included (default 4096)")
      ->transform(r::in_range(r::kMinSize, r::kMaxSize, "a message holds at least its 32 B envelope, at most 16 MiB"));
  check->add_option("--seed", check_seed, "the seed every case derives from (default: random, always printed)")
      ->transform(r::seed_number());
  check->add_option("--stall-ms", check_args.stall_ms, "no progress for this long is a hang (default 5000)")
      ->transform(r::in_range(r::kMinStallMs, r::kMaxStallMs, "below 100 ms a busy machine looks like a hang"));
  check->add_option("--junit", check_args.junit, "write JUnit XML here: one testcase per program pair x fault");
  check->add_option("--shard", check_args.shard, "i/n: run the cases whose index % n == i (default 0/1)")
      ->check(r::shard_form());
  check->add_option("--out", check_args.out, "folder for failing cases' reproducers, timeline.html, histories and stderr (default ipch-check)");
  check->add_option("--corpus", check_args.corpus, "replay the reproducers in this folder first; add new failures to it");
  check->add_flag("--json", check_args.json, "one JSON object on stdout");
  std::string check_schedule = "os";
  check->add_option("--schedule", check_schedule,
                    "who runs next at each IPC call: os (the kernel decides, the default), random, pct[:depth=D] or "
                    "dfs[:preemptions=P]; works for programs in any language, static ones too")
      ->transform(r::schedule_spec());
  check->add_option("--schedules", check_args.schedules, "schedules to try per case until one fails (default 1)")
      ->transform(r::in_range(1, r::kMaxSchedules, "give how many schedules to try"));
  ipch::cli::add_judge(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (*claims) {
    for (std::size_t at = 0; at < claims_only.size();) {
      auto comma = claims_only.find(',', at);
      if (comma == std::string::npos) comma = claims_only.size();
      if (comma > at) claims_args.only.push_back(claims_only.substr(at, comma - at));
      at = comma + 1;
    }
    claims_args.seed = claims_seed ? *claims_seed : random_seed();
    for (int i = 0; i < argc; ++i) claims_args.command += (i ? " " : "") + std::string(argv[i]);
    return ipch::cli::claims(claims_args, std::cout, std::cerr);
  }
  if (*check) {
    check_args.seed = check_seed ? *check_seed : random_seed();
    check_args.schedule = *ipch::schedule::parse(check_schedule, nullptr);
    return ipch::cli::check(check_args, std::cout, std::cerr);
  }
  if (*bench) return ipch::cli::bench(bench_args, std::cout, std::cerr);
  if (*list) {
    if (what == "faults") return ipch::cli::list_faults(std::cout, json);
    if (what == "claims") return ipch::cli::list_claims(std::cout, json);
    return ipch::cli::list_mechanisms(std::cout, json);
  }
  if (*clean) {
    auto report = ipch::objects::clean_dead();
    for (const auto& r : report.removed) std::cout << "removed " << r << "\n";
    for (const auto& f : report.failed) std::cerr << "ipc-harness clean: could not remove " << f << "\n";
    if (report.removed.empty() && report.failed.empty()) std::cout << "nothing to clean\n";
    return report.failed.empty() ? 0 : 3;
  }
  if (*replay) {
    if (ipch::cli::is_check_reproducer(repro)) return ipch::cli::replay_check(repro, times, json, std::cout, std::cerr);
    return ipch::cli::replay(repro, times, json, backtrace, std::cout, std::cerr);
  }
  if (*run) {
    ipch::cli::RunArgs a;
    a.schedule = *ipch::schedule::parse(run_schedule, nullptr);
    a.schedules = run_schedules;
    ipch::Scenario& s = a.scenario;
    s.seed = seed ? *seed : random_seed();
    s.mechanism = mechanism;
    if (cases) {
      // Generated cases draw their own workload, settings and faults: only the seed and mechanism apply.
      ipch::cli::CasesArgs c{*cases, mechanism, s.seed, json, out, run_junit, run_shard, run_corpus, a.schedule, a.schedules};
      return ipch::cli::run_cases(c, std::cout, std::cerr);
    }
    if (run_junit || run_corpus || run_shard != "0/1") {
      std::cerr << "ipc-harness run: --junit, --shard and --corpus go with --cases N; add --cases, or drop them\n";
      return 2;
    }
    if (mechanism == "all") {
      std::cerr << "ipc-harness run: --mechanism all needs --cases N (generated cases); for one run name a mechanism: "
                << ipch::registry::names() << "\n";
      return 2;
    }
    if (!ipch::registry::find(mechanism)) {
      std::cerr << "ipc-harness run: unknown mechanism '" << mechanism << "'; use one of: " << ipch::registry::names()
                << "\n";
      return 2;
    }
    auto kind = ipch::workload_kind(workload);
    if (!kind) {
      std::cerr << "ipc-harness run: unknown workload '" << workload << "'; use one of: " << ipch::kWorkloadNames << "\n";
      return 2;
    }
    auto st = ipch::registry::parse_settings(settings);
    if (!st) {
      std::cerr << "ipc-harness run: --setting: " << st.error() << "\n";
      return 2;
    }
    s.settings = *st;
    s.workload.kind = *kind;
    s.workload.senders = senders.value_or(*kind == ipch::WorkloadKind::fan_in ? 4 : 1);
    s.workload.receivers = receivers.value_or(1);
    if (*kind != ipch::WorkloadKind::stream && receivers && *receivers != 1) {
      std::cerr << "ipc-harness run: the " << workload << " workload has exactly 1 receiver; drop --receivers\n";
      return 2;
    }
    if (*kind == ipch::WorkloadKind::request_response) s.workload.senders = 1;
    if (std::uint64_t n = std::uint64_t(s.workload.senders) + s.workload.receivers; n > ceiling.workers) {
      std::cerr << "ipc-harness run: --senders + --receivers: " << n << " workers is above " << ceiling.workers
                << "; " << ceiling.why << "\n";
      return 2;
    }
    s.workload.messages = messages;
    s.workload.max_size = max_size;
    s.workload.depth = depth;
    s.stall_ms = stall_ms;
    ipch::faults::Plan plan;
    for (const auto& spec : fault_specs) {
      auto f = ipch::faults::parse(spec);
      if (!f) {
        std::cerr << "ipc-harness run: --fault " << spec << ": " << f.error() << "\n";
        return 2;
      }
      plan.push_back(*f);
    }
    s.faults = ipch::faults::to_json(plan);
    try {
      ipch::resolve_faults(s);
    } catch (const ipch::BadInput& e) {
      std::cerr << "ipc-harness run: " << e.what() << "\n";
      return 2;
    }
    a.json = json;
    a.backtrace = backtrace;
    a.out = out;
    return ipch::cli::run(a, std::cout, std::cerr);
  }
  return 2;
}
