// The measurement of writer-blocks-when-reader-dies: a writer, a reader that exits or is killed,
// and sometimes a third process (or the writer itself) that still holds a read end.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <csignal>
#include <stdexcept>

#include "child.hpp"
#include "harness_run.hpp"
#include "pipe_checks.hpp"
#include "pipe_util.hpp"
#include "seed.hpp"

namespace ipch::claims {

using pipe_util::Clock;
using pipe_util::Folder;
using pipe_util::Gate;

std::string to_string(DeathCase::Outcome o) {
  switch (o) {
    case DeathCase::Outcome::epipe:
      return "EPIPE";
    case DeathCase::Outcome::short_count:
      return "short count";
    case DeathCase::Outcome::killed_by_sigpipe:
      return "killed by SIGPIPE";
    case DeathCase::Outcome::wrote:
      return "wrote everything";
    case DeathCase::Outcome::still_blocked:
      return "still blocked";
    case DeathCase::Outcome::other:
      return "other";
  }
  return "other";
}

namespace {

struct Spec {
  std::string mechanism, key;
  bool sigpipe_default = false;
};

std::string situation(const Spec& s) {
  const bool fifo = s.mechanism == "fifo";
  if (s.key == "exited-before") return "the reader exited before the write";
  if (s.key == "killed-during") return "the reader was killed while the writer slept in a full write()";
  if (s.key == "leaked-bystander") {
    return fifo ? "the reader was killed; a bystander that had opened the FIFO for reading kept it open"
                : "the reader was killed; a bystander that inherited the read end across fork() kept it open";
  }
  return fifo ? "the reader was killed; the writer had opened the FIFO O_RDWR, so it holds a read end itself"
              : "the reader was killed; the writer never closed its own copy of the read end";
}

// What the writer's write() calls returned, sent to us before it exits.
struct WriteReport {
  std::int64_t returned = -1;  // the big write's count, -1 iff it failed
  std::int32_t first_error = 0;
  std::int32_t next_error = 0;  // the 1-byte write after a short count
};

DeathCase run_case(const Spec& sp, std::chrono::milliseconds guard, std::size_t offered) {
  DeathCase d;
  d.mechanism = sp.mechanism;
  d.key = sp.key;
  d.situation = situation(sp);
  d.sigpipe_default = sp.sigpipe_default;
  d.offered = offered;
  const bool fifo = sp.mechanism == "fifo";
  const bool bystander_wanted = sp.key == "leaked-bystander";
  const bool writer_keeps = sp.key == "kept-by-writer";
  const std::string wchan_part = sp.mechanism == "unix-stream" ? "send" : "pipe_write";
  const auto setup_guard = std::chrono::seconds(5);

  std::optional<Folder> folder;
  std::string path;
  sys::Fd rd, wr;
  if (sp.mechanism == "pipe") {
    auto p = sys::pipe(O_CLOEXEC);
    if (!p) throw std::runtime_error("pipe failed: " + describe(p.error()));
    rd = std::move(p->first);
    wr = std::move(p->second);
  } else if (sp.mechanism == "unix-stream") {
    auto p = sys::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    if (!p) throw std::runtime_error("socketpair failed: " + describe(p.error()));
    rd = std::move(p->first);
    wr = std::move(p->second);
  } else {
    folder.emplace();
    path = folder->fifo("fifo");
  }
  Gate ready, reader_quit, writer_go, never;
  auto report = sys::pipe(O_CLOEXEC);
  if (!report) throw std::runtime_error("pipe failed: " + describe(report.error()));

  Clock clock;
  auto reader = Child::fork([&] {
    wr.reset();
    sys::Fd mine;
    if (fifo) {
      auto f = sys::open(path, O_RDONLY);
      if (!f) return 20;
      mine = std::move(*f);
    }
    if (!ready.release()) return 21;
    (void)reader_quit.pass();  // it never reads: the writer fills the buffer and waits
    return 0;
  });
  if (!reader) throw std::runtime_error("fork failed: " + describe(reader.error()));
  std::optional<Child> bystander;
  if (bystander_wanted) {
    auto b = Child::fork([&] {
      wr.reset();  // keeps only the read end, as a child forked for something else would
      sys::Fd mine;
      if (fifo) {
        auto f = sys::open(path, O_RDONLY | O_NONBLOCK);
        if (!f) return 20;
        mine = std::move(*f);
      }
      if (!ready.release()) return 21;
      (void)never.pass();
      return 0;
    });
    if (!b) throw std::runtime_error("fork failed: " + describe(b.error()));
    bystander.emplace(std::move(*b));
  }
  auto writer = Child::fork(
      [&] {
        sys::Fd mine;
        int fd = wr.get();
        if (fifo) {
          auto f = sys::open(path, writer_keeps ? O_RDWR : O_WRONLY);
          if (!f) return 20;
          mine = std::move(*f);
          fd = mine.get();
        } else if (!writer_keeps) {
          rd.reset();
        }
        std::vector<std::byte> big(offered, std::byte{'w'});
        if (!ready.release()) return 21;
        if (!writer_go.pass()) return 22;
        WriteReport rep;
        auto n = sys::write(fd, big);
        if (n) {
          rep.returned = static_cast<std::int64_t>(*n);
          std::byte one{'w'};
          auto m = sys::write(fd, std::span<const std::byte>(&one, 1));
          rep.next_error = m ? 0 : m.error().value();
        } else {
          rep.first_error = n.error().value();
        }
        (void)sys::write_all(report->second.get(), std::as_bytes(std::span(&rep, 1)), Deadline::never());
        return 0;
      },
      sp.sigpipe_default);
  if (!writer) throw std::runtime_error("fork failed: " + describe(writer.error()));
  rd.reset();  // from here on, the only read ends are the children's
  wr.reset();
  if (!ready.collect(bystander ? 3 : 2, setup_guard)) {
    throw std::runtime_error(fmt::format("{} {}: the reader and writer did not get ready in 5 s (writer {}, reader {})",
                                         sp.mechanism, sp.key, writer->state(), reader->state()));
  }

  std::optional<Ended> ended;
  if (sp.key == "exited-before") {
    reader_quit.release();
    auto e = reader->wait(setup_guard);
    if (!e) throw std::runtime_error("the reader did not exit when told");
    d.t_reader_died_ms = clock.ms();
    d.t_write_ms = clock.ms();
    writer_go.release();
    ended = writer->wait(guard);
  } else {
    d.t_write_ms = clock.ms();
    writer_go.release();
    d.slept = writer->wait_sleeping_in(wchan_part, setup_guard);
    if (d.slept) {
      d.t_slept_ms = clock.ms();
      const std::string s = writer->state();
      if (s.size() > 2) d.wchan = s.substr(2);
    }
    (void)reader->kill(SIGKILL);
    if (!reader->wait(setup_guard)) throw std::runtime_error("the reader did not die of SIGKILL");
    d.t_reader_died_ms = clock.ms();
    ended = writer->wait(guard);
  }
  if (!ended) {
    // Asleep for the whole guard after its reader died: blocked, as the claim says. Ended here.
    d.outcome = DeathCase::Outcome::still_blocked;
    const std::string s = writer->state();
    if (s.size() > 2) d.wchan = s.substr(2);
    d.t_end_ms = clock.ms();
    (void)writer->kill(SIGKILL);
    auto e = writer->wait(setup_guard);
    d.ended = e ? e->describe() : "not reaped";
    return d;
  }
  d.t_return_ms = clock.ms();
  d.t_end_ms = d.t_return_ms;
  d.ended = ended->describe();
  if (ended->signal == SIGPIPE) {
    d.outcome = DeathCase::Outcome::killed_by_sigpipe;
    return d;
  }
  WriteReport rep;
  if (!sys::read_exact(report->first.get(), std::as_writable_bytes(std::span(&rep, 1)),
                       Deadline::after(std::chrono::milliseconds(500)))) {
    d.outcome = DeathCase::Outcome::other;
    return d;
  }
  if (rep.returned >= 0) {
    d.returned = static_cast<long>(rep.returned);
    d.error = rep.next_error;
    d.outcome =
        static_cast<std::size_t>(rep.returned) < offered ? DeathCase::Outcome::short_count : DeathCase::Outcome::wrote;
  } else {
    d.error = rep.first_error;
    d.outcome = rep.first_error == EPIPE ? DeathCase::Outcome::epipe : DeathCase::Outcome::other;
  }
  return d;
}

}  // namespace

DeathMeasurement measure_death(const Context& ctx) {
  DeathMeasurement m;
  m.guard_ms = ctx.quick ? 250 : 1000;
  const auto guard = std::chrono::milliseconds(m.guard_ms);
  const std::size_t offered = 1u << 20;  // more than any default buffer: the write must wait
  const Spec specs[] = {
      {"pipe", "exited-before", false},        {"pipe", "exited-before", true},
      {"fifo", "exited-before", false},        {"pipe", "killed-during", false},
      {"pipe", "killed-during", true},         {"fifo", "killed-during", false},
      {"unix-stream", "killed-during", false}, {"pipe", "leaked-bystander", false},
      {"pipe", "kept-by-writer", false},       {"fifo", "leaked-bystander", false},
      {"fifo", "kept-by-writer", false},       {"unix-stream", "leaked-bystander", false},
  };
  for (const auto& s : specs) {
    if (ctx.stopping()) break;
    // The socket is a comparison only: quick mode leaves it out to stay within its budget.
    if (ctx.quick && s.mechanism == "unix-stream") continue;
    m.cases.push_back(run_case(s, guard, offered));
  }

  // The harness's own run of the same deadlock, kept as a reproducer.
  if (!ctx.work_dir.empty() && !ctx.stopping()) {
    Scenario s;
    s.seed = derive_seed(ctx.seed, "harness");
    s.mechanism = "pipe";
    // Enough messages that the receiver cannot finish them all before the runner's kill lands.
    s.workload = {WorkloadKind::stream, 1, 1, 2000, 65536, 1};
    s.stall_ms = ctx.quick ? 300 : 1000;
    s.faults = nlohmann::json::array({{{"name", "leaked-fd"}, {"params", nlohmann::json::object()}},
                                      {{"name", "kill-receiver"}, {"params", nlohmann::json::object()}}});
    try {
      auto run = run_harness(s, ctx, "leaked-fd");
      m.harness_run = run.describe();
      m.harness_verdict = run.report.verdict;
      std::string why;
      for (const auto& b : run.outcome.diagnosis) {
        if (b.role.starts_with("sender")) why = b.summary();
      }
      m.harness =
          counterexample_of(run, fmt::format("harness run, {}{}{}", m.harness_run, why.empty() ? "" : ": ", why));
    } catch (const std::exception& e) {
      // Our own cases above stand without it; the report says why it is missing.
      m.harness_run = std::string("could not run: ") + e.what();
      m.harness_verdict = "error";
    }
  }
  return m;
}

}  // namespace ipch::claims
