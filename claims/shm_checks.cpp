// The judgements of the shared-memory claims: pure functions from what the experiments saw to a
// Finding. The experiments are in shm_race.cpp, shm_lock_death.cpp and shm_copy_free.cpp.
#include "shm_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <map>

namespace ipch::claims {

namespace {

std::string errno_name(int e) {
  if (e == 0) return "0";
  const char* n = strerrorname_np(e);
  return n ? n : "errno " + std::to_string(e);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : "") + parts[i];
  return out;
}

std::string ms(double v) {
  return fmt::format("{:.1f} ms", v);
}

std::string lock_name(ShmKind k) {
  return k == ShmKind::posix ? "robust mutex" : "semaphore with SEM_UNDO";
}
std::string locking(ShmKind k, bool locked) {
  return locked ? lock_name(k) : "no lock";
}

nlohmann::json spans_json(const std::vector<Span>& s) {
  auto j = nlohmann::json::array();
  for (const auto& x : s) j.push_back({x.start_ms, x.end_ms});
  return j;
}

// The racers as lanes, each its span from start to end; for a counter, the shortfall on the
// first lane's end.
Timeline counter_timeline(const CounterRun& r) {
  Timeline t;
  t.title = r.describe();
  for (std::uint32_t i = 0; i < r.processes; ++i) {
    t.lanes.push_back("racer-" + std::to_string(i));
    if (i < r.spans.size()) {
      t.marks.push_back({i, r.spans[i].start_ms, Mark::Kind::note, "start", false});
      t.marks.push_back({i, r.spans[i].end_ms, Mark::Kind::end, "done", false});
    }
  }
  double end = 0;
  for (const auto& s : r.spans) end = std::max(end, s.end_ms);
  t.marks.push_back({0, end, Mark::Kind::error, fmt::format("{} of {}", r.final_value, r.expected()), true});
  t.caption = fmt::format("{} increments vanished while the racers overlapped", r.lost());
  return t;
}

// Writers and the reader as lanes; the first torn copy as a receipt on the reader's lane, linked
// from each write it holds words of.
Timeline torn_timeline(const TornRun& r) {
  Timeline t;
  t.title = r.describe();
  for (std::uint32_t i = 0; i < r.writers; ++i) t.lanes.push_back("writer-" + std::to_string(i));
  t.lanes.push_back("reader");
  const std::uint32_t reader = r.writers;
  for (std::uint32_t i = 0; i < r.spans.size() && i <= r.writers; ++i) {
    t.marks.push_back({i, r.spans[i].start_ms, Mark::Kind::note, "start", false});
    t.marks.push_back({i, r.spans[i].end_ms, Mark::Kind::end, "done", false});
  }
  if (r.first_torn) {
    const auto& f = *r.first_torn;
    t.marks.push_back({reader, f.t_ms, Mark::Kind::receive, fmt::format("copy #{} torn", f.copy), true});
    for (const auto& w : f.runs) {
      if (w.writer >= r.writers) continue;
      t.marks.push_back({w.writer, f.t_ms, Mark::Kind::send,
                         fmt::format("gen {}: words {}-{}", w.generation, w.first_word, w.first_word + w.words - 1),
                         false});
      t.links.push_back({w.writer, reader, f.t_ms, f.t_ms, true});
    }
  }
  t.caption = "one copy of the record holds words of several writes: no lock kept the writers and the reader apart";
  return t;
}

std::string torn_detail(const TornCopy& f) {
  std::vector<std::string> parts;
  for (const auto& w : f.runs) {
    parts.push_back(w.writer == ~0u ? fmt::format("words {}-{} still zero", w.first_word, w.first_word + w.words - 1)
                                    : fmt::format("words {}-{} writer {} gen {}", w.first_word,
                                                  w.first_word + w.words - 1, w.writer, w.generation));
  }
  if (f.more_runs) parts.push_back(fmt::format("{} more runs", f.more_runs));
  return fmt::format("first torn copy (#{} at {}): {}", f.copy, ms(f.t_ms), join(parts, ", "));
}

std::string holder_lane(const HolderDeath& h) {
  return fmt::format("holder (pid {})", h.holder_pid);
}
std::string waiter_lane(const HolderDeath& h) {
  return fmt::format("waiter (pid {})", h.waiter_pid);
}

Timeline stuck_timeline(const HolderDeath& h) {
  Timeline t;
  t.title = fmt::format("{}: its holder SIGKILLed while holding it", to_string(h.variant));
  t.lanes = {holder_lane(h), waiter_lane(h)};
  t.marks.push_back({0, h.t_lock_ms, Mark::Kind::note, "lock", false});
  t.marks.push_back({0, h.t_kill_ms, Mark::Kind::fault, "SIGKILL", true});
  t.marks.push_back({1, h.t_wait_ms, Mark::Kind::blocked, "waiting...", false});
  t.marks.push_back({1, h.t_end_ms, Mark::Kind::error,
                     h.stuck() ? fmt::format("timed out after {:.0f} ms", h.waited_ms) : errno_name(h.lock_errno),
                     true});
  t.caption = "the dead holder still owns the lock: nothing gives it back, so the waiter runs into its hang guard";
  return t;
}

}  // namespace

