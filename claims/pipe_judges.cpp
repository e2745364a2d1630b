// The judgements of the pipe and FIFO claims: pure functions from what was measured to a verdict,
// its condition, the evidence lines and the counterexamples.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "pipe_checks.hpp"
#include "pipe_util.hpp"

namespace ipch::claims {

using pipe_util::errno_name;

namespace {

std::string join(const std::vector<std::string>& parts, const std::string& sep, const std::string& last_sep) {
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) s += (i + 1 == parts.size()) ? last_sep : sep;
    s += parts[i];
  }
  return s;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

std::string sizes_list(const std::vector<std::size_t>& sizes) {
  std::vector<std::string> parts;
  for (auto s : sizes) parts.push_back(std::to_string(s));
  return join(parts, ", ", " and ") + " B";
}

}  // namespace

// ---- pipe-fifo-order -------------------------------------------------------------------------

Finding judge_order(const OrderMeasurement& m, const Context& ctx) {
  Finding f;
  if (m.runs.empty()) {
    f.condition = "no run was made";
    return f;
  }
  std::vector<std::string> bad;
  for (const auto& r : m.runs) {
    f.runs.push_back(
        fmt::format("{}: one writer process, {} writes of 1 B to {} B, {} B in all; one reader process, {} "
                    "reads of 1 B to {} B",
                    r.mechanism, r.writes, r.largest_write, r.bytes, r.reads, r.largest_read));
    f.measurements[r.mechanism] = {
        {"bytes", r.bytes},
        {"received", r.received},
        {"writes", r.writes},
        {"reads", r.reads},
        {"largest_write", r.largest_write},
        {"largest_read", r.largest_read},
        {"first_difference", r.first_difference ? nlohmann::json(*r.first_difference) : nlohmann::json(nullptr)},
        {"ms", r.ms}};
    if (!r.first_difference) {
      f.evidence.push_back(fmt::format("{}: {} of {} B read back in {:.0f} ms, byte-identical to the sequence written",
                                       r.mechanism, r.received, r.bytes, r.ms));
    } else if (*r.first_difference >= r.received) {
      bad.push_back(fmt::format("{}: the stream ended after {} of {} B", r.mechanism, r.received, r.bytes));
      f.evidence.push_back(bad.back());
    } else {
      bad.push_back(fmt::format("{}: byte {} of {} B differs from the byte written there (write #{}, read #{})",
                                r.mechanism, *r.first_difference, r.bytes, r.difference_write, r.difference_read));
      f.evidence.push_back(bad.back());
    }
  }
  if (bad.empty()) {
    f.verdict = Verdict::holds;
    return f;
  }
  f.verdict = Verdict::refuted;
  f.condition = bad.front();
  for (const auto& b : bad) f.counterexamples.push_back({b, ctx.replay, std::nullopt});
  return f;
}

// ---- fifo-unrelated --------------------------------------------------------------------------

