// The measurements of the pipe and FIFO claims: real processes on this kernel, and a plain record
// of what they saw. The verdicts are in pipe_judges.cpp.
#include "pipe_checks.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "child.hpp"
#include "pipe_util.hpp"
#include "seed.hpp"

namespace ipch::claims {

using pipe_util::Clock;
using pipe_util::Folder;
using pipe_util::Gate;

namespace {

[[noreturn]] void fail(const std::string& what, std::error_code ec) {
  throw std::runtime_error(what + " failed: " + describe(ec));
}

// ---- pipe-fifo-order -------------------------------------------------------------------------

// The byte at `offset` of the sequence: a pure function of (seed, offset), so the reader
// regenerates what the writer wrote without being told.
void sequence(std::uint64_t seed, std::uint64_t offset, std::span<std::byte> out) {
  std::uint64_t word_index = UINT64_MAX, word = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint64_t at = offset + i;
    if (at / 8 != word_index) {
      word_index = at / 8;
      std::uint64_t st = seed ^ (word_index * 0x9E3779B97F4A7C15ull);
      word = splitmix64(st);
    }
    out[i] = static_cast<std::byte>(word >> (8 * (at % 8)));
  }
}

// Sizes from 1 B to 64 KiB, spread evenly over the powers of two so that small and large both
// come often.
std::size_t draw_size(Rng& rng) {
  const std::uint64_t e = rng.between(0, 16);
  const std::uint64_t hi = 1ull << e;
  return static_cast<std::size_t>(rng.between(std::max<std::uint64_t>(1, hi / 2), hi));
}

OrderRun order_run(const std::string& mechanism, std::uint64_t bytes, std::uint64_t seed) {
  OrderRun run;
  run.mechanism = mechanism;
  run.bytes = bytes;
  const std::uint64_t data_seed = derive_seed(seed, "bytes");
  const std::uint64_t write_seed = derive_seed(seed, "writes");
  Clock clock;

  std::optional<Folder> folder;
  std::string path;
  sys::Fd rd, wr;
  if (mechanism == "pipe") {
    auto p = sys::pipe(O_CLOEXEC);
    if (!p) fail("pipe", p.error());
    rd = std::move(p->first);
    wr = std::move(p->second);
  } else {
    folder.emplace();
    path = folder->fifo("order");
    // Non-blocking, so this open returns before the writer's; poll() then waits for its bytes.
    auto r = sys::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (!r) fail("open " + path, r.error());
    rd = std::move(*r);
  }

  auto writer = Child::fork([&] {
    rd.reset();
    if (!path.empty()) {
      auto w = sys::open(path, O_WRONLY);
      if (!w) return 20;
      wr = std::move(*w);
    }
    Rng sizes(write_seed);
    std::vector<std::byte> buf(64 * 1024);
    for (std::uint64_t off = 0; off < bytes;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(draw_size(sizes), bytes - off));
      sequence(data_seed, off, std::span(buf).first(n));
      if (!sys::write_all(wr.get(), std::span<const std::byte>(buf).first(n), Deadline::never())) return 21;
      off += n;
    }
    return 0;
  });
  if (!writer) fail("fork", writer.error());
  wr.reset();  // the writer's close is the reader's end of stream

  Rng sizes(derive_seed(seed, "reads"));
  std::vector<std::byte> got(64 * 1024), want(64 * 1024);
  for (;;) {
    if (auto ready = sys::wait_for(rd.get(), POLLIN, Deadline::after(std::chrono::seconds(20))); !ready) {
      fail(fmt::format("{}: waiting for bytes after {} B", mechanism, run.received), ready.error());
    }
    const std::size_t ask = draw_size(sizes);
    auto n = sys::read(rd.get(), std::span(got).first(ask));
    if (!n) {
      if (n.error() == std::errc::resource_unavailable_try_again) continue;  // the FIFO's O_NONBLOCK
      fail(mechanism + ": read", n.error());
    }
    if (*n == 0) break;
    ++run.reads;
    run.largest_read = std::max(run.largest_read, *n);
    sequence(data_seed, run.received, std::span(want).first(*n));
    if (!run.first_difference && std::memcmp(got.data(), want.data(), *n) != 0) {
      std::size_t i = 0;
      while (got[i] == want[i]) ++i;
      run.first_difference = run.received + i;
      run.difference_read = run.reads - 1;
    }
    run.received += *n;
  }
  auto ended = writer->wait(std::chrono::seconds(10));
  if (!ended || ended->signal != 0 || ended->code != 0) {
    throw std::runtime_error(fmt::format("{}: the writer {}", mechanism, ended ? ended->describe() : "did not end"));
  }
  if (!run.first_difference && run.received != bytes) run.first_difference = run.received;

