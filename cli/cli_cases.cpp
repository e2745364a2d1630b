#include "cli_cases.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli_run.hpp"
#include "shard.hpp"
#include "driver.hpp"
#include "event.hpp"
#include "generators.hpp"
#include "junit.hpp"
#include "registry.hpp"
#include "reproducer.hpp"
#include "seed.hpp"
#include "shrink.hpp"
#include "stop_on_signal.hpp"

namespace ipch::cli {

namespace {

// A failing run is shrunk by at most this many reruns: each costs a real run, and a stall window
// each when the failure is a deadlock.
constexpr int kShrinkRuns = 40;

struct Tally {
  std::uint64_t cases = 0, failures = 0;
};

struct Failure {
  std::uint64_t index = 0;
  Scenario scenario;
  std::string verdict;
  std::string why;  // the first violation, diagnosis line or error
};

// One case's verdict; a scenario the runner refuses is the generator's bug, reported as an error.
struct CaseResult {
  std::string verdict;
  std::string why;
  int interrupted_by = 0;
};

// How each case is scheduled: by the kernel, or by a strategy for up to `schedules` schedules
// (the first failing one is the case's verdict). Each case's strategies derive from its seed, so
// shrinking a case reruns it under the same schedules.
struct Scheduling {
  schedule::Spec spec;
  std::uint64_t schedules = 1;
};

// `keep`, when given, receives the whole evaluation: what the timeline of a failure is drawn from.
// `history`: the history.jsonl to stream the run into; empty: none.
CaseResult run_one(const Scenario& s, Evaluation* keep = nullptr, const std::string& history = "",
                   const Scheduling& sched = {}) {
  try {
    Evaluation ev;
    if (!sched.spec.controlled() && sched.schedules == 1) {
      ev = evaluate(s, RunOptions{}, history);
    } else {
      schedule::Explorer explorer(sched.spec, derive_seed(s.seed, "schedule"));
      for (std::uint64_t i = 0; i < sched.schedules; ++i) {
        if (explorer.exhausted()) break;
        std::shared_ptr<schedule::Strategy> strategy = explorer.next();  // null under os: a rerun
        ev = evaluate(s, RunOptions{false, nullptr, strategy, std::nullopt}, history);
        explorer.finished(ev.outcome.schedule ? ev.outcome.schedule->decisions : 0);
        if (ev.verdict != "pass" || ev.outcome.interrupted_by) break;
      }
    }
    CaseResult r{ev.verdict, "", ev.outcome.interrupted_by};
    if (!ev.json["violations"].empty()) {
      r.why = ev.json["violations"][0].value("kind", "") + ": " + ev.json["violations"][0].value("detail", "");
    } else if (!ev.outcome.diagnosis.empty()) {
      r.why = ev.outcome.diagnosis.front().summary();
    } else if (!ev.outcome.error.empty()) {
      r.why = ev.outcome.error;
    }
    if (keep) *keep = std::move(ev);
    return r;
  } catch (const std::exception& e) {
    return {"error", std::string("the generated scenario was refused: ") + e.what(), 0};
  }
}

// Where a failing case's history goes: each run streams into `writing`, and a failing run's file
// is renamed to `kept`, so `kept` is always the history of the run whose verdict is reported.
struct HistoryFiles {
  std::string writing, kept;  // both empty: no history (the folder could not be made)
  // After a run into `writing`: keep it iff `failed`, else drop it.
  void settle(bool failed) const {
    if (writing.empty()) return;
    std::error_code ec;
    if (failed) std::filesystem::rename(writing, kept, ec);
    else std::filesystem::remove(writing, ec);
  }
};

// The smallest scenario that still fails with any verdict but pass; `evaluation` ends as its
// run's (gen::shrink keeps the last scenario that failed), and `files.kept` as its history.
Failure shrink(Failure f, Evaluation& evaluation, const HistoryFiles& files, std::ostream& progress, bool show,
               const Scheduling& sched) {
  auto fails = [&](const Scenario& t) -> std::optional<bool> {
    Evaluation ev;
    CaseResult r = run_one(t, &ev, files.writing, sched);
    if (r.interrupted_by) {
      files.settle(false);
      return std::nullopt;
    }
    if (show) progress << "  shrinking: " << gen::describe(t) << ": " << r.verdict << "\n";
    // A refused scenario never ran: its file is no history of it.
    files.settle(r.verdict != "pass" && !ev.verdict.empty());
    if (r.verdict == "pass") return false;
    f.verdict = r.verdict;
    f.why = r.why;
    evaluation = std::move(ev);
    return true;
  };
  f.scenario = gen::shrink(f.scenario, fails, kShrinkRuns).scenario;
  return f;
}

// A failure's reproducer: under a controlled schedule with the decisions of its last failing run.
Reproducer reproducer_of(const Failure& f, const Evaluation& ev, const schedule::Spec& spec) {
  Reproducer r{f.scenario, f.verdict};
  if (ev.outcome.schedule && !ev.verdict.empty()) {
    r.strategy = spec;
    r.steps = ev.outcome.schedule->steps;
  }
  return r;
}

// One testcase per mechanism x fault; a testcase fails iff one of its cases failed, and its text
// names each failing case and, for the shrunk first failure, the replay command.
void write_junit(const std::string& path, const std::map<std::pair<std::string, std::string>, Tally>& per_fault,
                 const std::vector<Failure>& failures, const std::optional<Failure>& first,
                 const std::optional<std::string>& repro, std::uint64_t seed) {
  external::JUnitSuite suite;
  suite.name = fmt::format("ipc-harness run --cases, seed {}", seed);
  char when[32];
  std::time_t t = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", std::localtime(&t));
  suite.timestamp = when;
  for (const auto& [k, tally] : per_fault) {
    external::JUnitCase tc;
    tc.classname = "run." + k.first;
    tc.name = k.second;
    tc.system_out = fmt::format("{} cases, {} failed\n", tally.cases, tally.failures);
    if (tally.failures) {
      std::string text;
      for (const auto& f : failures) {
        if (f.scenario.mechanism != k.first || gen::fault_name(f.scenario) != k.second) continue;
        text += fmt::format("case {}: {}: {} ({})\n", f.index + 1, gen::describe(f.scenario), f.verdict, f.why);
        if (!tc.failure_message) tc.failure_message = f.verdict + ": " + f.why;
      }
      if (first && first->scenario.mechanism == k.first && repro)
        text += fmt::format("shrunk to: {}: {}\nreplay it: {}\n", gen::describe(first->scenario), first->verdict,
                            replay_command(*repro));
      tc.text = text;
    }
    suite.cases.push_back(std::move(tc));
  }
  std::ofstream(path) << external::to_junit_xml({suite});
}


}  // namespace

int run_cases(const CasesArgs& a, std::ostream& out, std::ostream& err) {
  const Scheduling sched{a.schedule, a.schedules};
  if (a.cases == 0) {
    err << "ipc-harness run: --cases 0 runs nothing; use --cases 1 or more\n";
    return 2;
  }
  if (a.mechanism != "all" && !registry::find(a.mechanism)) {
    err << "ipc-harness run: unknown mechanism '" << a.mechanism << "'; use all or one of: " << registry::names()
        << "\n";
    return 2;
  }
  auto shard = campaign::parse_shard(a.shard);
  if (!shard) {
    err << "ipc-harness run: --shard '" << a.shard << "' is not i/n with 0 <= i < n (e.g. 0/4 ... 3/4)\n";
    return 2;
  }
  // Held for the whole command: a signal between cases, while one is set up or judged, or during
  // shrinking, ends it as surely as one during a run.
  StopOnSignal stop;
  gen::Options opts;
  opts.mechanism = a.mechanism;
  bool tty = !a.json && isatty(STDOUT_FILENO);
  std::vector<std::string> corpus_failed;
  std::map<std::string, Tally> per_mechanism;
  std::map<std::pair<std::string, std::string>, Tally> per_fault;
  std::vector<Failure> failures;
  Evaluation first_evaluation;  // the first failure's run, until shrinking finds a smaller one
  // The runs until the first failure and those of shrinking stream their history into the
  // folder, as `run` does: a failure is only known at its end, and a rerun might not fail again.
  std::string dir = a.out ? *a.out : fmt::format("ipch-runs/cases-seed{}", a.seed);
  std::error_code dir_ec;
  bool made = !std::filesystem::exists(dir, dir_ec);
  std::filesystem::create_directories(dir, dir_ec);
  HistoryFiles files;
  if (!dir_ec) {
    files.writing = fmt::format("{}/history.jsonl.{}.part", dir, ::getpid());
    files.kept = fmt::format("{}/history.jsonl.{}.failed", dir, ::getpid());
  }
  // Whatever ends the command, no part file is left, nor a folder made only for one.
  auto tidy = [&] {
    std::error_code ec;
    if (files.writing.empty()) return;
    std::filesystem::remove(files.writing, ec);
    std::filesystem::remove(files.kept, ec);
    if (made) {
      std::filesystem::remove(dir, ec);  // only if empty
      std::filesystem::remove(std::filesystem::path(dir).parent_path(), ec);
    }
  };
  auto t0 = monotonic_ns();
  std::uint64_t ran = 0;
  int bad_corpus = 0;
  campaign::Steps steps;
  // The corpus first: every reproducer saved there must now pass.
  steps.corpus = campaign::corpus_files(a.corpus);
  steps.cases = a.cases;
  steps.shard = *shard;
  steps.corpus_case = [&](const std::filesystem::path& f) {
    auto r = read_reproducer(f.string());
    if (!r) {
      err << "ipc-harness run: --corpus: " << r.error() << "\n";
      bad_corpus = 2;
      return campaign::Next::stop;
    }
    CaseResult c = run_one(r->scenario);
    if (c.interrupted_by) return campaign::Next::stop;
    if (!a.json) out << fmt::format("corpus {}: {}: {}{}\n", f.filename().string(), gen::describe(r->scenario),
                                    c.verdict, c.verdict == "pass" ? "" : " (" + c.why + ")");
    if (c.verdict != "pass") corpus_failed.push_back(f.string() + ": " + c.verdict + ": " + c.why);
    return campaign::Next::go_on;
  };
  bool header = false;
  auto print_header = [&] {
    if (header || a.json) return;
    header = true;
    out << fmt::format("ipc-harness run: {} generated cases over {}, seed {}\n", a.cases,
                       a.mechanism == "all" ? "every mechanism" : a.mechanism, a.seed);
  };
  steps.generated_case = [&](std::uint64_t i) {
    print_header();
    ++ran;
    Scenario s = gen::draw(opts, a.seed, i);
    Evaluation ev;
    bool first_yet = failures.empty();
    CaseResult r = run_one(s, &ev, first_yet ? files.writing : std::string(), sched);
    if (first_yet) files.settle(!r.interrupted_by && r.verdict != "pass" && !ev.verdict.empty());
    if (r.interrupted_by) return campaign::Next::stop;
    bool ok = r.verdict == "pass";
    std::string fault = gen::fault_name(s);
    for (Tally* t : {&per_mechanism[s.mechanism], &per_fault[{s.mechanism, fault}]}) {
      t->cases++;
      t->failures += ok ? 0 : 1;
    }
    if (!ok && failures.empty()) first_evaluation = std::move(ev);
    if (!ok) failures.push_back({i, s, r.verdict, r.why});
    double secs = double(monotonic_ns() - t0) / 1e9;
    double rate = double(ran) / std::max(secs, 1e-9);
    if (tty) {
      out << fmt::format("\r\033[Kcases {}/{}, failures {}, {:.1f} cases/s, ETA {}", i + 1, a.cases, failures.size(),
                         rate, campaign::eta(double(a.cases - i - 1) / shard->count / rate))
          << std::flush;
    } else if (!a.json) {
      out << fmt::format("case {}/{}: {}: {}{}\n", i + 1, a.cases, gen::describe(s), r.verdict,
                         ok ? "" : " (" + r.why + ")");
    }
    return campaign::Next::go_on;
  };
  campaign::Driven driven = campaign::drive(steps);
  if (bad_corpus || driven.signal) tidy();
  if (bad_corpus) return bad_corpus;
  if (driven.signal) {
    if (tty && ran) out << "\n";
    err << "ipc-harness run: interrupted by SIG" << sigabbrev_np(driven.signal) << " after " << ran << " cases\n";
    return 128 + driven.signal;
  }
  print_header();  // a shard with no case of its own still says what the run was
  if (tty) out << "\n";
  double secs = double(monotonic_ns() - t0) / 1e9;

  std::optional<Failure> first;
  std::optional<std::string> repro, timeline, history;
  if (!failures.empty()) {
    if (!a.json) {
      out << "shrinking case " << failures.front().index + 1 << ": " << gen::describe(failures.front().scenario) << "\n";
    }
    first = shrink(failures.front(), first_evaluation, files, out, !a.json, sched);
    if (int sig = stop_signal.load()) {  // a half-shrunk failure is no reproducer
      tidy();
      err << "ipc-harness run: interrupted by SIG" << sigabbrev_np(sig) << " while shrinking\n";
      return 128 + sig;
    }
    std::error_code ec = dir_ec;
    std::string path = std::filesystem::absolute(dir + "/reproducer.json").string();
    if (ec) err << "ipc-harness run: cannot create " << dir << ": " << ec.message() << "; choose another --out\n";
    else if (auto w = write_reproducer(path, reproducer_of(*first, first_evaluation, a.schedule)); !w)
      err << "ipc-harness run: " << w.error() << "\n";
    else repro = path;
    // A scenario the runner refused never ran: no history to draw.
    if (repro && !first_evaluation.verdict.empty()) {
      timeline = write_case_timeline(dir, first_evaluation, "ipc-harness run", err);
      std::string h = std::filesystem::absolute(dir + "/history.jsonl").string();
      if (!first_evaluation.history_error.empty()) {
        err << "ipc-harness run: " << first_evaluation.history_error << "\n";
      } else if (std::filesystem::rename(files.kept, h, ec); ec) {
        err << "ipc-harness run: cannot keep the history as " << h << ": " << ec.message() << "\n";
      } else {
        history = h;
      }
    }
    if (repro && a.corpus) {
      std::filesystem::create_directories(*a.corpus, ec);
      std::string saved = fmt::format("{}/{}-seed{}-case{}.json", *a.corpus, first->scenario.mechanism, a.seed,
                                      first->index + 1);
      if (auto w = write_reproducer(saved, reproducer_of(*first, first_evaluation, a.schedule)); !w)
        err << "ipc-harness run: --corpus: " << w.error() << "\n";
    }
  }
  tidy();
  if (a.junit) write_junit(*a.junit, per_fault, failures, first, repro, a.seed);

  if (a.json) {
    auto mechs = nlohmann::json::object();
    for (const auto& [m, t] : per_mechanism) mechs[m] = {{"cases", t.cases}, {"failures", t.failures}};
    auto table = nlohmann::json::array();
    for (const auto& [k, t] : per_fault) {
      table.push_back({{"mechanism", k.first}, {"fault", k.second}, {"cases", t.cases}, {"failures", t.failures}});
    }
    auto failed = nlohmann::json::array();
    for (const auto& f : failures) {
      failed.push_back({{"case", f.index + 1}, {"scenario", gen::describe(f.scenario)}, {"verdict", f.verdict},
                        {"why", f.why}});
    }
    nlohmann::json j = {
        {"verdict", first ? first->verdict : std::string("pass")},
        {"seed", a.seed},
        {"cases", ran},
        {"shard", a.shard},
        {"corpus_failed", corpus_failed},
        {"failures", failures.size()},
        {"seconds", secs},
        {"mechanisms", mechs},
        {"table", table},
        {"failed_cases", failed},
        {"first_failure", nullptr},
    };
    if (first) {
      j["first_failure"] = {{"case", first->index + 1}, {"verdict", first->verdict}, {"why", first->why},
                            {"scenario", to_json(first->scenario)},
                            {"reproducer", repro ? nlohmann::json(*repro) : nlohmann::json(nullptr)},
                            {"timeline", timeline ? nlohmann::json(*timeline) : nlohmann::json(nullptr)},
                            {"history", history ? nlohmann::json(*history) : nlohmann::json(nullptr)},
                            {"replay", repro ? nlohmann::json(replay_command(*repro)) : nlohmann::json(nullptr)}};
    }
    out << j.dump() << "\n";
  } else {
    out << fmt::format("\n{:<16}{:<18}{:>7}{:>8}\n", "mechanism", "fault", "cases", "failed");
    for (const auto& [k, t] : per_fault) {
      out << fmt::format("{:<16}{:<18}{:>7}{:>8}\n", k.first, k.second, t.cases, t.failures);
    }
    out << fmt::format("{} cases{}, {} failed, {:.1f} s ({:.1f} cases/s)\n", ran,
                       a.shard == "0/1" ? "" : " (shard " + a.shard + ")", failures.size(), secs,
                       double(ran) / std::max(secs, 1e-9));
    for (const auto& c : corpus_failed) out << "corpus reproducer still fails: " << c << "\n";
    if (first) {
      out << fmt::format("first failure, shrunk: {}: {}\n  {}\n", gen::describe(first->scenario), first->verdict,
                         first->why);
      if (repro) out << "reproducer: " << *repro << "\n";
      if (history) out << "history: " << *history << "\n";
      if (timeline) out << "timeline: " << *timeline << "\n";
      if (repro) out << "replay it: " << replay_command(*repro) << "\n";
      if (history) out << "judge it again: ipc-harness judge " << dir << "\n";
    } else {
      out << "verdict: pass\n";
    }
  }
  return failures.empty() && corpus_failed.empty() ? 0 : 1;
}

}  // namespace ipch::cli