Finding judge_unrelated(const UnrelatedMeasurement& m, const Context& ctx) {
  Finding f;
  f.runs.push_back("reader: " + m.reader_command);
  f.runs.push_back("writer: " + m.writer_command);
  f.measurements = {{"path", m.path},
                    {"is_fifo", m.is_fifo},
                    {"token_bytes", m.token.size()},
                    {"received_bytes", m.received.size()},
                    {"arrived", m.received == m.token},
                    {"sessions", {{"ours", m.our_session}, {"reader", m.reader_session}, {"writer", m.writer_session}}},
                    {"reader_wchan", m.reader_wchan},
                    {"writer_end", m.writer_end},
                    {"reader_end", m.reader_end},
                    {"ms", m.ms}};
  const bool arrived = m.received == m.token;
  f.evidence.push_back(arrived ? fmt::format("the token ({} B) one program wrote into the path arrived intact at the "
                                             "other",
                                             m.token.size())
                               : fmt::format("{} B of the {} B token arrived", m.received.size(), m.token.size()));
  f.evidence.push_back(fmt::format("stat(): {} {} a FIFO (S_ISFIFO)", m.path, m.is_fifo ? "is" : "is not"));
  f.evidence.push_back(fmt::format(
      "each program in a session of its own (reader {}, writer {}, ours {}); descriptors from 3 up closed before "
      "exec, stdin and stderr /dev/null: the path is all they share",
      m.reader_session, m.writer_session, m.our_session));
  if (!m.reader_wchan.empty()) {
    f.evidence.push_back("the reader slept in " + m.reader_wchan + " until the writer opened the path");
  }
  f.evidence.push_back(fmt::format("writer {}, reader {}, {:.0f} ms in all", m.writer_end, m.reader_end, m.ms));

  const bool separate = m.reader_session > 0 && m.writer_session > 0 && m.reader_session != m.writer_session &&
                        m.reader_session != m.our_session && m.writer_session != m.our_session;
  if (!m.is_fifo) {
    f.verdict = Verdict::refuted;
    f.condition = "stat() does not call " + m.path + " a FIFO";
  } else if (!separate) {
    f.verdict = Verdict::not_checked;
    f.condition = "the two programs did not get sessions of their own";
  } else if (arrived) {
    f.verdict = Verdict::holds;
  } else if (m.writer_end != "exit 0" || m.reader_end != "exit 0") {
    f.verdict = Verdict::not_checked;
    f.condition = fmt::format("the programs did not run: writer {}, reader {}", m.writer_end, m.reader_end);
  } else {
    f.verdict = Verdict::refuted;
    f.condition =
        fmt::format("both programs exited 0 but {} of {} B of the token arrived", m.received.size(), m.token.size());
    f.counterexamples.push_back({f.condition, ctx.replay, std::nullopt});
  }
  return f;
}

// ---- fifo-open-blocks ------------------------------------------------------------------------

namespace {

std::string open_result(const FifoOpen& o) {
  if (o.error == 0) return "a descriptor";
  if (o.error < 0) return fmt::format("killed by SIG{}", sigabbrev_np(-o.error));
  return errno_name(o.error);
}

Timeline open_timeline(const OpenMeasurement& m) {
  Timeline t;
  t.title = "open() of a FIFO with nobody on the other side";
  for (const auto& o : m.opens) t.lanes.push_back("open(" + o.how + ")");
  const auto us = static_cast<std::uint32_t>(m.opens.size());
  t.lanes.push_back("the other side (the report)");
  for (std::uint32_t i = 0; i < m.opens.size(); ++i) {
    const auto& o = m.opens[i];
    t.marks.push_back({i, o.t_open_ms, Mark::Kind::note, "open()", false});
    if (o.t_slept_ms >= 0) t.marks.push_back({i, o.t_slept_ms, Mark::Kind::blocked, "asleep in " + o.wchan, false});
    if (o.peer_opened) {
      t.marks.push_back({us, o.t_peer_ms, Mark::Kind::send, "opens the other side", false});
    }
    if (o.t_return_ms >= 0) {
      const bool failed = o.error != 0;
      t.marks.push_back({i, o.t_return_ms, failed ? Mark::Kind::error : Mark::Kind::receive,
                         (o.returned_alone ? "at once: " : "") + open_result(o), failed});
      if (o.peer_opened) t.links.push_back({us, i, o.t_peer_ms, o.t_return_ms, false});
    } else {
      t.marks.push_back({i, o.t_peer_ms + m.guard_ms, Mark::Kind::blocked, "still blocked", true});
    }
  }
  t.caption = "the blocking read-only and write-only opens sleep until the other side opens; the others return at once";
  return t;
}

}  // namespace

