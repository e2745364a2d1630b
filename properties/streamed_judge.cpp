#include "streamed_judge.hpp"

namespace ipch {

StreamedJudge::StreamedJudge(const std::string& path, nlohmann::json run) : path_(path), run_(std::move(run)) {
  if (!path_.empty()) writer_ = std::make_unique<HistoryWriter>(path_);
}

void StreamedJudge::begin(const History& head, const Contract& c) {
  head_.workers = head.workers;
  head_.faults = head.faults;
  contract_ = c;
  if (writer_) writer_->head({head_.workers, head_.faults, contract_, run_});
  checkers_ = std::make_unique<Checkers>(head_, contract_);
}

void StreamedJudge::worker(const WorkerInfo& w) {
  if (head_.workers.size() <= w.index) head_.workers.resize(w.index + 1);
  head_.workers[w.index] = w;
  if (writer_) writer_->worker(w);
  ++line_;
}

void StreamedJudge::event(const Event& e) {
  ++line_;
  if (writer_) writer_->event(e);
  checkers_->add(e, line_);
}

Report StreamedJudge::finish(const RunOutcome& r) {
  if (!checkers_) begin(r.history, r.contract);
  Report rep = checkers_->finish(ending_of(r));
  if (writer_) {
    HistoryEnd end = history_end(r);
    end.verdict = rep.verdict;
    writer_->end(end);
  }
  return rep;
}

Result<void> StreamedJudge::status() const {
  if (!writer_) return {};
  return writer_->status();
}

}  // namespace ipch
