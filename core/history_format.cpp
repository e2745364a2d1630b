#include "history_format.hpp"

#include <fmt/format.h>

#include <cstring>
#include <string_view>

namespace ipch {

namespace {

constexpr int kLastEventKind = static_cast<int>(EventKind::would_block);
constexpr int kLastDamage = static_cast<int>(Damage::bad_body);

void append_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string signal_name(int sig) {
  const char* a = sigabbrev_np(sig);
  return a ? std::string("SIG") + a : std::to_string(sig);
}

bool is_message_event(EventKind k) {
  return k == EventKind::send_invoked || k == EventKind::send_ok || k == EventKind::send_failed ||
         k == EventKind::received || k == EventKind::would_block;
}

template <class T>
std::expected<T, std::string> number(const nlohmann::json& j, const char* key, T fallback, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return std::unexpected(std::string("'") + key + "' is missing");
    return fallback;
  }
  if (std::is_signed_v<T> ? !it->is_number_integer() : !it->is_number_unsigned())
    return std::unexpected(std::string("'") + key + "' is not " + (std::is_signed_v<T> ? "an integer" : "an unsigned number"));
  if constexpr (std::is_signed_v<T>) {
    auto v = it->get<std::int64_t>();
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
      return std::unexpected(std::string("'") + key + "' is out of range");
    return static_cast<T>(v);
  } else {
    auto v = it->get<std::uint64_t>();
    if (v > std::numeric_limits<T>::max()) return std::unexpected(std::string("'") + key + "' is out of range");
    return static_cast<T>(v);
  }
}

std::expected<std::string, std::string> text(const nlohmann::json& j, const char* key, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return std::unexpected(std::string("'") + key + "' is missing");
    return std::string();
  }
  if (!it->is_string()) return std::unexpected(std::string("'") + key + "' is not a string");
  return it->get<std::string>();
}

std::expected<std::vector<std::string>, std::string> texts(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (!it->is_array()) return std::unexpected(std::string("'") + key + "' is not an array of strings");
  for (const auto& x : *it) {
    if (!x.is_string()) return std::unexpected(std::string("'") + key + "' is not an array of strings");
    out.push_back(x.get<std::string>());
  }
  return out;
}

template <class E, int Last>
std::expected<E, std::string> enum_named(std::string_view name, const char* what) {
  for (int i = 0; i <= Last; ++i)
    if (to_string(static_cast<E>(i)) == name) return static_cast<E>(i);
  return std::unexpected(std::string("unknown ") + what + " '" + std::string(name) + "'");
}

template <class E>
std::expected<E, std::string> enum_in(const nlohmann::json& j, const char* key, std::initializer_list<E> values, E fallback) {
  auto t = text(j, key);
  if (!t) return std::unexpected(t.error());
  if (t->empty()) return fallback;
  for (E v : values)
    if (to_string(v) == *t) return v;
  return std::unexpected(std::string("unknown ") + key + " '" + *t + "'");
}

}  // namespace

void append_event_line(std::string& out, const Event& e, const std::vector<WorkerInfo>& workers,
                       const std::vector<std::string>& faults) {
  auto o = std::back_inserter(out);
  fmt::format_to(o, R"({{"t_ns":{},"worker":{},"event":"{}")", e.t_ns, e.worker, to_string(e.kind));
  if (e.worker < workers.size()) {
    out += R"(,"role":)";
    append_string(out, workers[e.worker].name());
    fmt::format_to(o, R"(,"pid":{})", workers[e.worker].pid);
  }
  if (is_message_event(e.kind))
    fmt::format_to(o, R"(,"link":{},"sender":{},"seq":{},"size":{})", e.link, e.sender, e.seq, e.size);
  if (e.kind == EventKind::received && e.damage != Damage::none) {
    out += R"(,"damage":)";
    append_string(out, to_string(e.damage));
  }
  if (e.kind == EventKind::send_failed || e.kind == EventKind::receive_failed) {
    if (e.kind == EventKind::receive_failed) fmt::format_to(o, R"(,"link":{})", e.link);
    out += R"(,"errno":)";
    append_string(out, e.err == kEndOfStream ? "end-of-stream" : describe({e.err, std::generic_category()}));
    fmt::format_to(o, R"(,"err":{})", e.err);
  }
  if (e.kind == EventKind::fault) {
    out += R"(,"fault":)";
    append_string(out, e.seq < faults.size() ? faults[e.seq] : std::to_string(e.seq));
    fmt::format_to(o, R"(,"fault_index":{},"action":"{}")", e.seq, to_string(static_cast<FaultAction>(e.err)));
    if (e.sender < workers.size()) {
      out += R"(,"target":)";
      append_string(out, workers[e.sender].name());
    }
    fmt::format_to(o, R"(,"target_worker":{})", e.sender);
  }
  if (e.kind == EventKind::finished)
    fmt::format_to(o, R"(,"eintr_retries":{},"short_io":{},"fault_points_fired":{})", e.seq, e.size, e.sender);
  if (e.kind == EventKind::exited) {
    if (e.err >= 0) fmt::format_to(o, R"(,"exit_code":{})", e.err);
    else fmt::format_to(o, R"(,"signal":"{}")", signal_name(-e.err));
    fmt::format_to(o, R"(,"stopped_by_runner":{})", e.stopped != 0);
  }
  out += "}\n";
}