std::string_view mechanism_of(ShmKind k) {
  return k == ShmKind::posix ? "posix-shm" : "sysv-shm";
}

double overlap_ms(const std::vector<Span>& spans) {
  std::vector<std::pair<double, int>> edges;
  for (const auto& s : spans) {
    if (s.end_ms <= s.start_ms) continue;
    edges.push_back({s.start_ms, 1});
    edges.push_back({s.end_ms, -1});
  }
  std::sort(edges.begin(), edges.end());  // an end before a start at the same instant
  double total = 0, since = 0;
  int running = 0;
  for (const auto& [t, step] : edges) {
    if (running >= 2) total += t - since;
    running += step;
    since = t;
  }
  return total;
}

std::string CounterRun::describe() const {
  return fmt::format("{} counter, {}: {} processes, {} increments -> {} ({}), together {}", mechanism_of(kind),
                     locking(kind, locked), processes, increments, final_value,
                     corrupted() ? fmt::format("{} lost", lost()) : "exact", ms(overlap_ms(spans)));
}

std::string TornRun::describe() const {
  return fmt::format(
      "{} torn records, {}: {} writers, {} records of {} B, 1 reader -> {} of {} copies torn "
      "({} with several writers){}, together {}",
      mechanism_of(kind), locking(kind, locked), writers, records, record_bytes, torn, copies, mixed_writers,
      final_mixed ? "; the record left behind mixes writes" : "", ms(overlap_ms(spans)));
}