Finding judge_open(const OpenMeasurement& m, const Context& ctx) {
  Finding f;
  if (m.opens.empty()) {
    f.condition = "no open was tried";
    return f;
  }
  f.runs.push_back(
      fmt::format("{} opens, each of a new FIFO in a private folder from a process of its own, with "
                  "nobody on the other side; hang guard {} ms",
                  m.opens.size(), m.guard_ms));
  std::vector<std::string> refuting, blocked, pieces;
  nlohmann::json opens = nlohmann::json::array();
  for (const auto& o : m.opens) {
    opens.push_back({{"how", o.how},
                     {"returned_alone", o.returned_alone},
                     {"result", open_result(o)},
                     {"wchan", o.wchan},
                     {"peer_opened", o.peer_opened},
                     {"returned_with_peer", o.returned_with_peer},
                     {"waited_ms", o.peer_opened ? o.t_peer_ms - o.t_open_ms : 0.0}});
    if (o.returned_alone) {
      f.evidence.push_back(
          fmt::format("{}: returned at once with nobody on the other side: {}", o.how, open_result(o)));
      if (o.blocking && o.wants_peer) {
        refuting.push_back(
            fmt::format("a blocking {} open returned with nobody on the other side ({})", o.how, open_result(o)));
      } else if (o.error == 0) {
        pieces.push_back(o.how + (o.wants_peer ? " returns at once" : " returns at once (it is its own other side)"));
      } else {
        pieces.push_back(o.how + " fails at once with " + open_result(o));
      }
      continue;
    }
    blocked.push_back(o.how);
    const std::string slept = o.wchan.empty() ? "did not return" : "slept in " + o.wchan;
    if (o.returned_with_peer) {
      f.evidence.push_back(
          fmt::format("{}: {} for {:.0f} ms with nobody on the other side; returned a descriptor "
                      "{:.1f} ms after the other side opened",
                      o.how, slept, o.t_peer_ms - o.t_open_ms, o.t_return_ms - o.t_peer_ms));
    } else {
      f.evidence.push_back(fmt::format("{}: {}; still blocked {} ms after the other side opened ({})", o.how, slept,
                                       m.guard_ms, o.t_return_ms >= 0 ? open_result(o) : "killed"));
      if (o.wants_peer) refuting.push_back(fmt::format("{} stayed blocked after the other side opened", o.how));
    }
  }
  f.measurements = {{"opens", opens}, {"guard_ms", m.guard_ms}};
  if (!refuting.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = refuting.front();
    f.counterexamples.push_back({join(refuting, "; ", "; "), ctx.replay, open_timeline(m)});
    return f;
  }
  if (pieces.empty()) {
    f.verdict = Verdict::holds;
    return f;
  }
  f.verdict = Verdict::holds_only_if;
  f.condition = "only " + join(blocked, ", ", " and ") + " opens block: " + join(pieces, ", ", " and ");
  f.counterexamples.push_back({join(pieces, ", ", " and "), ctx.replay, open_timeline(m)});
  return f;
}

// ---- pipe-capacity ---------------------------------------------------------------------------

