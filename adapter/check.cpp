// check_properties and check_fault: generated cases through the real runner, judged by
// check_all, the first failure shrunk and kept as a reproducer that this binary replays.
#include <stdlib.h>

#include <csignal>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <random>

#include <ipch/adapter.hpp>

#include "adapter_internal.hpp"
#include "catalogue.hpp"
#include "check.hpp"
#include "fault_plan.hpp"
#include "generators.hpp"
#include "plan.hpp"
#include "reproducer.hpp"
#include "runner.hpp"
#include "seed.hpp"
#include "shrink.hpp"

namespace ipch::adapter {

namespace {

// A user's bad input (an environment variable, a reproducer) ends the check as an error whose
// message names it and the fix.
struct CheckError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::optional<std::uint64_t> env_u64(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  std::uint64_t n = 0;
  std::string_view s(v);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size()) {
    throw CheckError(std::string(name) + "='" + v + "' is not a number; set it to a decimal integer or unset it");
  }
  return n;
}

// Options with the environment's overrides applied and the seed fixed.
Options effective(Options o) {
  if (auto c = env_u64("IPCH_CASES")) o.cases = *c;
  if (auto s = env_u64("IPCH_SEED")) o.seed = *s;
  if (!o.seed) o.seed = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  if (o.cases == 0) o.cases = 1;
  if (o.max_messages == 0) o.max_messages = 1;
  return o;
}

std::string shell_quoted(const std::string& s) {
  if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-=+:,") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "<your test binary>" : shell_quoted(p.string());
}

// The scenario made to ask only for what the mechanism honours: the generator draws a capacity
// and blocking=false for any mechanism, and a setting the mechanism does not list would be
// refused at create().
void fit(Scenario& s, const Mechanism& m, const Options& o) {
  if (!honours(m, "capacity")) s.settings.capacity.reset();
  if (!honours(m, "blocking")) s.settings.blocking = true;
  if (!honours(m, "message_size")) s.settings.message_size.reset();
  s.stall_ms = o.stall_ms;
}

// The fault parameter the adapter decides for a user's mechanism (the buffer size, in the user's
// unit, comes from Options), set again after gen::smaller re-resolved them. Restart comes from
// the mechanism's traits (user_traits).
void fit_faults(Scenario& s, const Mechanism&, const Options& o) {
  auto plan = faults::plan_from_json(s.faults);
  if (!plan || plan->empty()) return;
  for (auto& f : *plan) {
    f.params.erase("capacity");
    const faults::Entry* e = faults::find(f.name);
    if (e && e->sets_capacity) f.params["capacity"] = std::to_string(o.full_buffer_capacity);
  }
  s.faults = faults::to_json(*plan);
  resolve_faults(s);
}

Scenario make_case(const Mechanism& m, const std::string& fault, const Options& o, std::uint64_t index) {
  gen::Options g;
  g.mechanism = m.name;
  g.max_messages = o.max_messages;
  g.max_size = o.max_size;
  g.faults = false;
  if (fault == "none") {
    Scenario s = gen::draw(g, *o.seed, index);
    fit(s, m, o);
    return s;
  }
  Scenario s = gen::draw(g, derive_seed(*o.seed, "adapter/" + fault), index);
  // As the generator does for its own faults: request-response keeps its default buffers and no
  // fault (its depth is sized to them), so a fault goes on a stream of the same size.
  if (s.workload.kind == WorkloadKind::request_response) {
    s.workload.kind = WorkloadKind::stream;
    s.workload.senders = s.workload.receivers = s.workload.depth = 1;
  }
  fit(s, m, o);
  s.faults = faults::to_json(faults::Plan{faults::Fault{fault, {}}});
  fit_faults(s, m, o);
  return s;
}

struct CaseVerdict {
  std::string verdict;
  std::vector<Violation> violations;
  std::vector<std::string> diagnosis;
  std::string error;
  bool interrupted = false;
};

// `schedule`: checked by check() before any case runs.
CaseVerdict run_case(const Scenario& s, const schedule::Spec& schedule) {
  CaseVerdict v;
  try {
    RunOptions ro;
    if (schedule.controlled()) ro.strategy = schedule::Explorer(schedule, derive_seed(s.seed, "schedule")).next();
    RunOutcome r = run_scenario(s, ro);
    Report rep = check_all(r);
    v.verdict = rep.verdict;
    for (const auto& x : rep.violations) v.violations.push_back({x.kind, x.detail});
    for (const auto& b : r.diagnosis) v.diagnosis.push_back(b.summary());
    v.error = r.error;
    v.interrupted = r.interrupted_by != 0;
  } catch (const BadInput& e) {
    v.verdict = "error";
    v.error = std::string("the case was refused: ") + e.what();
  } catch (const std::exception& e) {
    v.verdict = "error";
    v.error = e.what();
  }
  return v;
}

// Whether `now` shows the failure `first` showed: the same verdict and, for violations, one of
// the same kinds. Shrinking toward another failure would hand the user a different bug.
bool same_failure(const CaseVerdict& first, const CaseVerdict& now) {
  if (now.verdict != first.verdict) return false;
  if (first.violations.empty()) return true;
  for (const auto& a : now.violations)
    for (const auto& b : first.violations)
      if (a.kind == b.kind) return true;
  return false;
}

// The failing case kept in a fresh folder, its replay command written into the file as well.
std::string keep(const Scenario& s, const std::string& verdict) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ipc-adapter-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return "";
  std::string path = tmpl + "/reproducer.json";
  if (!write_reproducer(path, {s, verdict})) return "";
  // write_reproducer names `ipc-harness replay`, which does not know a mechanism of this binary.
  nlohmann::json j;
  {
    std::ifstream in(path);
    j = nlohmann::json::parse(in, nullptr, false);
  }
  if (!j.is_discarded()) {
    j["command"] = "IPCH_REPLAY=" + shell_quoted(path) + " " + self_exe();
    std::ofstream out(path, std::ios::trunc);
    out << j.dump(2) << "\n";
  }
  return path;
}

