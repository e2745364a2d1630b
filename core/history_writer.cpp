#include "history_writer.hpp"

#include <fcntl.h>

namespace ipch {

namespace {
constexpr std::size_t kFlushAt = 1 << 20;
}

HistoryWriter::HistoryWriter(std::string path) : path_(std::move(path)) {
  auto fd = sys::open(path_, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd) fd_ = std::move(*fd);
  else error_ = fd.error();
  buf_.reserve(kFlushAt + 4096);
}

Result<void> HistoryWriter::status() const {
  if (error_) return std::unexpected(error_);
  return {};
}

void HistoryWriter::line(const nlohmann::json& j) {
  buf_ += j.dump();
  buf_ += '\n';
  ++lines_;
  maybe_flush();
}

void HistoryWriter::head(const HistoryHead& h) {
  workers_ = h.workers;
  faults_ = h.faults;
  line(head_json(h));
}

void HistoryWriter::worker(const WorkerInfo& w) {
  if (workers_.size() <= w.index) workers_.resize(w.index + 1);
  workers_[w.index] = w;
  line({{"added_worker", worker_json(w)}});
}

void HistoryWriter::event(const Event& e) {
  append_event_line(buf_, e, workers_, faults_);
  ++lines_;
  maybe_flush();
}

void HistoryWriter::end(const HistoryEnd& e) {
  line(end_json(e));
  (void)flush();
}

void HistoryWriter::maybe_flush() {
  if (buf_.size() >= kFlushAt) (void)flush();
}

Result<void> HistoryWriter::flush() {
  if (!error_ && fd_.valid() && !buf_.empty()) {
    if (auto w = sys::write_all(fd_.get(), std::as_bytes(std::span(buf_)), Deadline::never()); !w) error_ = w.error();
  }
  buf_.clear();
  return status();
}

Result<void> write_history(const std::string& path, const HistoryHead& head, const std::vector<Event>& events,
                           const HistoryEnd& end) {
  HistoryWriter w(path);
  w.head(head);
  for (const Event& e : events) w.event(e);
  w.end(end);
  return w.status();
}

}  // namespace ipch