Finding judge_capacity(const CapacityMeasurement& m, const Context& ctx) {
  Finding f;
  if (m.fills.empty()) {
    f.condition = "no pipe was filled";
    return f;
  }
  for (bool resized : {false, true}) {
    std::vector<std::size_t> tried;
    for (const auto& x : m.fills)
      if (x.resized == resized) tried.push_back(x.write_size);
    if (tried.empty()) continue;
    f.runs.push_back(
        fmt::format("a non-blocking writer fills a new pipe{} with writes of {}, one size per pipe, until "
                    "EAGAIN",
                    resized ? fmt::format(" after F_SETPIPE_SZ {} B", m.requested) : "", sizes_list(tried)));
  }
  f.evidence.push_back(
      fmt::format("page {} B, PIPE_BUF {} B, /proc/sys/fs/pipe-max-size {} B, a new pipe's "
                  "F_GETPIPE_SZ {} B ({} pages)",
                  m.page, m.pipe_buf, m.pipe_max_size, m.default_buffer, m.page ? m.default_buffer / m.page : 0));
  if (m.set_error != 0) {
    f.evidence.push_back(fmt::format("F_SETPIPE_SZ {} B failed with {}", m.requested, errno_name(m.set_error)));
  } else {
    f.evidence.push_back(fmt::format("F_SETPIPE_SZ {} B: F_GETPIPE_SZ then says {} B", m.requested, m.resized_buffer));
  }
  nlohmann::json fills = nlohmann::json::array();
  std::vector<std::string> refuting;
  std::map<std::size_t, std::vector<const Fill*>> by_size;
  for (const auto& x : m.fills) {
    by_size[x.write_size].push_back(&x);
    fills.push_back({{"buffer", x.buffer},
                     {"resized", x.resized},
                     {"write_size", x.write_size},
                     {"filled", x.filled},
                     {"writes", x.writes},
                     {"partial", x.partial}});
    const double pct = x.buffer ? 100.0 * static_cast<double>(x.filled) / static_cast<double>(x.buffer) : 0;
    f.evidence.push_back(fmt::format("{} B buffer{}, writes of {} B: {} B in {} writes before EAGAIN ({:.0f}%{})",
                                     x.buffer, x.resized ? " (after F_SETPIPE_SZ)" : "", x.write_size, x.filled,
                                     x.writes, pct, x.partial ? fmt::format(", {} of them partial", x.partial) : ""));
    if (x.filled > x.buffer) {
      refuting.push_back(fmt::format("writes of {} B put {} B into a {} B buffer", x.write_size, x.filled, x.buffer));
    }
  }
  f.measurements = {{"page", m.page},
                    {"pipe_buf", m.pipe_buf},
                    {"pipe_max_size", m.pipe_max_size},
                    {"default_buffer", m.default_buffer},
                    {"requested", m.requested},
                    {"set_error", m.set_error ? errno_name(m.set_error) : ""},
                    {"resized_buffer", m.resized_buffer},
                    {"fills", fills}};
  if (m.set_error == 0 && m.requested > m.default_buffer) {
    for (const auto& [size, xs] : by_size) {
      const Fill* before = nullptr;
      const Fill* after = nullptr;
      for (const Fill* x : xs) (x->resized ? after : before) = x;
      if (before && after && after->filled <= before->filled) {
        refuting.push_back(fmt::format("after F_SETPIPE_SZ {} B, writes of {} B still got only {} B in", m.requested,
                                       size, after->filled));
      }
    }
  }
  if (!refuting.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = refuting.front();
    f.counterexamples.push_back({join(refuting, "; ", "; "), ctx.replay, std::nullopt});
    return f;
  }
  std::vector<std::size_t> whole, partial;
  std::vector<std::string> shortfalls;
  for (const auto& [size, xs] : by_size) {
    const bool all = std::all_of(xs.begin(), xs.end(), [](const Fill* x) { return x->filled == x->buffer; });
    (all ? whole : partial).push_back(size);
    if (all) continue;
    const Fill* x = *std::find_if(xs.begin(), xs.end(), [](const Fill* y) { return y->filled != y->buffer; });
    const std::size_t pages = m.page ? x->buffer / m.page : 0;
    std::string per_page;
    if (pages > 0 && x->filled % pages == 0)
      per_page = fmt::format(", {} B in each of its {} pages", x->filled / pages, pages);
    shortfalls.push_back(fmt::format("writes of {} B fill {} of {} B{}", size, x->filled, x->buffer, per_page));
  }
  if (partial.empty()) {
    f.verdict = Verdict::holds;
    return f;
  }
  if (whole.empty()) {
    // Still limited by the buffer, but never all of it: the limit is the pages, not the bytes.
    f.verdict = Verdict::holds_only_if;
    f.condition = "the buffer is counted in pages, and no write size tried fills it: " + join(shortfalls, "; ", "; ");
    f.counterexamples.push_back({join(shortfalls, "; ", "; "), ctx.replay, std::nullopt});
    return f;
  }
  const auto divides = [&](std::size_t s) { return m.page && s <= m.page && m.page % s == 0; };
  const bool by_page =
      std::all_of(whole.begin(), whole.end(), divides) && std::none_of(partial.begin(), partial.end(), divides);
  f.verdict = Verdict::holds_only_if;
  f.condition = fmt::format("the writes are of {}{}, which fill the buffer exactly; other sizes waste part of each "
                            "page: {}",
                            sizes_list(whole), by_page ? fmt::format(" (sizes that divide the {} B page)", m.page) : "",
                            join(shortfalls, "; ", "; "));
  f.counterexamples.push_back({join(shortfalls, "; ", "; "), ctx.replay, std::nullopt});
  return f;
}

// ---- pipe-buf-atomic -------------------------------------------------------------------------

