#include "run_history.hpp"

namespace ipch {

RunHistory::RunHistory(History& h, const Contract& c, HistorySink* sink) : h_(h), c_(c), sink_(sink) {
  if (sink_) h_.complete = false;
}

void RunHistory::add(const Event& e) {
  if (e.t_ns < released_t_) {
    release(e);  // later than the window: in place is no longer possible
    return;
  }
  window_.push({e, arrivals_++});
  std::uint64_t now = monotonic_ns();
  while (!window_.empty() && window_.top().e.t_ns + kHoldNs <= now) {
    Event out = window_.top().e;
    window_.pop();
    released_t_ = out.t_ns;
    release(out);
  }
}

void RunHistory::finish() {
  while (!window_.empty()) {
    Event out = window_.top().e;
    window_.pop();
    released_t_ = out.t_ns;
    release(out);
  }
  if (!sink_) return;
  if (!begun_) {
    sink_->begin(h_, c_);
    begun_ = true;
    announced_ = h_.workers.size();
  }
  for (; announced_ < h_.workers.size(); ++announced_) sink_->worker(h_.workers[announced_]);
  h_.events.insert(h_.events.end(), tail_.begin(), tail_.end());
  tail_.clear();
}

void RunHistory::release(const Event& e) {
  if (!sink_) {
    h_.events.push_back(e);
    return;
  }
  if (!begun_) {
    sink_->begin(h_, c_);
    begun_ = true;
    announced_ = h_.workers.size();
  }
  for (; announced_ < h_.workers.size(); ++announced_) sink_->worker(h_.workers[announced_]);
  sink_->event(e);
  if (h_.events.size() < kSample) {
    h_.events.push_back(e);
    return;
  }
  tail_.push_back(e);
  if (tail_.size() > kSample) {
    tail_.pop_front();
    ++h_.left_out;
  }
}

}  // namespace ipch
