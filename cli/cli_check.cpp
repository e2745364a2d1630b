#include "cli_check.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include "case_timeline.hpp"
#include "shard.hpp"
#include "driver.hpp"
#include "command_line.hpp"
#include "contract_spec.hpp"
#include "envelope.hpp"
#include "external_case.hpp"
#include "catalogue.hpp"
#include "preload.hpp"
#include "junit.hpp"
#include "program.hpp"
#include "reproducer.hpp"
#include "seed.hpp"
#include "stop_on_signal.hpp"
#include "sys.hpp"

namespace ipch::cli {

namespace fs = std::filesystem;
using external::CaseResult;
using external::CaseSpec;

namespace {

constexpr int kCheckFormat = 2;

struct Done {
  std::string label;     // "case 3" or "corpus x.json"
  CaseSpec spec;
  std::string verdict;
  std::vector<Violation> violations;
  std::vector<std::string> notes;
  std::string reproducer;  // path, when it failed
  std::string timeline;    // its timeline.html beside the reproducer, when written
  double seconds = 0;
  int interrupted_by = 0;  // SIGINT or SIGTERM during the case
  std::string sender_level, receiver_end;  // the protocol level each program spoke
  std::uint64_t schedules_tried = 0;       // under a controlled schedule
  std::optional<ScheduleRecord> schedule;  // the last schedule run: its decisions
};

// How a case is scheduled: by the kernel, by a strategy for up to `schedules` schedules (the
// first failing one is the case's verdict; each case's strategies derive from its seed), or by
// following recorded decisions (a replay).
struct CheckSchedule {
  schedule::Spec spec;
  std::uint64_t schedules = 1;
  std::optional<std::vector<schedule::Step>> follow;
};

struct CheckReproducer {
  CaseSpec spec;
  std::string verdict;
  std::optional<schedule::Spec> strategy;
  std::vector<schedule::Step> steps;
};

// A signal during a case (the case's loop saw it) or after its loop (the command's StopOnSignal kept it).
int interrupted(const Done& d) { return d.interrupted_by ? d.interrupted_by : stop_signal.load(); }

std::string one_line(const Done& d) {
  std::string s = d.verdict;
  if (!d.violations.empty()) s += ": " + d.violations.front().kind + ": " + d.violations.front().detail;
  return s;
}

nlohmann::json reproducer_json(const CaseSpec& c, const std::string& verdict, const schedule::Spec& strategy,
                               const std::optional<ScheduleRecord>& sched) {
  nlohmann::json j{{"format", kCheckFormat}, {"kind", "check"}, {"version", kVersion}, {"case", external::to_json(c)},
                   {"verdict", verdict}};
  if (sched && strategy.controlled())
    j["schedule"] = {{"strategy", strategy.text()}, {"decisions", sched->steps.size()}, {"steps", schedule::encode(sched->steps)}};
  return j;
}

std::expected<CheckReproducer, std::string> read_check_reproducer(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::unexpected(path + ": cannot be read; give the path of a reproducer.json written by check");
  nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return std::unexpected(path + ": not JSON; give a reproducer.json written by `ipc-harness check`");
  if (j.value("kind", "") != "check" || j.value("format", 0) != kCheckFormat)
    return std::unexpected(path + ": not a check reproducer of format " + std::to_string(kCheckFormat) +
                           " (\"kind\": \"check\", \"format\": 2)");
  if (!j.contains("case")) return std::unexpected(path + ": field 'case' is missing");
  auto c = external::case_from_json(j["case"]);
  if (!c) return std::unexpected(path + ": " + c.error());
  CheckReproducer out{*c, j.value("verdict", std::string("violations")), std::nullopt, {}};
  if (j.contains("schedule")) {
    const auto& sj = j["schedule"];
    std::string why;
    auto spec = sj.is_object() && sj.contains("strategy") && sj["strategy"].is_string()
                    ? schedule::parse(sj["strategy"].get<std::string>(), &why)
                    : Result<schedule::Spec>(std::unexpected(std::make_error_code(std::errc::invalid_argument)));
    auto steps = sj.is_object() && sj.contains("steps") && sj["steps"].is_string()
                     ? schedule::decode(sj["steps"].get<std::string>())
                     : Result<std::vector<schedule::Step>>(std::unexpected(std::make_error_code(std::errc::invalid_argument)));
    if (!spec || !steps)
      return std::unexpected(path + ": field 'schedule' must hold a 'strategy' and its recorded 'steps'; write a new one "
                                    "with `ipc-harness check --schedule`");
    out.strategy = *spec;
    out.steps = std::move(*steps);
  }
  return out;
}

// Writes the timeline.html of a failing case into `dir`. Returns its path iff written; else one
// line saying why (a note of the case: a missing picture never changes the verdict).
std::expected<std::string, std::string> write_check_timeline(const std::string& dir, const CaseSpec& spec,
                                                             const CaseResult& r, const std::string& verdict) {
  std::string title = fmt::format("{} | {}, contract {}, fault {}, seed {}: {}", fmt::join(spec.sender, " "),
                                  fmt::join(spec.receiver, " "), external::to_string(spec.contract), spec.fault,
                                  spec.seed, verdict);
  std::string path = fs::absolute(dir + "/timeline.html").string();
  Report rep = r.report;
  rep.verdict = verdict;
  if (auto w = write_timeline(path, r.outcome, rep, title); !w) return std::unexpected(w.error());
  return path;
}

// Runs one case and keeps, when it fails, a folder with its reproducer, timeline, history and
// stderr.
Done run_one(const std::string& label, const CaseSpec& spec, const std::string& dir, bool keep_always,
             const std::optional<std::string>& corpus, const CheckSchedule& sched = {}) {
  CaseResult r;
  std::uint64_t tried = 0;
  if (sched.follow) {
    r = external::run_case(spec, dir, {nullptr, sched.follow});
  } else if (!sched.spec.controlled() && sched.schedules == 1) {
    r = external::run_case(spec, dir);
  } else {
    schedule::Explorer explorer(sched.spec, derive_seed(spec.seed, "schedule"));
    for (std::uint64_t i = 0; i < sched.schedules; ++i) {
      if (explorer.exhausted()) break;
      std::shared_ptr<schedule::Strategy> strategy = explorer.next();  // null under os: a rerun
      r = external::run_case(spec, dir, {strategy, std::nullopt});
      ++tried;
      explorer.finished(r.outcome.schedule ? r.outcome.schedule->decisions : 0);
      if (r.report.verdict != "pass" || r.outcome.interrupted_by) break;
    }
  }
  Done d;
  d.schedules_tried = tried;
  d.schedule = r.outcome.schedule;
  d.label = label;
  d.spec = spec;
  d.verdict = r.report.verdict;
  d.violations = r.report.violations;
  d.notes = r.outcome.notes;
  d.notes.insert(d.notes.end(), r.report.notes.begin(), r.report.notes.end());
  d.seconds = r.seconds;
  d.sender_level = r.sender_level;
  d.receiver_end = r.receiver_end;
  for (const auto& b : r.outcome.diagnosis) d.notes.push_back("at the stall: " + b.summary());
  if (r.outcome.schedule && r.report.verdict != "pass") {
    const auto& story = r.outcome.schedule->story;
    for (std::size_t i = story.size() > 6 ? story.size() - 6 : 0; i < story.size(); ++i)
      d.notes.push_back("schedule, " + story[i]);
  }
  if (r.outcome.interrupted_by) d.verdict = "error";
  d.interrupted_by = r.outcome.interrupted_by;
  bool failed = d.verdict != "pass";
  if (failed || keep_always) {
    // What the checkers cannot see in the events (the programs' protocol, what they left) goes
    // in the end line, so that judge gives the same violations.
    std::vector<Violation> outside;
    for (const auto& v : r.report.violations)
      if (v.kind == kinds::protocol || (v.kind == kinds::leaked && r.outcome.leftovers.empty())) outside.push_back(v);
    // An interrupted case's history is not kept: writing a long one out would outlast the stop.
    if (!r.outcome.interrupted_by)
      (void)write_run_history(dir + "/history.jsonl", r.outcome, r.report,
                            {{"command", "check"}, {"case", external::to_json(spec)}}, outside);
    nlohmann::json result = {{"verdict", d.verdict}, {"case", external::to_json(spec)}, {"notes", d.notes},
                             {"seconds", d.seconds}};
    auto viol = nlohmann::json::array();
    for (const auto& v : d.violations) viol.push_back(to_json(v));
    result["violations"] = viol;
    std::ofstream(dir + "/result.json") << result.dump(2) << "\n";
  }
  if (failed && !r.outcome.interrupted_by) {
    d.reproducer = fs::absolute(dir + "/reproducer.json").string();
    std::ofstream(d.reproducer) << reproducer_json(spec, d.verdict, sched.spec, d.schedule).dump(2) << "\n";
    if (auto t = write_check_timeline(dir, spec, r, d.verdict)) d.timeline = *t;
    else d.notes.push_back(t.error());
    if (corpus) {
      std::error_code ec;
      fs::create_directories(*corpus, ec);
      std::string name = fmt::format("{}/{}-seed{}.json", *corpus, spec.fault, spec.seed);
      if (!fs::exists(name)) std::ofstream(name) << reproducer_json(spec, d.verdict, sched.spec, d.schedule).dump(2) << "\n";
    }
  } else if (!keep_always) {
    std::error_code ec;
    fs::remove_all(dir, ec);  // a passing case keeps nothing
  }
  return d;
}

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::localtime(&t));
  return buf;
}