Finding judge_race(const RaceMeasurement& m, std::string_view replay) {
  Finding f;
  // Per mechanism present: did an unlocked run corrupt, did a locked run's processes meet.
  std::map<ShmKind, bool> corrupted_unlocked, locked_met;
  std::vector<std::string> bad_locked;
  auto json_counters = nlohmann::json::array();
  auto json_torn = nlohmann::json::array();
  std::uint64_t locked_runs = 0, locked_increments = 0, locked_copies = 0;

  for (const auto& r : m.counters) {
    corrupted_unlocked.try_emplace(r.kind, false);
    locked_met.try_emplace(r.kind, false);
    f.runs.push_back(fmt::format("{} counter, {}: {} processes x at most {} increments, at most {:.0f} ms",
                                 mechanism_of(r.kind), locking(r.kind, r.locked), r.processes, r.increments_cap,
                                 m.budget_ms));
    f.evidence.push_back(r.describe());
    json_counters.push_back({{"mechanism", mechanism_of(r.kind)},
                             {"locked", r.locked},
                             {"processes", r.processes},
                             {"increments_cap", r.increments_cap},
                             {"increments", r.increments},
                             {"final", r.final_value},
                             {"lost", r.corrupted() ? r.lost() : 0},
                             {"overlap_ms", overlap_ms(r.spans)},
                             {"spans_ms", spans_json(r.spans)}});
    if (!r.locked && r.corrupted()) corrupted_unlocked[r.kind] = true;
    if (r.locked) {
      ++locked_runs;
      locked_increments += r.increments;
      if (overlap_ms(r.spans) > 0) locked_met[r.kind] = true;
    }
    if (r.locked && r.corrupted()) {
      bad_locked.push_back(r.describe());
      f.counterexamples.push_back({r.describe(), std::string(replay), counter_timeline(r)});
    }
  }
  for (const auto& r : m.torn) {
    corrupted_unlocked.try_emplace(r.kind, false);
    locked_met.try_emplace(r.kind, false);
    f.runs.push_back(fmt::format(
        "{} torn records, {}: {} writers x at most {} records of {} B, 1 reader, at most "
        "{:.0f} ms",
        mechanism_of(r.kind), locking(r.kind, r.locked), r.writers, r.records_cap, r.record_bytes, m.budget_ms));
    f.evidence.push_back(r.describe());
    if (r.first_torn) f.evidence.push_back(fmt::format("{}: {}", mechanism_of(r.kind), torn_detail(*r.first_torn)));
    json_torn.push_back({{"mechanism", mechanism_of(r.kind)},
                         {"locked", r.locked},
                         {"writers", r.writers},
                         {"record_bytes", r.record_bytes},
                         {"records_cap", r.records_cap},
                         {"records", r.records},
                         {"copies", r.copies},
                         {"torn", r.torn},
                         {"mixed_writers", r.mixed_writers},
                         {"final_mixed", r.final_mixed},
                         {"overlap_ms", overlap_ms(r.spans)},
                         {"spans_ms", spans_json(r.spans)}});
    if (!r.locked && r.corrupted()) corrupted_unlocked[r.kind] = true;
    if (r.locked) {
      ++locked_runs;
      locked_copies += r.copies;
      if (overlap_ms(r.spans) > 0 && r.copies > 0) locked_met[r.kind] = true;
    }
    if (r.locked && r.corrupted()) {
      bad_locked.push_back(r.describe());
      f.counterexamples.push_back({r.describe(), std::string(replay), torn_timeline(r)});
    }
  }
  f.measurements = {{"cpus", m.cpus},
                    {"tries", m.tries},
                    {"budget_ms", m.budget_ms},
                    {"counters", json_counters},
                    {"torn", json_torn}};

  std::vector<std::string> raced, quiet, apart;
  for (const auto& [kind, c] : corrupted_unlocked) (c ? raced : quiet).push_back(std::string(mechanism_of(kind)));
  for (const auto& [kind, met] : locked_met)
    if (!met) apart.push_back(std::string(mechanism_of(kind)));
  if (!bad_locked.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = "even with a lock the data was corrupted: " + bad_locked.front();
    return f;
  }
  f.verdict = Verdict::not_checked;
  if (corrupted_unlocked.empty()) {
    f.condition = "no run was made";
  } else if (!quiet.empty()) {
    f.condition = fmt::format("no race observed in {} tries on {} CPUs", m.tries, m.cpus);
    if (!raced.empty()) f.condition += " in " + join(quiet, " and ") + " (" + join(raced, " and ") + " did corrupt)";
  } else if (!apart.empty()) {
    f.condition = "the locked runs of " + join(apart, " and ") +
                  " never had two processes at work together, so they show nothing about the lock";
  } else {
    f.verdict = Verdict::holds;
    f.evidence.insert(f.evidence.begin(),
                      fmt::format("without a lock every mechanism corrupted its data ({}); with one, {} locked runs "
                                  "({} increments, {} record copies) kept every update and every record whole",
                                  join(raced, ", "), locked_runs, locked_increments, locked_copies));
  }
  return f;
}

// ---- shm-lock-survives-holder-death

std::string_view to_string(LockVariant v) {
  switch (v) {
    case LockVariant::robust_mutex:
      return "robust mutex";
    case LockVariant::plain_mutex:
      return "plain mutex";
    case LockVariant::sem_undo:
      return "semaphore with SEM_UNDO";
    case LockVariant::sem_plain:
      return "semaphore without SEM_UNDO";
  }
  return "lock";
}