Finding judge_atomic(const AtomicMeasurement& m, const Context& ctx) {
  Finding f;
  if (m.pipe.empty()) {
    f.condition = "no pipe run was made";
    return f;
  }
  nlohmann::json pipe = nlohmann::json::array(), unix_stream = nlohmann::json::array();
  const InterleaveResult* small_torn = nullptr;
  const InterleaveResult* large_torn = nullptr;
  std::uint64_t large = 0, large_torn_n = 0, small_total = 0, small_n = 0;
  for (const auto& r : m.pipe) {
    f.runs.push_back(
        fmt::format("pipe: {} writer processes share one write end, each record one write(); one reader", r.writers) +
        fmt::format(" ({})", r.describe()));
    pipe.push_back({{"record_size", r.record_size}, {"writers", r.writers}, {"records", r.records}, {"torn", r.torn}});
    const bool small = r.record_size <= m.pipe_buf;
    f.evidence.push_back(fmt::format("pipe, records of {} B ({} PIPE_BUF): {} of {} torn", r.record_size,
                                     small ? "at most" : "over", r.torn, r.records));
    if (small) {
      small_total += r.records;
      small_n += r.torn;
    }
    if (small && r.torn > 0 && !small_torn) small_torn = &r;
    if (!small) {
      large += r.records;
      large_torn_n += r.torn;
      if (r.torn > 0 && !large_torn && !r.first_torn.empty()) large_torn = &r;
    }
  }
  for (const auto& r : m.unix_stream) {
    f.runs.push_back("unix-stream (comparison): " + r.describe());
    unix_stream.push_back(
        {{"record_size", r.record_size}, {"writers", r.writers}, {"records", r.records}, {"torn", r.torn}});
    f.evidence.push_back(
        fmt::format("unix-stream (comparison), records of {} B: {} of {} torn", r.record_size, r.torn, r.records));
  }
  f.measurements = {{"pipe_buf", m.pipe_buf}, {"pipe", pipe}, {"unix_stream", unix_stream}};
  f.evidence.insert(f.evidence.begin(),
                    fmt::format("pipe: {} of {} records of at most PIPE_BUF ({} B) torn; {} of {} larger ones{}",
                                small_n, small_total, m.pipe_buf, large_torn_n, large,
                                large_torn_n ? " (\"may interleave\": seen)" : " (\"may interleave\": not seen here)"));
  const auto torn_cx = [&](const InterleaveResult& r, const std::string& what) {
    Counterexample c;
    c.summary = fmt::format(
        "{}: one write() of {} B reached the reader in pieces with another writer's bytes between "
        "them ({} of {} such records torn)",
        what, r.record_size, r.torn, r.records);
    c.replay = ctx.replay;
    if (!r.first_torn.empty()) c.timeline = r.first_torn.front();
    return c;
  };
  if (small_torn) {
    f.verdict = Verdict::refuted;
    f.condition = fmt::format("{} of {} pipe records of {} B (at most PIPE_BUF = {} B) were torn", small_torn->torn,
                              small_torn->records, small_torn->record_size, m.pipe_buf);
    f.counterexamples.push_back(torn_cx(*small_torn, "a record of at most PIPE_BUF"));
  } else {
    f.verdict = Verdict::holds;
  }
  if (large_torn) f.counterexamples.push_back(torn_cx(*large_torn, "a record over PIPE_BUF"));
  return f;
}

// ---- writer-blocks-when-reader-dies ----------------------------------------------------------