std::string host() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string failure_text(const Done& d) {
  std::string t = fmt::format("{} fault {} seed {}: {}\n", d.label, d.spec.fault, d.spec.seed, d.verdict);
  for (const auto& v : d.violations) t += "  " + v.kind + ": " + v.detail + "\n";
  for (const auto& n : d.notes) t += "  note: " + n + "\n";
  if (!d.reproducer.empty()) t += "replay it: " + replay_command(d.reproducer) + "\n";
  return t;
}

// One testcase per program pair x fault: a fault's testcase fails iff any of its cases failed.
void write_junit(const std::string& path, const std::string& pair, const std::vector<Done>& done) {
  external::JUnitSuite suite;
  suite.name = "ipc-harness check " + pair;
  suite.timestamp = iso_now();
  suite.hostname = host();
  std::map<std::string, std::vector<const Done*>> by_fault;
  std::vector<std::string> order;
  for (const auto& d : done) {
    std::string key = d.label.rfind("corpus", 0) == 0 ? "corpus " + d.label.substr(7) : d.spec.fault;
    if (!by_fault.count(key)) order.push_back(key);
    by_fault[key].push_back(&d);
  }
  for (const auto& key : order) {
    external::JUnitCase tc;
    tc.name = key;
    tc.classname = "check." + pair;
    std::string fails, errors, out;
    std::size_t failed = 0, errored = 0;
    for (const Done* d : by_fault[key]) {
      tc.seconds += d->seconds;
      out += fmt::format("{} seed {}: {}\n", d->label, d->spec.seed, d->verdict);
      if (d->verdict == "error") {
        ++errored;
        errors += failure_text(*d);
      } else if (d->verdict != "pass") {
        ++failed;
        fails += failure_text(*d);
      }
    }
    if (failed) {
      const Done* first = nullptr;
      for (const Done* d : by_fault[key])
        if (d->verdict != "pass" && d->verdict != "error" && !first) first = d;
      tc.failure_message = fmt::format("{} of {} cases failed; first: {}", failed, by_fault[key].size(), one_line(*first));
      tc.text = fails;
    } else if (errored) {
      tc.error_message = fmt::format("{} of {} cases could not be judged", errored, by_fault[key].size());
      tc.text = errors;
    }
    tc.system_out = out;
    suite.cases.push_back(std::move(tc));
  }
  std::ofstream(path) << external::to_junit_xml({suite});
}