CheckResult base(const std::string& mechanism, const std::string& fault) {
  CheckResult r;
  r.mechanism = mechanism;
  r.fault = fault;
  return r;
}

CheckResult error_result(CheckResult r, const std::string& why) {
  r.passed = false;
  r.verdict = "error";
  r.error = why;
  return r;
}

void fill(CheckResult& r, const CaseVerdict& v) {
  r.passed = v.verdict == "pass";
  r.verdict = v.verdict;
  r.violations = v.violations;
  r.diagnosis = v.diagnosis;
  r.error = v.error;
}

// The replay asked for by IPCH_REPLAY, iff it names this check's mechanism. Not its fault: a
// fault check's failure may shrink to a case without the fault, and the replay command, filtered
// to the test that failed, must still run it.
std::optional<Scenario> replay_asked(const std::string& mechanism) {
  const char* path = std::getenv("IPCH_REPLAY");
  if (!path || !*path) return std::nullopt;
  auto rep = read_reproducer(path);
  if (!rep) throw CheckError("IPCH_REPLAY: " + rep.error());
  if (rep->scenario.mechanism != mechanism) return std::nullopt;
  return rep->scenario;
}

CheckResult check(const std::string& mechanism, const std::string& fault, const Options& options) {
  std::signal(SIGPIPE, SIG_IGN);  // EPIPE is data, in the runner and in the workers it forks
  CheckResult r = base(mechanism, fault);
  const Mechanism* m = find_registered(mechanism);
  if (!m) {
    return error_result(r, "mechanism '" + mechanism + "' is not registered; call register_mechanism (or use "
                           "IPCH_MECHANISM_SUITE) before checking it");
  }
  if (fault != "none") {
    auto fs = faults_for(mechanism);
    if (std::find(fs.begin(), fs.end(), fault) == fs.end()) {
      std::string all;
      for (const auto& f : fs) all += (all.empty() ? "" : ", ") + f;
      const faults::Entry* e = faults::find(fault);
      return error_result(r, "fault '" + fault + "' does not apply to " + mechanism + "; use one of: " + all +
                             (e && !e->needs_setting.empty()
                                  ? " (" + fault + " needs the " + e->needs_setting + " setting listed)"
                                  : ""));
    }
  }
  try {
    Options o = effective(options);
    std::string why;
    auto sched = schedule::parse(o.schedule, &why);
    if (!sched) return error_result(r, "Options::schedule: " + why);
    r.seed = *o.seed;
    r.rerun = "IPCH_SEED=" + std::to_string(r.seed) + " " + self_exe();
    if (auto s = replay_asked(mechanism)) {
      CaseVerdict v = run_case(*s, *sched);
      fill(r, v);
      r.cases = 1;
      r.seed = s->seed;  // the case's own: the check's seed did not choose it
      r.rerun.clear();
      r.scenario = gen::describe(*s) + " (replayed from IPCH_REPLAY=" + std::getenv("IPCH_REPLAY") + ")";
      return r;
    }
    for (std::uint64_t i = 0; i < o.cases; ++i) {
      Scenario s = make_case(*m, fault, o, i);
      CaseVerdict v = run_case(s, *sched);
      r.cases = i + 1;
      if (v.interrupted) return error_result(r, "interrupted by a signal");
      if (v.verdict == "pass") continue;
      std::string first = gen::describe(s);
      CaseVerdict last = v;
      auto shrunk = gen::shrink(
          s,
          [&](const Scenario& t) -> std::optional<bool> {
            Scenario u = t;
            fit(u, *m, o);
            fit_faults(u, *m, o);
            CaseVerdict w = run_case(u, *sched);
            if (w.interrupted) return std::nullopt;
            if (!same_failure(v, w)) return false;
            last = w;
            return true;
          },
          o.shrink_runs);
      Scenario f = shrunk.scenario;
      fit(f, *m, o);
      fit_faults(f, *m, o);
      fill(r, last);
      r.scenario = gen::describe(f);
      if (r.scenario != first) r.scenario += " (shrunk from " + first + ")";
      r.reproducer = keep(f, last.verdict);
      if (!r.reproducer.empty()) r.replay = "IPCH_REPLAY=" + shell_quoted(r.reproducer) + " " + self_exe();
      return r;
    }
    r.passed = true;
    r.verdict = "pass";
    return r;
  } catch (const std::exception& e) {
    return error_result(r, e.what());
  }
}

}  // namespace