nlohmann::json event_json(const Event& e, const std::vector<WorkerInfo>& workers, const std::vector<std::string>& faults) {
  std::string line;
  append_event_line(line, e, workers, faults);
  return nlohmann::json::parse(line);
}

std::expected<Event, std::string> event_from_json(const nlohmann::json& j, const std::vector<std::string>& faults) {
  Event e;
  auto kind = text(j, "event", true);
  if (!kind) return std::unexpected(kind.error());
  auto k = enum_named<EventKind, kLastEventKind>(*kind, "event");
  if (!k) return std::unexpected(k.error());
  e.kind = *k;
#define IPCH_FIELD(var, key, type, req)                 \
  {                                                     \
    auto v = number<type>(j, key, type{}, req);          \
    if (!v) return std::unexpected(v.error());          \
    var = *v;                                           \
  }
  IPCH_FIELD(e.t_ns, "t_ns", std::uint64_t, true)
  IPCH_FIELD(e.worker, "worker", std::uint32_t, true)
  IPCH_FIELD(e.link, "link", std::uint8_t, false)
  IPCH_FIELD(e.sender, "sender", std::uint32_t, false)
  IPCH_FIELD(e.seq, "seq", std::uint64_t, false)
  IPCH_FIELD(e.size, "size", std::uint64_t, false)
  IPCH_FIELD(e.err, "err", std::int32_t, false)
  auto damage = text(j, "damage");
  if (!damage) return std::unexpected(damage.error());
  if (!damage->empty()) {
    auto d = enum_named<Damage, kLastDamage>(*damage, "damage");
    if (!d) return std::unexpected(d.error());
    e.damage = *d;
  }
  switch (e.kind) {
    case EventKind::send_failed:
    case EventKind::receive_failed:
      if (!j.contains("err") && j.value("errno", "") == "end-of-stream") e.err = kEndOfStream;
      break;
    case EventKind::fault: {
      auto action = text(j, "action", true);
      if (!action) return std::unexpected(action.error());
      bool known = false;
      for (int a = 1; a <= static_cast<int>(FaultAction::bystander); ++a) {
        if (to_string(static_cast<FaultAction>(a)) == *action) {
          e.err = a;
          known = true;
        }
      }
      if (!known) return std::unexpected("unknown action '" + *action + "'");
      if (j.contains("fault_index")) {
        IPCH_FIELD(e.seq, "fault_index", std::uint64_t, true)
      } else {
        auto name = text(j, "fault");
        if (!name) return std::unexpected(name.error());
        for (std::size_t i = 0; i < faults.size(); ++i)
          if (faults[i] == *name) e.seq = i;
      }
      e.sender = e.worker;
      IPCH_FIELD(e.sender, "target_worker", std::uint32_t, false)
      if (!j.contains("target_worker")) e.sender = e.worker;
      break;
    }
    case EventKind::finished:
      IPCH_FIELD(e.seq, "eintr_retries", std::uint64_t, false)
      IPCH_FIELD(e.size, "short_io", std::uint64_t, false)
      IPCH_FIELD(e.sender, "fault_points_fired", std::uint32_t, false)
      break;
    case EventKind::exited: {
      auto stopped = j.find("stopped_by_runner");
      if (stopped != j.end()) {
        if (!stopped->is_boolean()) return std::unexpected("'stopped_by_runner' is not true or false");
        e.stopped = stopped->get<bool>() ? 1 : 0;
      }
      if (j.contains("exit_code")) IPCH_FIELD(e.err, "exit_code", std::int32_t, true)
      auto sig = text(j, "signal");
      if (!sig) return std::unexpected(sig.error());
      if (!sig->empty()) {
        int n = 0;
        for (int s = 1; s < 65 && !n; ++s)
          if (signal_name(s) == *sig) n = s;
        if (!n) return std::unexpected("unknown signal '" + *sig + "'");
        e.err = -n;
      }
      break;
    }
    default:
      break;
  }
#undef IPCH_FIELD
  return e;
}