int exit_code_of(const std::vector<Done>& done) {
  bool failed = false, error = false;
  for (const auto& d : done) {
    if (d.verdict == "error") error = true;
    else if (d.verdict != "pass") failed = true;
  }
  return failed ? 1 : error ? 3 : 0;
}

}  // namespace

int check(const CheckArgs& a, std::ostream& out, std::ostream& err) {
  auto bad = [&](const std::string& why) {
    err << "ipc-harness check: " << why << "\n";
    return 2;
  };
  auto sender = external::split_command(a.sender);
  if (!sender) return bad("--sender: " + sender.error());
  auto receiver = external::split_command(a.receiver);
  if (!receiver) return bad("--receiver: " + receiver.error());
  for (const auto& [option, words] : {std::pair{"--sender", &*sender}, std::pair{"--receiver", &*receiver}})
    if (auto found = external::find_program(words->front()); !found) return bad(std::string(option) + ": " + found.error());
  auto contract = external::parse_contract(a.contract);
  if (!contract) return bad("--contract: " + contract.error());
  // --messages, --cases, --max-size and --stall-ms are held to their ranges by the parser (option_ranges).
  auto shard = campaign::parse_shard(a.shard);
  if (!shard) return bad("--shard '" + a.shard + "' is not i/n with 0 <= i < n (e.g. 0/4 ... 3/4)");
  std::vector<std::string> faults;
  bool fiu = !faults::fiu_preload_path().empty();
  std::vector<std::string> skipped;
  if (a.faults.empty()) {
    for (const auto& f : faults::program_faults()) {
      if (f.act == faults::Act::preload && !fiu) {
        skipped.push_back(std::string(f.name));
        continue;
      }
      faults.emplace_back(f.name);
    }
  } else {
    for (const auto& f : a.faults) {
      const faults::Entry* entry = faults::find_program(f);
      if (!entry)
        return bad("--fault '" + f + "' is not a fault for programs; use one of: " + faults::program_names());
      if (entry->act == faults::Act::preload && !fiu)
        return bad("--fault " + f + " needs libfiu's POSIX preload (/usr/lib/fiu/fiu_posix_preload.so); install "
                                    "fiu-utils, or drop the fault");
      faults.push_back(f);
    }
  }
  (void)sys::become_subreaper();  // a program's own children are ours to kill after each case
  StopOnSignal stop;
  const std::string pair = a.sender + " | " + a.receiver;
  std::vector<Done> done;
  auto header = fmt::format("ipc-harness check: {} cases (shard {}), {} messages of up to {} B, contract {}, seed {}\n",
                            a.cases, a.shard, a.messages, a.max_size, external::to_string(*contract), a.seed);
  if (!a.json) {
    out << header << "  sender:   " << a.sender << "\n  receiver: " << a.receiver << "\n";
    if (!skipped.empty())
      out << "  note: libfiu's POSIX preload is not installed, so these faults are skipped: " << fmt::format("{}", fmt::join(skipped, ", ")) << "\n";
  }
  int interrupted = 0;
  auto report = [&](const Done& d) {
    if (a.json) return;
    out << fmt::format("{} {} (seed {}): {} ({:.2f} s; sender {}, receiver ended {})\n", d.label, d.spec.fault,
                       d.spec.seed, d.verdict, d.seconds, d.sender_level, d.receiver_end);
    if (d.verdict == "pass") return;
    if (d.interrupted_by)
      out << "  interrupted by SIG" << sigabbrev_np(d.interrupted_by) << ": the programs were killed and their objects removed\n";
    for (const auto& v : d.violations) out << "  " << v.kind << ": " << v.detail << "\n";
    for (const auto& n : d.notes)
      if (n.find("IPC namespace") == std::string::npos) out << "  note: " << n << "\n";
    if (!d.reproducer.empty()) out << "  replay it: " << replay_command(d.reproducer) << "\n";
    if (!d.timeline.empty()) out << "  timeline: " << d.timeline << "\n";
  };
  try {
    std::string bad_corpus;
    campaign::Steps steps;
    // The corpus first: every saved reproducer must now pass.
    steps.corpus = campaign::corpus_files(a.corpus);
    steps.cases = a.cases;
    steps.shard = *shard;
    auto ran = [&](Done d) {
      report(d);
      done.push_back(std::move(d));
      return cli::interrupted(done.back()) ? campaign::Next::stop : campaign::Next::go_on;
    };
    steps.corpus_case = [&](const fs::path& f) {
      auto r = read_check_reproducer(f.string());
      if (!r) {
        bad_corpus = r.error();
        return campaign::Next::stop;
      }
      std::string dir = a.out + "/corpus-" + f.stem().string();
      CheckSchedule follow;
      if (r->strategy) follow = {*r->strategy, 1, r->steps};
      return ran(run_one("corpus " + f.filename().string(), r->spec, dir, false, std::nullopt, follow));
    };
    steps.generated_case = [&](std::uint64_t i) {
      CaseSpec c;
      c.sender = *sender;
      c.receiver = *receiver;
      c.contract = *contract;
      c.seed = derive_seed(a.seed, "case-" + std::to_string(i));
      c.messages = a.messages;
      c.max_size = a.max_size;
      c.fault = faults[i % faults.size()];
      c.stall_ms = a.stall_ms;
      c.at = external::fault_point(c);
      return ran(run_one(fmt::format("case {}/{}", i + 1, a.cases), c, fmt::format("{}/case-{}", a.out, i + 1), false,
                         a.corpus, {a.schedule, a.schedules, std::nullopt}));
    };
    campaign::Driven driven = campaign::drive(steps);
    if (!bad_corpus.empty()) return bad("--corpus: " + bad_corpus);
    interrupted = driven.signal;
  } catch (const BadInput& e) {
    return bad(e.what());
  } catch (const std::exception& e) {
    err << "ipc-harness check: harness error: " << e.what() << "\n";
    return 3;
  }
  if (a.junit) write_junit(*a.junit, pair, done);
  std::size_t passed = std::count_if(done.begin(), done.end(), [](const Done& d) { return d.verdict == "pass"; });
  if (a.json) {
    auto cases = nlohmann::json::array();
    for (const auto& d : done) {
      auto viol = nlohmann::json::array();
      for (const auto& v : d.violations) viol.push_back(to_json(v));
      cases.push_back({{"label", d.label}, {"fault", d.spec.fault}, {"seed", d.spec.seed}, {"verdict", d.verdict},
                       {"violations", viol}, {"notes", d.notes}, {"seconds", d.seconds},
                       {"sender_level", d.sender_level}, {"receiver_end", d.receiver_end},
                       {"reproducer", d.reproducer.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.reproducer)},
                       {"timeline", d.timeline.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.timeline)}});
      if (a.schedule.controlled() || a.schedules > 1) {
        cases.back()["schedules_tried"] = d.schedules_tried;
        if (d.schedule) cases.back()["decisions"] = d.schedule->decisions;
      }
    }
    int rc = exit_code_of(done);
    std::uint64_t tried = 0;
    for (const auto& d : done) tried += d.schedules_tried;
    out << nlohmann::json{{"verdict", rc == 0 ? "pass" : rc == 1 ? "violations" : "error"},
                          {"seed", a.seed},
                          {"contract", external::to_string(*contract)},
                          {"shard", a.shard},
                          {"passed", passed},
                          {"schedule", a.schedule.text()},
                          {"schedules_tried", tried},
                          {"cases", cases}}
               .dump()
        << "\n";
  } else {
    out << fmt::format("{} of {} cases passed", passed, done.size());
    if (a.junit) out << "; JUnit: " << *a.junit;
    out << "\n";
    if (passed != done.size()) out << "reproducers and the programs' stderr: " << a.out << "/\n";
  }
  if (interrupted) return 128 + interrupted;
  return exit_code_of(done);
}