CheckResult check_properties(const std::string& mechanism, const Options& options) {
  return check(mechanism, "none", options);
}

CheckResult check_fault(const std::string& mechanism, const std::string& fault, const Options& options) {
  if (fault == "none") return error_result(base(mechanism, fault), "fault 'none' is check_properties; name a fault of faults_for()");
  return check(mechanism, fault, options);
}

CheckResult check_fault_matrix(const std::string& mechanism, const Options& options) {
  Options o = options;
  CheckResult last = base(mechanism, "all");
  std::uint64_t cases = 0;
  auto fs = faults_for(mechanism);
  if (fs.empty()) return error_result(last, "mechanism '" + mechanism + "' is not registered; call register_mechanism first");
  for (const auto& f : fs) {
    CheckResult r = check(mechanism, f, o);
    if (!o.seed) o.seed = r.seed;  // one seed for the whole matrix, so one IPCH_SEED reruns it
    cases += r.cases;
    if (!r.passed) return r;
    last = r;
  }
  last.fault = "all";
  last.cases = cases;
  return last;
}

std::string CheckResult::message() const {
  std::string out = mechanism + ", fault " + fault + ": " + verdict;
  out += " in " + std::to_string(cases) + (cases == 1 ? " case" : " cases") + " (seed " + std::to_string(seed) + ")";
  std::size_t shown = 0;
  for (const auto& v : violations) {
    if (shown++ == 10) {
      out += "\n  ... and " + std::to_string(violations.size() - 10) + " more";
      break;
    }
    out += "\n  " + v.kind + ": " + v.detail;
  }
  for (const auto& d : diagnosis) out += "\n  " + d;
  if (!error.empty()) out += "\n  error: " + error;
  if (!scenario.empty()) out += "\n  case: " + scenario;
  if (!reproducer.empty()) out += "\n  reproducer: " + reproducer;
  if (!replay.empty()) out += "\n  replay it: " + replay;
  if (!passed && !rerun.empty()) out += "\n  rerun every case: " + rerun;
  return out;
}

}  // namespace ipch::adapter