nlohmann::json contract_json(const Contract& c) {
  nlohmann::json j = c;
  j["killed_receiver_window"] = c.killed_receiver_window;
  return j;
}

std::expected<Contract, std::string> contract_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::unexpected("'contract' is not an object");
  Contract c;
  auto bad = [](const std::string& why) { return std::unexpected("contract: " + why); };
  auto d = enum_in(j, "delivery", {Delivery::reliable, Delivery::lossy}, c.delivery);
  if (!d) return bad(d.error());
  c.delivery = *d;
  auto o = enum_in(j, "ordering", {Ordering::fifo, Ordering::per_priority, Ordering::per_type, Ordering::none}, c.ordering);
  if (!o) return bad(o.error());
  c.ordering = *o;
  auto dir = enum_in(j, "direction", {Direction::one_way, Direction::two_way}, c.direction);
  if (!dir) return bad(dir.error());
  c.direction = *dir;
  auto eos = enum_in(j, "end_of_stream",
                     {EndOfStream::none, EndOfStream::after_close, EndOfStream::after_close_or_death}, c.end_of_stream);
  if (!eos) return bad(eos.error());
  c.end_of_stream = *eos;
  for (auto [key, flag] : {std::pair{"boundaries", &c.boundaries}, std::pair{"outlives_creator", &c.outlives_creator},
                           std::pair{"many_senders", &c.many_senders}, std::pair{"many_receivers", &c.many_receivers}}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_boolean()) return bad(std::string("'") + key + "' is not true or false");
    *flag = it->get<bool>();
  }
  auto limit = number<std::uint64_t>(j, "atomic_write_limit", 0);
  if (!limit) return bad(limit.error());
  c.atomic_write_limit = *limit;
  auto window = number<std::uint32_t>(j, "killed_receiver_window", 0);
  if (!window) return bad(window.error());
  c.killed_receiver_window = *window;
  auto p = text(j, "persistence");
  if (!p) return bad(p.error());
  c.persistence = *p;
  auto note = text(j, "sharing_note");
  if (!note) return bad(note.error());
  c.sharing_note = *note;
  return c;
}

nlohmann::json worker_json(const WorkerInfo& w) {
  return {{"index", w.index}, {"role", to_string(w.role)}, {"rank", w.rank}, {"pid", w.pid}, {"name", w.name()}};
}

std::expected<WorkerInfo, std::string> worker_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::unexpected("a worker is not an object");
  WorkerInfo w;
  auto index = number<std::uint32_t>(j, "index", 0, true);
  if (!index) return std::unexpected("worker: " + index.error());
  w.index = *index;
  auto role = enum_in(j, "role",
                      {WorkerRole::sender, WorkerRole::receiver, WorkerRole::client, WorkerRole::server, WorkerRole::bystander},
                      WorkerRole::sender);
  if (!role) return std::unexpected("worker: " + role.error());
  w.role = *role;
  auto rank = number<std::uint32_t>(j, "rank", 0);
  if (!rank) return std::unexpected("worker: " + rank.error());
  w.rank = *rank;
  auto pid = number<std::int32_t>(j, "pid", 0);
  if (!pid) return std::unexpected("worker: " + pid.error());
  w.pid = *pid;
  return w;
}