bool is_check_reproducer(const std::string& path) {
  std::ifstream f(path);
  if (!f) return false;
  nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  return j.is_object() && j.value("kind", "") == "check";
}

int replay_check(const std::string& path, unsigned times, bool json, std::ostream& out, std::ostream& err) {
  auto r = read_check_reproducer(path);
  if (!r) {
    err << "ipc-harness replay: " << r.error() << "\n";
    return 2;
  }
  (void)sys::become_subreaper();
  StopOnSignal stop;
  std::string dir = fs::path(path).parent_path().string() + "/replay";
  unsigned same = 0;
  Done last;
  // Beside the reproducer: a copy of the last failing replay's timeline (the replay folder keeps
  // its own beside its reproducer).
  std::string timeline;
  auto keep_timeline = [&](const std::string& from) {
    std::string to = fs::absolute(fs::path(path).parent_path() / "timeline.html").string();
    std::string tmp = fmt::format("{}.tmp-{}", to, ::getpid());
    std::error_code ec;
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(tmp, to, ec);
    if (ec) {
      fs::remove(tmp, ec);
      err << "ipc-harness replay: cannot write " << to << ": " << ec.message() << "; check that its folder is writable\n";
      return;
    }
    timeline = to;
  };
  try {
    for (unsigned i = 0; i < times; ++i) {
      if (int sig = stop_signal.load(); sig) return 128 + sig;
      CheckSchedule follow;
      if (r->strategy) follow = {*r->strategy, 1, r->steps};  // the recorded decisions, exactly
      last = run_one("replay", r->spec, dir, true, std::nullopt, follow);
      if (int sig = interrupted(last); sig) return 128 + sig;
      if (!last.timeline.empty()) keep_timeline(last.timeline);
      if (last.verdict == r->verdict) ++same;
      if (!json && last.schedule && !last.schedule->divergence.empty()) out << "  " << last.schedule->divergence << "\n";
      if (!json) out << fmt::format("replay {}/{}: {}\n", i + 1, times, last.verdict);
    }
  } catch (const BadInput& e) {
    err << "ipc-harness replay: " << path << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "ipc-harness replay: harness error: " << e.what() << "\n";
    return 3;
  }
  if (json) {
    auto viol = nlohmann::json::array();
    for (const auto& v : last.violations) viol.push_back(to_json(v));
    out << nlohmann::json{{"verdict", last.verdict}, {"recorded_verdict", r->verdict}, {"times", times},
                          {"same_verdict", same}, {"violations", viol}, {"notes", last.notes},
                          {"timeline", timeline.empty() ? nlohmann::json(nullptr) : nlohmann::json(timeline)}}
               .dump()
        << "\n";
  } else {
    for (const auto& v : last.violations) out << "  " << v.kind << ": " << v.detail << "\n";
    out << fmt::format("{} of {} replays gave the recorded verdict '{}'\n", same, times, r->verdict);
    if (!timeline.empty()) out << "timeline: " << timeline << "\n";
  }
  return last.verdict == "pass" ? 0 : last.verdict == "error" ? 3 : 1;
}

}  // namespace ipch::cli
