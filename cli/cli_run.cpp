#include "cli_run.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "case_timeline.hpp"
#include "check.hpp"
#include "envelope.hpp"
#include "reproducer.hpp"
#include "seed.hpp"
#include "streamed_judge.hpp"

namespace ipch::cli {

namespace {

std::string describe_workload(const Scenario& s) {
  const Workload& w = s.workload;
  switch (w.kind) {
    case WorkloadKind::request_response:
      return fmt::format("request-response, 1 client and 1 server, {} requests, depth {}", w.messages, w.depth);
    case WorkloadKind::fan_in:
      return fmt::format("fan-in, {} senders into 1 receiver, {} messages", w.senders, w.messages);
    case WorkloadKind::stream:
      break;
  }
  return fmt::format("stream, {} sender(s) to {} receiver(s), {} messages", w.senders, w.receivers, w.messages);
}

int exit_code(const std::string& verdict) {
  if (verdict == "pass") return 0;
  if (verdict == "error") return 3;
  return 1;
}

}  // namespace

Evaluation evaluate(const Scenario& s, const RunOptions& o, const std::string& history) {
  Evaluation ev;
  auto t0 = monotonic_ns();
  // The events go to the file and the checkers as they come: memory stays with the messages in
  // flight whatever the run's length.
  StreamedJudge judge(history, {{"command", "run"}, {"scenario", to_json(s)}});
  RunOptions streamed = o;
  streamed.sink = &judge;
  ev.outcome = run_scenario(s, streamed);
  const RunOutcome& r = ev.outcome;
  ev.report = judge.finish(r);
  double secs = double(monotonic_ns() - t0) / 1e9;
  if (auto w = judge.status(); !w) ev.history_error = "writing " + history + " failed: " + describe(w.error());
  const Report& rep = ev.report;
  const DeliveryReport& d = rep.delivery;
  ev.verdict = rep.verdict;

  auto viol = nlohmann::json::array();
  for (const auto& v : rep.violations) viol.push_back(to_json(v));
  auto diag = nlohmann::json::array();
  for (const auto& b : r.diagnosis) diag.push_back(to_json(b));
  std::vector<std::string> notes = r.notes;
  notes.insert(notes.end(), rep.notes.begin(), rep.notes.end());
  ev.json = {
      {"verdict", ev.verdict},
      {"seed", s.seed},
      {"mechanism", s.mechanism},
      {"workload", to_string(s.workload.kind)},
      {"violations", viol},
      {"diagnosis", diag},
      {"notes", notes},
      {"objects", r.objects},
      {"counts", {{"sent", d.sent}, {"received", d.received}, {"lost", d.lost}, {"indeterminate", d.indeterminate}}},
      {"max_message_size", r.cap},
      {"seconds", secs},
  };
  if (!r.error.empty()) ev.json["error"] = r.error;
  if (r.deadlock) ev.json["stalled_ms"] = r.stalled_ms;
  if (r.schedule) {
    ev.json["schedule"] = {{"decisions", r.schedule->decisions},
                           {"ns_per_decision", r.schedule->ns_per_decision},
                           {"deadlock_by_construction", r.schedule->deadlock},
                           {"tasks", r.schedule->tasks},
                           {"last_decisions", r.schedule->story}};
    if (!r.schedule->divergence.empty()) ev.json["divergence"] = r.schedule->divergence;
  }

  ev.title = fmt::format("{}, {}, sizes {}..{} B, seed {}", s.mechanism, describe_workload(s), kEnvelopeSize, r.cap,
                         s.seed);
  std::string t = "ipc-harness run: " + ev.title + "\n";
  for (const auto& n : notes) t += "  note: " + n + "\n";
  if (ev.verdict == "deadlock" && r.schedule && r.schedule->deadlock) {
    t += fmt::format("verdict: deadlock: after decision {} of the schedule every process left waits on another\n",
                     r.schedule->decisions);
    t += "  wait-for graph:\n";
    for (const auto& b : r.diagnosis) t += "    " + b.summary() + "\n";
    t += "  the last decisions:\n";
    for (const auto& line : r.schedule->story) t += "    " + line + "\n";
  } else if (ev.verdict == "deadlock") {
    t += fmt::format("verdict: deadlock: no worker made progress for {} ms (stall window {} ms)\n", r.stalled_ms,
                     s.stall_ms);
    for (const auto& b : r.diagnosis) {
      t += "  " + b.summary() + "\n";
      if (!b.backtrace.empty()) t += b.backtrace;
    }
  } else if (ev.verdict == "error") {
    t += "verdict: error: " + (r.interrupted_by ? std::string("interrupted by SIG") + sigabbrev_np(r.interrupted_by) : r.error) + "\n";
  } else {
    t += fmt::format("verdict: {} ({} sent, {} received, {:.2f} s)\n", ev.verdict, d.sent, d.received, secs);
    for (const auto& v : rep.violations) t += "  " + v.kind + ": " + v.detail + "\n";
  }
  ev.text = t;
  return ev;
}

std::optional<std::string> write_case_timeline(const std::string& dir, const Evaluation& ev, const std::string& who,
                                               std::ostream& err) {
  std::string path = std::filesystem::absolute(std::filesystem::path(dir) / "timeline.html").string();
  if (auto w = write_timeline(path, ev.outcome, ev.report, ev.title + ": " + ev.verdict); !w) {
    err << who << ": " << w.error() << "\n";
    return std::nullopt;
  }
  return path;
}

int run(const RunArgs& a, std::ostream& out, std::ostream& err) {
  // The history streams into the folder as the run goes, so the folder exists first. Without
  // --out only a failing run keeps one: the history is written under a name of this process
  // and kept as history.jsonl only if the run fails.
  std::string dir = a.out ? *a.out : fmt::format("ipch-runs/{}-seed{}", a.scenario.mechanism, a.scenario.seed);
  std::error_code ec;
  bool made = !std::filesystem::exists(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    err << "ipc-harness run: cannot create " << dir << ": " << ec.message() << "; choose another --out\n";
    return 3;
  }
  std::string history = dir + "/history.jsonl";
  std::string writing = a.out ? history : fmt::format("{}/history.jsonl.{}.part", dir, ::getpid());
  auto discard = [&] {
    std::filesystem::remove(writing, ec);
    if (made) {
      std::filesystem::remove(dir, ec);  // only if empty
      std::filesystem::remove(std::filesystem::path(dir).parent_path(), ec);
    }
  };
  Evaluation ev;
  std::uint64_t tried = 0;
  try {
    if (!a.schedule.controlled() && a.schedules == 1) {
      ev = evaluate(a.scenario, RunOptions{a.backtrace, nullptr, nullptr, std::nullopt}, writing);
    } else {
      // Schedule after schedule of the same case, until one fails (or DFS has seen them all).
      schedule::Explorer explorer(a.schedule, derive_seed(a.scenario.seed, "schedule"));
      for (std::uint64_t i = 0; i < a.schedules; ++i) {
        if (explorer.exhausted()) break;
        std::shared_ptr<schedule::Strategy> strategy = explorer.next();  // null under os: a rerun
        ev = evaluate(a.scenario, RunOptions{a.backtrace, nullptr, strategy, std::nullopt}, writing);
        ++tried;
        explorer.finished(ev.outcome.schedule ? ev.outcome.schedule->decisions : 0);
        if (ev.verdict != "pass" || ev.outcome.interrupted_by) break;
      }
      ev.json["schedules_tried"] = tried;
      ev.json["schedules_exhausted"] = explorer.exhausted();
      ev.json["strategy"] = a.schedule.text();
      if (ev.verdict != "pass") ev.text += fmt::format("schedule: {}, failed on schedule {} of {} tried\n", a.schedule.text(), tried, tried);
      else ev.text += fmt::format("schedule: {}, {} schedule(s) tried{}\n", a.schedule.text(), tried,
                                  explorer.exhausted() ? ", every one within the bound" : "");
    }
  } catch (const BadInput& e) {
    discard();
    err << "ipc-harness run: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    discard();
    err << "ipc-harness run: harness error: " << e.what() << "\n";
    return 3;
  }
  if (!a.out && ev.verdict == "pass") {
    discard();
    dir.clear();
  } else if (writing != history) {
    std::filesystem::rename(writing, history, ec);
  }
  if (!ev.history_error.empty()) err << "ipc-harness run: " << ev.history_error << "\n";
  std::optional<std::string> repro, timeline;
  if (!dir.empty() && ev.verdict != "pass") {
    std::string path = std::filesystem::absolute(dir + "/reproducer.json").string();
    Reproducer rep{a.scenario, ev.verdict, std::nullopt, {}};
    if (ev.outcome.schedule) {
      rep.strategy = a.schedule;
      rep.steps = ev.outcome.schedule->steps;
    }
    if (auto w = write_reproducer(path, rep); !w) err << "ipc-harness run: " << w.error() << "\n";
    else repro = path;
    timeline = write_case_timeline(dir, ev, "ipc-harness run", err);
  }
  ev.json["reproducer"] = repro ? nlohmann::json(*repro) : nlohmann::json(nullptr);
  ev.json["timeline"] = timeline ? nlohmann::json(*timeline) : nlohmann::json(nullptr);
  if (!dir.empty()) {
    ev.json["history"] = std::filesystem::absolute(history).string();
    std::ofstream(dir + "/result.json") << ev.json.dump(2) << "\n";
  }
  if (a.json) {
    out << ev.json.dump() << "\n";
  } else {
    out << ev.text;
    if (!dir.empty()) out << "history: " << history << "\n";
    if (repro) out << "reproducer: " << *repro << "\n";
    if (timeline) out << "timeline: " << *timeline << "\n";
    if (repro) out << "replay it: " << replay_command(*repro) << "\n";
    if (!dir.empty()) out << "judge it again: ipc-harness judge " << dir << "\n";
  }
  if (ev.outcome.interrupted_by) return 128 + ev.outcome.interrupted_by;
  return exit_code(ev.verdict);
}

int replay(const std::string& path, unsigned times, bool json, bool backtrace, std::ostream& out, std::ostream& err) {
  auto r = read_reproducer(path);
  if (!r) {
    err << "ipc-harness replay: " << r.error() << "\n";
    return 2;
  }
  unsigned same = 0;
  auto verdicts = nlohmann::json::array();
  Evaluation last;
  std::optional<Evaluation> failing;  // the last replay that failed: its timeline and history are written
  // Beside the reproducer: the folder a failing `run` or `run --cases` wrote it into. Each replay
  // streams its history under a name of this process; a failing one's replaces history.jsonl.
  std::string dir = std::filesystem::absolute(path).parent_path().string();
  std::string history = dir + "/history.jsonl";
  std::string writing = fmt::format("{}/history.jsonl.{}.part", dir, ::getpid());
  std::error_code ec;
  for (unsigned i = 0; i < times; ++i) {
    try {
      RunOptions o{backtrace, nullptr, nullptr, std::nullopt};
      if (r->strategy) o.follow = r->steps;  // the recorded decisions, exactly
      last = evaluate(r->scenario, o, writing);
    } catch (const BadInput& e) {
      std::filesystem::remove(writing, ec);
      err << "ipc-harness replay: " << path << ": " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      std::filesystem::remove(writing, ec);
      err << "ipc-harness replay: harness error: " << e.what() << "\n";
      return 3;
    }
    if (last.outcome.interrupted_by) {
      std::filesystem::remove(writing, ec);
      return 128 + last.outcome.interrupted_by;
    }
    verdicts.push_back(last.verdict);
    if (last.verdict != "pass") {
      if (!last.history_error.empty()) err << "ipc-harness replay: " << last.history_error << "\n";
      else if (std::filesystem::rename(writing, history, ec); ec)
        err << "ipc-harness replay: cannot keep the history as " << history << ": " << ec.message() << "\n";
      failing = last;
    }
    std::filesystem::remove(writing, ec);
    if (last.verdict == r->verdict) ++same;
    if (!json) out << fmt::format("replay {}/{}: {}\n", i + 1, times, last.verdict);
    if (!json && last.outcome.schedule && !last.outcome.schedule->divergence.empty())
      out << "  " << last.outcome.schedule->divergence << "\n";
  }
  std::optional<std::string> timeline;
  bool kept = failing && failing->history_error.empty() && std::filesystem::exists(history, ec);
  if (failing) timeline = write_case_timeline(dir, *failing, "ipc-harness replay", err);
  if (json) {
    nlohmann::json j = last.json;
    j["reproducer"] = path;
    j["timeline"] = timeline ? nlohmann::json(*timeline) : nlohmann::json(nullptr);
    j["history"] = kept ? nlohmann::json(history) : nlohmann::json(nullptr);
    j["recorded_verdict"] = r->verdict;
    j["times"] = times;
    j["same_verdict"] = same;
    j["verdicts"] = verdicts;
    out << j.dump() << "\n";
  } else {
    out << last.text;
    out << fmt::format("{} of {} replays gave the recorded verdict '{}'\n", same, times, r->verdict);
    if (kept) out << "history: " << history << "\n";
    if (timeline) out << "timeline: " << *timeline << "\n";
    if (kept) out << "judge it again: ipc-harness judge " << dir << "\n";
  }
  return exit_code(last.verdict);
}

}  // namespace ipch::cli
