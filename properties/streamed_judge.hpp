// A run judged as it goes: each event is written to history.jsonl and fed to the checkers as it
// leaves the runner's window, so neither the file nor the verdict needs the run's events in
// memory. `judge` later reads the same lines in the same order into the same checkers.
#pragma once

#include <memory>
#include <string>

#include "check.hpp"
#include "history_sink.hpp"
#include "history_writer.hpp"

namespace ipch {

class StreamedJudge : public HistorySink {
 public:
  // `path`: history.jsonl to write; empty: judge without writing. `run`: the header's facts.
  StreamedJudge(const std::string& path, nlohmann::json run);

  void begin(const History& head, const Contract& c) override;
  void worker(const WorkerInfo& w) override;
  void event(const Event& e) override;

  // Once, after the run: the checkers' report on `r` (the outcome of the run streamed here), and
  // the end line written. `outside`: violations found outside the events, for the end line.
  Report finish(const RunOutcome& r);
  // {} iff every line so far was written (or no file was asked for).
  Result<void> status() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<HistoryWriter> writer_;
  nlohmann::json run_;
  History head_;  // workers and faults; its events stay empty
  Contract contract_;
  std::unique_ptr<Checkers> checkers_;
  std::uint64_t line_ = 1;  // the header
};

}  // namespace ipch