namespace {

std::string what_happened(const DeathCase& c, std::uint32_t guard_ms) {
  switch (c.outcome) {
    case DeathCase::Outcome::still_blocked:
      return fmt::format("the writer stayed asleep{} for the whole {} ms after the reader died, until we killed it",
                         c.wchan.empty() ? "" : " in " + c.wchan, guard_ms);
    case DeathCase::Outcome::epipe:
      return "write() failed with EPIPE";
    case DeathCase::Outcome::short_count:
      return fmt::format("write() returned {} of {} B, the next write() failed with {}", c.returned, c.offered,
                         c.error ? errno_name(c.error) : "nothing");
    case DeathCase::Outcome::killed_by_sigpipe:
      return "the writer was killed by SIGPIPE";
    case DeathCase::Outcome::wrote:
      return fmt::format("write() took all {} B with no reader", c.offered);
    case DeathCase::Outcome::other:
      break;
  }
  return fmt::format("the writer {}{}", c.ended, c.error ? ", " + errno_name(c.error) : "");
}

// What a writer with no read end left meets, in the condition's words.
std::string returned_phrase(const DeathCase& c) {
  switch (c.outcome) {
    case DeathCase::Outcome::epipe:
      return "the write fails with EPIPE";
    case DeathCase::Outcome::short_count:
      return fmt::format("a write already asleep returns the {} B it got in and the next one fails with {}", c.returned,
                         c.error ? errno_name(c.error) : "nothing");
    case DeathCase::Outcome::killed_by_sigpipe:
      return "SIGPIPE kills a writer that keeps its default disposition";
    case DeathCase::Outcome::wrote:
      return "the write completes with nobody to read it";
    default:
      return "the writer " + c.ended;
  }
}

// Where the read end that kept a writer asleep was.
std::string blocked_phrase(const DeathCase& c) {
  if (c.key == "leaked-bystander") return "a descriptor leaked to another process";
  if (c.key == "kept-by-writer") return "the writer's own";
  return c.mechanism + ": " + c.situation;
}

// The claim is about pipes and FIFOs; a Unix stream socket is shown beside them.
bool compared_only(const DeathCase& c) {
  return c.mechanism != "pipe" && c.mechanism != "fifo";
}

Timeline death_timeline(const DeathCase& c, std::uint32_t guard_ms) {
  Timeline t;
  t.title = fmt::format("{}: {}", c.mechanism, c.situation);
  t.lanes = {"writer", "reader"};
  if (c.key == "leaked-bystander") {
    t.lanes.push_back("bystander");
    t.marks.push_back({2, 0, Mark::Kind::note, "holds a read end", false});
  }
  t.marks.push_back({0, c.t_write_ms, Mark::Kind::send, fmt::format("write {} B", c.offered), false});
  if (c.t_slept_ms >= 0) t.marks.push_back({0, c.t_slept_ms, Mark::Kind::blocked, "asleep in " + c.wchan, false});
  if (c.t_reader_died_ms >= 0) {
    const bool exited = c.key == "exited-before";
    t.marks.push_back(
        {1, c.t_reader_died_ms, exited ? Mark::Kind::end : Mark::Kind::fault, exited ? "exit 0" : "SIGKILL", false});
  }
  switch (c.outcome) {
    case DeathCase::Outcome::still_blocked:
      t.marks.push_back({0, c.t_end_ms, Mark::Kind::blocked, fmt::format("still asleep after {} ms", guard_ms), true});
      t.marks.push_back({0, c.t_end_ms, Mark::Kind::end, "SIGKILL (ours)", false});
      t.caption = "the reader's death did not wake the writer: a read end was still open elsewhere";
      break;
    case DeathCase::Outcome::short_count:
      t.marks.push_back({0, c.t_return_ms, Mark::Kind::note, fmt::format("returned {} B", c.returned), false});
      t.marks.push_back({0, c.t_return_ms, Mark::Kind::error, c.error ? errno_name(c.error) : "no error", true});
      t.caption = "the reader's death woke the writer: with no read end left, its write() returned";
      break;
    case DeathCase::Outcome::epipe:
      t.marks.push_back({0, c.t_return_ms, Mark::Kind::error, "EPIPE", true});
      t.caption = "with no read end left, write() fails at once";
      break;
    case DeathCase::Outcome::killed_by_sigpipe:
      t.marks.push_back({0, c.t_return_ms, Mark::Kind::end, "killed by SIGPIPE", true});
      t.caption = "with no read end left, SIGPIPE ends a writer that keeps its default disposition";
      break;
    default:
      t.marks.push_back({0, c.t_return_ms, Mark::Kind::end, c.ended, false});
      t.caption = what_happened(c, guard_ms);
  }
  return t;
}

}  // namespace