bool promises_recovery(LockVariant v) {
  return v == LockVariant::robust_mutex || v == LockVariant::sem_undo;
}

bool HolderDeath::recovered() const {
  if (lock_errno == 0) return relock_errno <= 0;
  return lock_errno == EOWNERDEAD && consistent_errno == 0 && relock_errno == 0;
}

std::string HolderDeath::outcome() const {
  if (stuck()) return fmt::format("ETIMEDOUT after {:.0f} ms: still held by the dead process", waited_ms);
  std::string s = lock_errno == 0 ? "got it" : errno_name(lock_errno);
  s += fmt::format(" after {}", ms(waited_ms));
  if (consistent_errno >= 0) {
    s += consistent_errno == 0 ? ", pthread_mutex_consistent worked"
                               : ", pthread_mutex_consistent gave " + errno_name(consistent_errno);
  }
  if (relock_errno >= 0)
    s += relock_errno == 0 ? ", and it locked again" : ", a second lock gave " + errno_name(relock_errno);
  return s;
}

Finding judge_lock_death(const LockDeathMeasurement& m, std::string_view replay) {
  Finding f;
  std::vector<std::string> recovered, held, broken;
  auto variants = nlohmann::json::array();
  for (const auto& h : m.variants) {
    const bool posix = h.variant == LockVariant::robust_mutex || h.variant == LockVariant::plain_mutex;
    f.runs.push_back(
        fmt::format("{} in a {} segment: the holder takes it and is SIGKILLed; a waiter tries for at most {:.0f} ms",
                    to_string(h.variant), posix ? "posix-shm" : "sysv-shm", h.guard_ms));
    f.evidence.push_back(fmt::format("{}: holder {}; the waiter: {}", to_string(h.variant), h.holder_end, h.outcome()));
    variants.push_back({{"lock", to_string(h.variant)},
                        {"holder", h.holder_end},
                        {"lock_errno", errno_name(h.lock_errno)},
                        {"consistent_errno", h.consistent_errno < 0 ? "" : errno_name(h.consistent_errno)},
                        {"relock_errno", h.relock_errno < 0 ? "" : errno_name(h.relock_errno)},
                        {"waited_ms", h.waited_ms},
                        {"guard_ms", h.guard_ms},
                        {"recovered", h.recovered()}});
    std::string name(to_string(h.variant));
    if (h.variant == LockVariant::robust_mutex) name += " (EOWNERDEAD)";
    if (h.recovered()) {
      recovered.push_back(name);
      continue;
    }
    held.push_back(std::string(to_string(h.variant)));
    if (promises_recovery(h.variant))
      broken.push_back(fmt::format("a {} stayed held: {}", to_string(h.variant), h.outcome()));
    f.counterexamples.push_back(
        {fmt::format("{}: its holder was SIGKILLed holding it; the next taker: {}", to_string(h.variant), h.outcome()),
         std::string(replay), stuck_timeline(h)});
  }
  auto harness = nlohmann::json::array();
  for (const auto& k : m.harness) {
    f.runs.push_back(fmt::format("harness: {} (replay: {})", k.describe, k.replay));
    f.evidence.push_back(fmt::format("the harness's {} ring under kill-lock-holder: {}", k.mechanism, k.verdict));
    harness.push_back({{"mechanism", k.mechanism}, {"verdict", k.verdict}, {"replay", k.replay}});
    if (k.counterexample) f.counterexamples.push_back(*k.counterexample);
    if (k.verdict == "deadlock")
      broken.push_back(fmt::format("the harness's {} ring deadlocked after its lock holder was killed", k.mechanism));
  }
  f.measurements = {{"variants", variants}, {"harness", harness}};

  if (m.variants.empty()) {
    f.verdict = Verdict::not_checked;
    f.condition = "no lock was tried";
  } else if (!broken.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = join(broken, "; ");
  } else if (held.empty()) {
    f.verdict = Verdict::holds;
  } else {
    f.verdict = Verdict::holds_only_if;
    f.condition = "the lock survives its holder's death: " + join(recovered, " or ") + "; " + join(held, " or ") +
                  (held.size() == 1 ? " stays" : " stay") + " held by the dead process for ever";
  }
  return f;
}

