#include "cli_judge.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "check.hpp"
#include "contract_spec.hpp"
#include "history_reader.hpp"

namespace ipch::cli {

namespace {
int exit_code(const std::string& verdict) {
  if (verdict == "pass") return 0;
  if (verdict == "error") return 3;
  return 1;
}
}  // namespace

int judge(const JudgeArgs& a, std::ostream& out, std::ostream& err) {
  std::string path = a.path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) path = (std::filesystem::path(path) / "history.jsonl").string();
  if (!std::filesystem::exists(path, ec)) {
    err << "ipc-harness judge: " << path << " does not exist; give a folder run --out wrote, or its history.jsonl\n";
    return 2;
  }
  auto reader = HistoryReader::open(path);
  if (!reader) {
    err << "ipc-harness judge: " << reader.error() << "\n";
    return 2;
  }
  Contract contract = reader->head().contract;
  if (a.contract) {
    auto c = external::parse_contract(*a.contract);
    if (!c) {
      err << "ipc-harness judge: --contract: " << c.error() << "\n";
      return 2;
    }
    contract = c->contract;
    contract.killed_receiver_window = c->window;
  }
  // The checkers hold a reference to this head: it grows as workers are added.
  auto head = std::make_unique<History>();
  head->workers = reader->head().workers;
  head->faults = reader->head().faults;
  Checkers checkers(*head, contract);
  std::uint64_t events = 0;
  for (;;) {
    auto item = reader->next();
    if (!item) {
      err << "ipc-harness judge: " << item.error() << "\n";
      return 2;
    }
    if (!*item) break;
    const auto& it = **item;
    if (it.kind == HistoryReader::Item::Kind::worker) {
      if (head->workers.size() <= it.worker.index) head->workers.resize(it.worker.index + 1);
      head->workers[it.worker.index] = it.worker;
      continue;
    }
    checkers.add(it.event, it.line);
    ++events;
  }
  HistoryEnd end = reader->end().value_or(HistoryEnd{});
  auto ending = ending_of(end);
  if (!ending) {
    err << "ipc-harness judge: " << path << " end line: " << ending.error() << "\n";
    return 2;
  }
  Report rep = checkers.finish(*ending);
  std::vector<std::string> notes = end.notes;
  if (!reader->end())
    notes.push_back("the history has no end line (its writer stopped before the run ended): judged as if it ended "
                    "there, without a stall or leftovers");
  notes.insert(notes.end(), rep.notes.begin(), rep.notes.end());
  if (a.json) {
    nlohmann::json j = report_json(rep);
    j["history"] = std::filesystem::absolute(path).string();
    j["events"] = events;
    j["notes"] = notes;
    j["diagnosis"] = end.diagnosis;
    if (end.deadlock) j["stalled_ms"] = end.stalled_ms;
    if (!end.error.empty()) j["error"] = end.error;
    j["recorded_verdict"] = reader->end() ? nlohmann::json(end.verdict) : nlohmann::json(nullptr);
    j["run"] = reader->head().run;
    out << j.dump() << "\n";
  } else {
    out << "ipc-harness judge: " << path << ", " << events << " events\n";
    for (const auto& n : notes) out << "  note: " << n << "\n";
    if (rep.verdict == "deadlock") {
      out << fmt::format("verdict: deadlock: no worker made progress for {} ms\n", end.stalled_ms);
      for (const auto& v : rep.violations) out << "  " << v.kind << ": " << v.detail << "\n";
    } else if (rep.verdict == "error") {
      out << "verdict: error: "
          << (end.interrupted_by ? "interrupted by SIG" + std::string(sigabbrev_np(end.interrupted_by)) : end.error)
          << "\n";
    } else {
      out << fmt::format("verdict: {} ({} sent, {} received)\n", rep.verdict, rep.delivery.sent, rep.delivery.received);
      for (const auto& v : rep.violations) out << "  " << v.kind << ": " << v.detail << "\n";
    }
    if (reader->end() && !end.verdict.empty() && end.verdict != rep.verdict)
      out << "  note: the run recorded '" << end.verdict << "'\n";
  }
  return exit_code(rep.verdict);
}

void add_judge(CLI::App& app) {
  auto args = std::make_shared<JudgeArgs>();
  auto* sub = app.add_subcommand("judge", "run the checkers again on a stored history.jsonl and give its verdict");
  sub->add_option("history", args->path, "a folder run, check or replay wrote, or a history.jsonl")->required();
  sub->add_option("--contract", args->contract,
                  "judge against these contract words instead of the file's (as check --contract: "
                  "reliable|lossy,fifo|unordered,boundaries|bytes[,eof][,window=N])");
  sub->add_flag("--json", args->json, "one JSON object on stdout");
  // Judging needs nothing the rest of main sets up, and main's codes after parsing are its own.
  sub->final_callback([args] {
    int rc = judge(*args, std::cout, std::cerr);
    std::cout.flush();
    std::cerr.flush();
    std::exit(rc);
  });
}

}  // namespace ipch::cli