Finding judge_death(const DeathMeasurement& m, const Context& ctx) {
  Finding f;
  if (m.cases.empty()) {
    f.condition = "no case was run";
    return f;
  }
  nlohmann::json cases = nlohmann::json::array();
  std::vector<const DeathCase*> blocked, returned;
  for (const auto& c : m.cases) {
    f.runs.push_back(fmt::format("{}: {}; the writer offers {} B in one write(), SIGPIPE {}", c.mechanism, c.situation,
                                 c.offered, c.sigpipe_default ? "at its default action" : "ignored"));
    f.evidence.push_back(fmt::format("{}{}{}, {}: {}", c.mechanism, compared_only(c) ? " (comparison)" : "",
                                     c.sigpipe_default ? " (SIGPIPE default)" : "", c.situation,
                                     what_happened(c, m.guard_ms)));
    cases.push_back({{"mechanism", c.mechanism},
                     {"case", c.key},
                     {"sigpipe_default", c.sigpipe_default},
                     {"offered", c.offered},
                     {"slept_before", c.slept},
                     {"wchan", c.wchan},
                     {"outcome", to_string(c.outcome)},
                     {"returned", c.returned},
                     {"error", c.error ? errno_name(c.error) : ""},
                     {"ended", c.ended}});
    if (!compared_only(c)) (c.outcome == DeathCase::Outcome::still_blocked ? blocked : returned).push_back(&c);
  }
  f.measurements = {{"cases", cases}, {"guard_ms", m.guard_ms}};
  if (!m.harness_run.empty()) {
    f.runs.push_back("harness: " + m.harness_run);
    f.measurements["harness_verdict"] = m.harness_verdict;
    f.evidence.push_back("the harness's own run: " + m.harness_run);
  }
  const auto cx = [&](const DeathCase& c) {
    return Counterexample{fmt::format("{}, {}: {}", c.mechanism, c.situation, what_happened(c, m.guard_ms)), ctx.replay,
                          death_timeline(c, m.guard_ms)};
  };
  if (blocked.empty() && returned.empty()) {
    f.condition = "no pipe or FIFO case was run";
  } else if (blocked.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = fmt::format("no writer blocked once its reader died, in {} cases (even with a read end left open)",
                              m.cases.size());
    f.counterexamples.push_back(cx(*returned.front()));
  } else if (returned.empty()) {
    f.verdict = Verdict::holds;
    f.counterexamples.push_back(cx(*blocked.front()));
  } else {
    f.verdict = Verdict::holds_only_if;
    const bool only_open_ends = std::all_of(blocked.begin(), blocked.end(), [](const DeathCase* c) {
      return c->key == "leaked-bystander" || c->key == "kept-by-writer";
    });
    std::vector<std::string> held, outcomes;
    for (const auto* c : blocked) add_unique(held, blocked_phrase(*c));
    const bool fifo_rdwr = std::any_of(blocked.begin(), blocked.end(), [](const DeathCase* c) {
      return c->key == "kept-by-writer" && c->mechanism == "fifo";
    });
    for (auto& h : held) {
      if (h == "the writer's own" && fifo_rdwr) h += " (a FIFO it opened O_RDWR included)";
    }
    for (const auto* c : returned) add_unique(outcomes, returned_phrase(*c));
    if (only_open_ends) {
      f.condition = fmt::format("a read end stays open elsewhere: {}; with no read end left {}",
                                join(held, ", ", " or "), join(outcomes, ", ", ", or "));
    } else {
      f.condition =
          fmt::format("the writer blocked in: {}; otherwise {}", join(held, "; ", "; "), join(outcomes, ", ", ", or "));
    }
    const auto leak =
        std::find_if(blocked.begin(), blocked.end(), [](const DeathCase* c) { return c->key == "leaked-bystander"; });
    f.counterexamples.push_back(cx(**(leak != blocked.end() ? leak : blocked.begin())));
  }
  if (m.harness) f.counterexamples.push_back(*m.harness);
  if (f.verdict == Verdict::holds_only_if) {
    const auto woke =
        std::find_if(returned.begin(), returned.end(), [](const DeathCase* c) { return c->key == "killed-during"; });
    if (woke != returned.end()) f.counterexamples.push_back(cx(**woke));
  }
  return f;
}

}  // namespace ipch::claims