// ---- shm-copy-free

Finding judge_copy_free(const CopyFreeMeasurement& m, std::string_view replay) {
  Finding f;
  const std::uint64_t words = m.bytes / sizeof(std::uint64_t);
  const std::string reader_end = m.reader ? m.reader->describe() : "still running at the hang guard";
  const std::string control_end = m.control ? m.control->describe() : "still running at the hang guard";
  f.runs = {fmt::format("posix-shm: a writer fills {} B and sets a flag; a reader under a seccomp filter that kills "
                        "any system call but exit spins on the flag and checks every word in place",
                        m.bytes),
            "control: a pipe reader under the same filter, a byte waiting for it",
            fmt::format("pipe: a writer writes the same {} B, a reader read()s them", m.bytes)};
  f.measurements = {{"bytes", m.bytes},           {"filter_errno", errno_name(m.filter_errno)},
                    {"reader", reader_end},       {"reader_done", m.reader_done},
                    {"spins", m.spins},           {"wrong_words", m.wrong_words},
                    {"faults", m.faults},         {"control", control_end},
                    {"pipe_reads", m.pipe_reads}, {"pipe_wrong_bytes", m.pipe_wrong}};
  if (m.filter_errno != 0) {
    f.verdict = Verdict::not_checked;
    f.condition = "no seccomp filter here (" + errno_name(m.filter_errno) +
                  "): nothing can show that the reader made no system call";
    f.evidence.push_back("installing the seccomp filter failed: " + errno_name(m.filter_errno));
    return f;
  }
  if (m.reader_done) {
    f.evidence.push_back(
        fmt::format("the filtered reader saw the flag after {} spins and checked {} words in place: "
                    "{} wrong; it ended with {}",
                    m.spins, words, m.wrong_words, reader_end));
  } else {
    f.evidence.push_back("the filtered reader never reported checking the bytes; it ended with " + reader_end);
  }
  if (m.faults >= 0)
    f.evidence.push_back(fmt::format("the reader's page faults while it waited and checked: {}", m.faults));
  f.evidence.push_back("control: a pipe reader under the same filter, a byte waiting for it: " + control_end);
  f.evidence.push_back(
      fmt::format("a pipe carried the same {} B in {} read() calls, {} B wrong", m.bytes, m.pipe_reads, m.pipe_wrong));

  const bool reader_sigsys = m.reader && m.reader->signal == SIGSYS;
  if (reader_sigsys || (m.reader_done && m.wrong_words > 0)) {
    f.verdict = Verdict::refuted;
    f.condition = reader_sigsys
                      ? "the shared-memory reader needed a system call: killed by SIGSYS"
                      : fmt::format("the reader saw {} of {} words differ from the writer's", m.wrong_words, words);
    f.counterexamples.push_back({f.condition, std::string(replay), std::nullopt});
    return f;
  }
  f.verdict = Verdict::not_checked;
  if (!m.reader_done) {
    f.condition = "the reader never saw the writer's flag before the hang guard (" + reader_end + ")";
  } else if (!m.control || m.control->signal != SIGSYS) {
    f.condition = "the filter did not stop a pipe reader's read() (" + control_end + "), so it proves nothing";
  } else if (!m.reader || m.reader->signal != 0 || m.reader->code != 0) {
    f.condition = "the reader ended with " + reader_end;
  } else {
    f.verdict = Verdict::holds;
    f.evidence.insert(f.evidence.begin(),
                      fmt::format("a reader allowed no system call but exit saw all {} B the writer stored, "
                                  "where a pipe reader needed {} read() calls",
                                  m.bytes, m.pipe_reads));
  }
  return f;
}

}  // namespace ipch::claims