  // The writer's sizes, regenerated: how many writes, the largest, and the one that held the
  // first differing byte.
  Rng wsizes(write_seed);
  for (std::uint64_t off = 0; off < bytes; ++run.writes) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(draw_size(wsizes), bytes - off));
    run.largest_write = std::max(run.largest_write, n);
    if (run.first_difference && *run.first_difference >= off && *run.first_difference < off + n) {
      run.difference_write = run.writes;
    }
    off += n;
  }
  run.ms = clock.ms();
  return run;
}

// ---- fifo-open-blocks ------------------------------------------------------------------------

// Waits until `c` has ended or sleeps in a FIFO open (wchan wait_for_partner on Linux 6; any name
// with "partner", "fifo" or "open"), or `guard` passes. Returns the state seen last: "" or "Z"
// once ended. A sleep elsewhere (a page fault on the way to open()) is not taken for blocking.
std::string sleeping_in_open_or_ended(const Child& c, std::chrono::milliseconds guard) {
  const auto d = Deadline::after(guard);
  std::string s;
  for (;;) {
    s = c.state();
    if (s.empty() || s[0] == 'Z') return s;
    if ((s[0] == 'S' || s[0] == 'D') && s.size() > 2) {
      const std::string w = s.substr(2);
      for (const char* part : {"partner", "fifo", "open"})
        if (w.find(part) != std::string::npos) return s;
    }
    if (d.expired()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

FifoOpen observe_open(const std::string& path, int flags, const std::string& how, std::chrono::milliseconds guard,
                      const Clock& clock) {
  FifoOpen o;
  o.how = how;
  o.blocking = (flags & O_NONBLOCK) == 0;
  o.wants_peer = (flags & O_ACCMODE) != O_RDWR;
  o.t_open_ms = clock.ms();
  auto c = Child::fork([&] {
    auto fd = sys::open(path, flags);
    return fd ? 0 : fd.error().value();
  });
  if (!c) fail("fork", c.error());
  // Not `guard`: a loaded machine may not run the child before a short guard passes, and a
  // blocked open is recognised by where it sleeps, so this limit costs time only when it fails.
  const std::string s = sleeping_in_open_or_ended(*c, std::chrono::seconds(2));
  if (s.empty() || s[0] == 'Z') {
    auto e = c->wait(std::chrono::seconds(5));
    if (!e) throw std::runtime_error("fifo-open: an ended opener could not be reaped");
    o.returned_alone = true;
    o.error = e->signal != 0 ? -e->signal : e->code;
    o.t_return_ms = clock.ms();
    return o;
  }
  // Still running at the guard, or asleep: either way it did not return alone.
  if (s.size() > 2) {
    o.wchan = s.substr(2);
    o.t_slept_ms = clock.ms();
  }
  // The other side: a non-blocking open that cannot itself wait (a writer finds the waiting
  // reader; a reader never waits with O_NONBLOCK).
  const int other = (flags & O_ACCMODE) == O_RDONLY ? O_WRONLY | O_NONBLOCK : O_RDONLY | O_NONBLOCK;
  auto peer = sys::open(path, other | O_CLOEXEC);
  if (!peer) fail("open of the other side of " + path, peer.error());
  o.peer_opened = true;
  o.t_peer_ms = clock.ms();
  auto e = c->wait(guard);
  if (e) {
    o.returned_with_peer = e->signal == 0 && e->code == 0;
    o.error = e->signal != 0 ? -e->signal : e->code;
    o.t_return_ms = clock.ms();
  }
  return o;  // a child still blocked is killed and reaped here
}

// ---- pipe-capacity ---------------------------------------------------------------------------

Fill fill_pipe(std::size_t write_size, std::size_t resize, CapacityMeasurement& m) {
  auto p = sys::pipe(O_NONBLOCK | O_CLOEXEC);
  if (!p) fail("pipe", p.error());
  const int w = p->second.get();
  Fill f;
  f.write_size = write_size;
  if (resize != 0) {
    auto r = sys::fcntl(w, F_SETPIPE_SZ, static_cast<long>(resize));
    if (!r) {
      m.set_error = r.error().value();
      return f;
    }
    f.resized = true;
  }
  auto size = sys::fcntl(w, F_GETPIPE_SZ);
  if (!size) fail("fcntl F_GETPIPE_SZ", size.error());
  f.buffer = static_cast<std::size_t>(*size);
  std::vector<std::byte> buf(write_size, std::byte{'x'});
  const std::uint64_t ceiling = 64ull * f.buffer + 64 * 1024;  // a kernel that never says EAGAIN
  while (f.filled < ceiling) {
    auto n = sys::write(w, buf);
    if (!n) {
      if (n.error() == std::errc::resource_unavailable_try_again) break;
      fail("write to a non-blocking pipe", n.error());
    }
    f.filled += *n;
    ++f.writes;
    if (*n < write_size) ++f.partial;
  }
  return f;
}

}  // namespace

OrderMeasurement measure_order(const Context& ctx) {
  OrderMeasurement m;
  const std::uint64_t bytes = ctx.quick ? 8ull << 20 : 64ull << 20;
  for (const std::string mech : {"pipe", "fifo"}) m.runs.push_back(order_run(mech, bytes, derive_seed(ctx.seed, mech)));
  return m;
}

UnrelatedMeasurement measure_unrelated(const Context& ctx) {
  UnrelatedMeasurement m;
  Clock clock;
  Folder folder;
  m.path = folder.fifo("fifo");
  const std::string out = folder.path() + "/received";
  std::error_code ec;
  m.is_fifo = std::filesystem::is_fifo(m.path, ec);
  m.token = fmt::format("ipch-token-{:016x}", derive_seed(ctx.seed, "token"));
  m.our_session = pipe_util::session_of(0);

  // Each program gets a session of its own and none of our descriptors (stdio is /dev/null, but
  // the reader's stdout, its output file): all it knows of the other is the path.
  const std::vector<std::string> reader{"/bin/sh", "-c",   "exec /bin/cat -- \"$1\" </dev/null >\"$2\" 2>/dev/null",
                                        "sh",      m.path, out};
  const std::vector<std::string> writer{"/bin/sh", "-c",   "exec </dev/null >/dev/null 2>&1; printf %s \"$2\" >\"$1\"",
                                        "sh",      m.path, m.token};
  m.reader_command = fmt::format("setsid /bin/sh -c 'exec /bin/cat -- \"$1\" >\"$2\"' sh {} {}", m.path, out);
  m.writer_command = fmt::format("setsid /bin/sh -c 'printf %s \"$2\" >\"$1\"' sh {} {}", m.path, m.token);
  // Each child says which session setsid() gave it before it execs, through a pipe that
  // close_from() shuts before the program starts.
  auto report = sys::pipe(O_CLOEXEC);
  if (!report) fail("pipe", report.error());
  auto spawn = [&](const std::vector<std::string>& argv, long& session) {
    auto c = Child::fork(
        [&] {
          auto sid = sys::setsid();
          if (!sid) return 126;
          const std::int64_t v = *sid;
          if (!sys::write_all(report->second.get(), std::as_bytes(std::span(&v, 1)), Deadline::never())) return 126;
          if (!sys::close_from(3)) return 126;
          (void)sys::exec(argv[0], argv);
          return 127;
        },
        /*sigpipe_default=*/true);  // an ignored SIGPIPE would survive exec: programs start as a shell starts them
    if (!c) fail("fork", c.error());
    std::int64_t v = -1;
    if (sys::read_exact(report->first.get(), std::as_writable_bytes(std::span(&v, 1)),
                        Deadline::after(std::chrono::seconds(5)))) {
      session = static_cast<long>(v);
    }
    return std::move(*c);
  };
  auto r = spawn(reader, m.reader_session);
  // The reader knows nothing but the path: it waits in open() until some writer opens it.
  const std::string s = sleeping_in_open_or_ended(r, std::chrono::seconds(2));
  if (s.size() > 2 && s[0] != 'Z') m.reader_wchan = s.substr(2);
  auto w = spawn(writer, m.writer_session);
  auto we = w.wait(std::chrono::seconds(5));
  auto re = r.wait(std::chrono::seconds(5));
  m.writer_end = we ? we->describe() : "still running after 5 s (killed)";
  m.reader_end = re ? re->describe() : "still running after 5 s (killed)";
  std::ifstream in(out);
  m.received.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  m.ms = clock.ms();
  return m;
}

OpenMeasurement measure_open(const Context& ctx) {
  OpenMeasurement m;
  m.guard_ms = ctx.quick ? 300 : 1000;
  const auto guard = std::chrono::milliseconds(m.guard_ms);
  Clock clock;
  Folder folder;
  const std::pair<int, const char*> opens[] = {{O_RDONLY, "O_RDONLY"},
                                               {O_WRONLY, "O_WRONLY"},
                                               {O_RDONLY | O_NONBLOCK, "O_RDONLY|O_NONBLOCK"},
                                               {O_WRONLY | O_NONBLOCK, "O_WRONLY|O_NONBLOCK"},
                                               {O_RDWR, "O_RDWR"}};
  int i = 0;
  for (const auto& [flags, how] : opens) {
    // A FIFO of its own for each open, so no end left by the previous one is a partner.
    m.opens.push_back(observe_open(folder.fifo("open-" + std::to_string(i++)), flags, how, guard, clock));
  }
  return m;
}

CapacityMeasurement measure_capacity(const Context& ctx) {
  CapacityMeasurement m;
  m.page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  m.pipe_buf = PIPE_BUF;
  if (auto r = sys::read_long("/proc/sys/fs/pipe-max-size"); r) m.pipe_max_size = *r;
  m.requested = 1u << 20;
  if (m.pipe_max_size > 0) m.requested = std::min<std::size_t>(m.requested, static_cast<std::size_t>(m.pipe_max_size));
  // Sizes that divide the page, one that does not, and one just over PIPE_BUF.
  const std::size_t sizes[] = {1, 512, 3000, m.pipe_buf, m.pipe_buf + 1};
  for (std::size_t s : sizes) {
    Fill f = fill_pipe(s, 0, m);
    if (m.default_buffer == 0) m.default_buffer = f.buffer;
    m.fills.push_back(f);
  }
  for (std::size_t s : sizes) {
    // A million 1-byte writes take seconds: quick mode asks them of the default buffer only.
    if (ctx.quick && s == 1) continue;
    Fill f = fill_pipe(s, m.requested, m);
    if (!f.resized) break;  // F_SETPIPE_SZ refused: set_error says why
    m.resized_buffer = f.buffer;
    m.fills.push_back(f);
  }
  return m;
}

AtomicMeasurement measure_atomic(const Context& ctx) {
  AtomicMeasurement m;
  m.pipe_buf = PIPE_BUF;
  const std::size_t writers = 4;
  struct Size {
    std::size_t bytes, quick, full;
  };
  const Size sizes[] = {
      {m.pipe_buf, 128, 2048}, {m.pipe_buf + 1, 128, 2048}, {64 * 1024 + 1, 16, 128}, {256 * 1024, 4, 32}};
  for (const auto& s : sizes) {
    const std::size_t each = ctx.quick ? s.quick : s.full;
    m.pipe.push_back(
        interleave(StreamKind::pipe, writers, s.bytes, each, derive_seed(ctx.seed, fmt::format("pipe/{}", s.bytes))));
  }
  for (const auto& s : sizes) {
    const std::size_t each = std::max<std::size_t>(1, (ctx.quick ? s.quick : s.full) / 4);
    m.unix_stream.push_back(interleave(StreamKind::unix_stream, writers, s.bytes, each,
                                       derive_seed(ctx.seed, fmt::format("unix-stream/{}", s.bytes))));
  }
  return m;
}

}  // namespace ipch::claims