nlohmann::json head_json(const HistoryHead& h) {
  auto workers = nlohmann::json::array();
  for (const auto& w : h.workers) workers.push_back(worker_json(w));
  return {{"history", "ipc-harness"}, {"version", kHistoryVersion}, {"workers", workers},
          {"faults", h.faults},       {"contract", contract_json(h.contract)}, {"run", h.run}};
}

std::expected<HistoryHead, std::string> head_from_json(const nlohmann::json& j) {
  if (j.value("history", "") != "ipc-harness") return std::unexpected("not an ipc-harness history header");
  auto version = number<std::int32_t>(j, "version", 0, true);
  if (!version) return std::unexpected(version.error());
  if (*version != kHistoryVersion)
    return std::unexpected("history version " + std::to_string(*version) + "; this ipc-harness reads version " +
                           std::to_string(kHistoryVersion));
  HistoryHead h;
  auto ws = j.find("workers");
  if (ws == j.end() || !ws->is_array()) return std::unexpected("'workers' is not an array");
  for (const auto& x : *ws) {
    auto w = worker_from_json(x);
    if (!w) return std::unexpected(w.error());
    if (w->index != h.workers.size()) return std::unexpected("workers are not listed in index order");
    h.workers.push_back(*w);
  }
  auto faults = texts(j, "faults");
  if (!faults) return std::unexpected(faults.error());
  h.faults = *faults;
  auto c = j.find("contract");
  if (c == j.end()) return std::unexpected("'contract' is missing");
  auto contract = contract_from_json(*c);
  if (!contract) return std::unexpected(contract.error());
  h.contract = *contract;
  if (auto run = j.find("run"); run != j.end() && run->is_object()) h.run = *run;
  return h;
}

nlohmann::json end_json(const HistoryEnd& e) {
  nlohmann::json j{{"deadlock", e.deadlock},   {"stalled_ms", e.stalled_ms},
                   {"diagnosis", e.diagnosis}, {"leftovers", e.leftovers},
                   {"objects", e.objects},     {"error", e.error},
                   {"interrupted_by", e.interrupted_by}, {"notes", e.notes},
                   {"max_message_size", e.max_message_size}, {"verdict", e.verdict},
                   {"violations_outside", e.violations_outside}};
  if (e.interrupted_by) j["interrupted_by_signal"] = signal_name(e.interrupted_by);
  return {{"end", j}};
}

std::expected<HistoryEnd, std::string> end_from_json(const nlohmann::json& outer) {
  const auto& j = outer.at("end");
  if (!j.is_object()) return std::unexpected("'end' is not an object");
  HistoryEnd e;
  if (auto d = j.find("deadlock"); d != j.end()) {
    if (!d->is_boolean()) return std::unexpected("'deadlock' is not true or false");
    e.deadlock = d->get<bool>();
  }
  auto stalled = number<std::uint64_t>(j, "stalled_ms", 0);
  if (!stalled) return std::unexpected(stalled.error());
  e.stalled_ms = *stalled;
  if (auto d = j.find("diagnosis"); d != j.end()) {
    if (!d->is_array()) return std::unexpected("'diagnosis' is not an array");
    e.diagnosis = *d;
  }
  for (auto [key, list] : {std::pair{"leftovers", &e.leftovers}, std::pair{"objects", &e.objects},
                           std::pair{"notes", &e.notes}}) {
    auto v = texts(j, key);
    if (!v) return std::unexpected(v.error());
    *list = *v;
  }
  auto error = text(j, "error");
  if (!error) return std::unexpected(error.error());
  e.error = *error;
  auto verdict = text(j, "verdict");
  if (!verdict) return std::unexpected(verdict.error());
  e.verdict = *verdict;
  auto sig = number<std::int32_t>(j, "interrupted_by", 0);
  if (!sig) return std::unexpected(sig.error());
  e.interrupted_by = *sig;
  auto cap = number<std::uint64_t>(j, "max_message_size", 0);
  if (!cap) return std::unexpected(cap.error());
  e.max_message_size = *cap;
  if (auto v = j.find("violations_outside"); v != j.end()) {
    if (!v->is_array()) return std::unexpected("'violations_outside' is not an array");
    for (const auto& x : *v)
      if (!x.is_object() || !x.contains("kind") || !x.contains("detail"))
        return std::unexpected("'violations_outside' holds something that is not a violation");
    e.violations_outside = *v;
  }
  return e;
}

}  // namespace ipch
