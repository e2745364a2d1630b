#include "check.hpp"

#include <stdexcept>

#include "leaked.hpp"

namespace ipch {

Checkers::Checkers(const History& head, const Contract& c) : c_(c), delivery_(head, c_), liveness_(head) {}

void Checkers::add(const Event& e, std::uint64_t line) {
  delivery_.add(e, line);
  liveness_.add(e);
}

Report Checkers::finish(const Ending& end) {
  Report rep;
  rep.delivery = delivery_.finish();
  rep.violations = end.outside;
  rep.violations.insert(rep.violations.end(), rep.delivery.violations.begin(), rep.delivery.violations.end());
  rep.notes = rep.delivery.notes;
  std::optional<Stall> stall;
  if (end.deadlock) stall = Stall{end.stalled_ms, end.diagnosis};
  for (auto part : {liveness_.finish(stall), check_leaked(c_, end.leftovers)})
    rep.violations.insert(rep.violations.end(), part.begin(), part.end());
  if (std::string why = liveness_.expected_stall(); end.deadlock && !why.empty()) rep.notes.push_back(why);
  if (end.interrupted_by || (!end.error.empty() && !end.deadlock))
    rep.verdict = "error";
  else if (end.deadlock)
    rep.verdict = "deadlock";
  else
    rep.verdict = rep.violations.empty() ? "pass" : "violations";
  return rep;
}

Ending ending_of(const RunOutcome& r) {
  return {r.deadlock, r.stalled_ms, r.diagnosis, r.leftovers, r.error, r.interrupted_by, {}};
}

HistoryEnd history_end(const RunOutcome& r) {
  HistoryEnd e;
  e.deadlock = r.deadlock;
  e.stalled_ms = r.stalled_ms;
  for (const auto& b : r.diagnosis) e.diagnosis.push_back(to_json(b));
  e.leftovers = r.leftovers;
  e.objects = r.objects;
  e.error = r.error;
  e.interrupted_by = r.interrupted_by;
  e.notes = r.notes;
  e.max_message_size = r.cap;
  return e;
}

std::expected<Ending, std::string> ending_of(const HistoryEnd& e) {
  Ending end{e.deadlock, e.stalled_ms, {}, e.leftovers, e.error, e.interrupted_by, {}};
  for (const auto& j : e.diagnosis) {
    if (!j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer())
      return std::unexpected("a diagnosis entry without a pid");
    Blocked b;
    b.pid = j["pid"].get<pid_t>();
    b.role = j.value("role", "");
    b.state = j.value("state", "");
    b.wchan = j.value("wchan", "");
    b.syscall = j.value("syscall", "");
    b.fd = j.value("fd", -1);
    b.object = j.value("object", "");
    b.backtrace = j.value("backtrace", "");
    if (auto held = j.find("held_by"); held != j.end() && held->is_array()) {
      for (const auto& h : *held)
        if (h.is_object())
          b.others.push_back({h.value("pid", 0), h.value("role", ""), h.value("fd", -1), h.value("access", "")});
    }
    end.diagnosis.push_back(std::move(b));
  }
  for (const auto& v : e.violations_outside) {
    Violation out{v.value("kind", ""), v.value("detail", ""), {}};
    if (auto ms = v.find("messages"); ms != v.end() && ms->is_array())
      for (const auto& m : *ms)
        out.messages.push_back({m.value<std::uint8_t>("link", 0), m.value<std::uint32_t>("sender", 0),
                                m.value<std::uint64_t>("seq", 0)});
    end.outside.push_back(std::move(out));
  }
  return end;
}

Report check_all(const RunOutcome& r) {
  if (!r.history.complete) throw std::logic_error("check_all: a streamed run's history is only a sample");
  Checkers checkers(r.history, r.contract);
  for (std::size_t i = 0; i < r.history.events.size(); ++i) checkers.add(r.history.events[i], event_line(i));
  return checkers.finish(ending_of(r));
}

Result<void> write_run_history(const std::string& path, const RunOutcome& r, const Report& rep, nlohmann::json run,
                               const std::vector<Violation>& outside) {
  HistoryEnd end = history_end(r);
  end.verdict = rep.verdict;
  for (const auto& v : outside) end.violations_outside.push_back(to_json(v));
  return write_history(path, {r.history.workers, r.history.faults, r.contract, std::move(run)}, r.history.events, end);
}

nlohmann::json report_json(const Report& rep) {
  auto viol = nlohmann::json::array();
  for (const auto& v : rep.violations) viol.push_back(to_json(v));
  const DeliveryReport& d = rep.delivery;
  return {{"verdict", rep.verdict},
          {"violations", viol},
          {"counts", {{"sent", d.sent}, {"received", d.received}, {"lost", d.lost}, {"indeterminate", d.indeterminate}}}};
}

}  // namespace ipch
