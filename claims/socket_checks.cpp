#include "socket_checks.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "harness_run.hpp"
#include "naming.hpp"
#include "plan.hpp"
#include "seed.hpp"
#include "sys.hpp"

namespace ipch::claims {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using probe::Shared;
using sys::Fd;

std::runtime_error failed(const std::string& what, std::error_code e) {
  return std::runtime_error(what + ": " + describe(e));
}

template <class T>
T must(Result<T> r, const std::string& what) {
  if (!r) throw failed(what, r.error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

bool would_block(std::error_code e) {
  return e == std::errc::resource_unavailable_try_again;
}

// ---- the ends under test ------------------------------------------------------------------

struct Pair {
  Fd a, b;  // a pipe: a is the write end, b the read end
};

Pair tcp_pair() {
  Fd l = must(sys::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC), "socket(AF_INET, SOCK_STREAM)");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  must(sys::bind(l.get(), reinterpret_cast<sockaddr*>(&addr), len), "bind(127.0.0.1:0)");
  must(sys::listen(l.get(), 1), "listen");
  must(sys::getsockname(l.get(), reinterpret_cast<sockaddr*>(&addr), &len), "getsockname");
  Fd c = must(sys::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC), "socket(AF_INET, SOCK_STREAM)");
  must(sys::connect(c.get(), reinterpret_cast<sockaddr*>(&addr), len), "connect(127.0.0.1)");
  Fd s = must(sys::accept(l.get(), 0), "accept");
  return {std::move(c), std::move(s)};
}

Pair make_pair(const std::string& mech) {
  if (mech == "pipe") {
    auto p = must(sys::pipe(0), "pipe");
    return {std::move(p.second), std::move(p.first)};
  }
  if (mech == "tcp") return tcp_pair();
  int type = mech == "unix-stream" ? SOCK_STREAM : mech == "unix-dgram" ? SOCK_DGRAM : SOCK_SEQPACKET;
  auto p = must(sys::socketpair(AF_UNIX, type | SOCK_CLOEXEC), "socketpair(AF_UNIX, " + mech + ")");
  return {std::move(p.first), std::move(p.second)};
}

bool is_stream(const std::string& mech) {
  return mech == "unix-stream" || mech == "tcp" || mech == "pipe";
}

// One send() (a pipe: write()) of the whole message; a stream's short send is finished.
void send_message(int fd, const std::string& mech, std::span<const std::byte> msg) {
  must(sys::write_all(fd, msg, Deadline::never(), nullptr, SIZE_MAX, mech != "pipe"), mech + " send");
}

// ---- stream-boundaries --------------------------------------------------------------------

BoundaryRun boundary_run(const std::string& mech, const std::vector<std::size_t>& sizes, std::uint64_t seed) {
  Pair p = make_pair(mech);
  Shared<probe::Failure> failure;
  std::vector<std::byte> expected;
  for (std::uint32_t i = 0; i < sizes.size(); ++i) {
    std::vector<std::byte> msg(sizes[i]);
    probe::fill(seed, i, msg);
    expected.insert(expected.end(), msg.begin(), msg.end());
  }
  auto sender = probe::spawn(probe::reporting(*failure, [&] {
    p.b.reset();
    std::size_t at = 0;
    for (std::size_t s : sizes) {
      send_message(p.a.get(), mech, std::span<const std::byte>(expected).subspan(at, s));
      at += s;
    }
    return 0;
  }));
  p.a.reset();  // the receiver sees end of stream once the sender is gone
  probe::expect_clean(probe::end_of(sender, 10s), mech + " sender", *failure);

  BoundaryRun run;
  run.mechanism = mech;
  run.written = sizes;
  std::vector<std::byte> buf(1 << 20), all;
  auto guard = Deadline::after(10s);
  for (;;) {
    Result<std::size_t> n = mech == "pipe" ? sys::read(p.b.get(), buf) : sys::recv(p.b.get(), buf, MSG_DONTWAIT);
    if (!n && would_block(n.error()) && mech != "unix-dgram" && !guard.expired()) {
      (void)sys::wait_for(p.b.get(), POLLIN, guard);
      continue;
    }
    if (!n && would_block(n.error())) break;  // a datagram socket has no end of stream: it is empty
    if (!n) throw failed(mech + " receive", n.error());
    if (*n == 0) break;
    run.read.push_back(*n);
    all.insert(all.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  run.bytes_intact = all == expected;
  return run;
}

TruncationRun truncation_run(const std::string& mech, std::uint64_t seed) {
  Pair p = make_pair(mech);
  TruncationRun t;
  t.mechanism = mech;
  t.message_size = 100;
  t.buffer = 10;
  for (std::uint32_t i = 0; i < 3; ++i) {
    std::vector<std::byte> msg(t.message_size);
    probe::fill(seed, i, msg);
    send_message(p.a.get(), mech, msg);
  }
  std::vector<std::byte> small(t.buffer), big(4096);
  iovec iov{small.data(), small.size()};
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  t.returned = must(sys::recvmsg(p.b.get(), &h, MSG_DONTWAIT), mech + " recvmsg");
  t.msg_trunc = (h.msg_flags & MSG_TRUNC) != 0;
  t.next_returned = must(sys::recv(p.b.get(), big, MSG_DONTWAIT), mech + " recv");
  t.next_is_next_message = probe::intact(seed, std::span<const std::byte>(big.data(), t.next_returned)) == 1u;
  if (!is_stream(mech))
    t.real_length = must(sys::recv(p.b.get(), small, MSG_DONTWAIT | MSG_TRUNC), mech + " recv(MSG_TRUNC)");
  return t;
}

// ---- what a receiver saw of a numbered series ---------------------------------------------

struct Tracker {
  explicit Tracker(std::uint64_t seed, std::size_t n) : seed(seed), count(n, 0) {}
  std::uint64_t seed;
  std::vector<std::uint32_t> count;
  std::uint64_t received = 0, damaged = 0, duplicated = 0, reordered = 0;
  std::int64_t last = -1;
  // Returns the seq iff intact.
  std::optional<std::uint32_t> add(std::span<const std::byte> msg) {
    ++received;
    auto seq = probe::intact(seed, msg);
    if (!seq || *seq >= count.size()) {
      ++damaged;
      return std::nullopt;
    }
    if (count[*seq]++ > 0) ++duplicated;
    if (static_cast<std::int64_t>(*seq) < last) ++reordered;
    last = std::max<std::int64_t>(last, *seq);
    return seq;
  }
  std::uint64_t lost(std::size_t first, std::size_t end) const {
    std::uint64_t n = 0;
    for (std::size_t i = first; i < end && i < count.size(); ++i) n += count[i] == 0;
    return n;
  }
};

// ---- unix-dgram-loses ---------------------------------------------------------------------

struct Folder {
  Folder() : path(must(naming::make_folder(), "mkdir (a folder for socket files)")) {}
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  ~Folder() { naming::remove_folder(path); }
  std::string path;
};

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) throw std::runtime_error("socket path too long: " + path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

struct SenderShared {
  std::atomic<std::uint64_t> progress{0};
  std::atomic<int> err{0};
  probe::Log<64> sent;
  probe::Failure failure;
};

// Receives everything `sender` sends until it has ended and the socket is empty.
Ended drain_until_ended(int fd, Child& sender, Tracker& t, const std::string& who, const probe::Failure& f) {
  std::vector<std::byte> buf(65536);
  std::optional<Ended> ended;
  auto guard = Deadline::after(30s);
  for (;;) {
    auto n = sys::recv(fd, buf, MSG_DONTWAIT);
    if (n) {
      t.add(std::span<const std::byte>(buf.data(), *n));
      continue;
    }
    if (!would_block(n.error())) throw failed(who + " receive", n.error());
    if (ended) break;  // it ended before this recv: everything it sent is here (unix sockets queue at send)
    if (guard.expired()) {
      ended = probe::kill_and_reap(sender);
      break;
    }
    ended = sender.wait(5ms);
  }
  probe::expect_clean(*ended, who, f);
  return *ended;
}

// ---- udp --------------------------------------------------------------------------------------

// Udp RcvbufErrors of /proc/net/snmp: datagrams the kernel dropped for a full receive buffer.
std::optional<std::int64_t> rcvbuf_errors() {
  std::ifstream in("/proc/net/snmp");
  std::string head, values;
  while (std::getline(in, head)) {
    if (!head.starts_with("Udp:")) continue;
    if (!std::getline(in, values)) return std::nullopt;
    std::istringstream h(head), v(values);
    std::string name, value;
    while (h >> name && v >> value) {
      if (name == "RcvbufErrors") return std::stoll(value);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// ---- sockets-full-duplex --------------------------------------------------------------------

struct SideResult {
  std::atomic<std::uint64_t> received{0}, damaged{0}, out_of_order{0};
};
struct DuplexShared {
  SideResult side[2];
  probe::Failure failure;
};

// One side: sends `n` seeded messages and receives the peer's `n`, at once, never blocking.
// Returns 0 when both are done, 2 when `guard` passed first.
int duplex_side(int fd, const std::string& mech, std::uint64_t my_seed, std::uint64_t peer_seed, std::uint64_t n,
                SideResult& out, std::chrono::milliseconds guard) {
  must(sys::set_nonblocking(fd, true), "fcntl(O_NONBLOCK)");
  const bool stream = is_stream(mech);
  Rng sizes(derive_seed(my_seed, "sizes"));
  std::vector<std::byte> outgoing, inbuf, buf(65536);
  std::size_t out_at = 0, in_at = 0;
  std::uint64_t sent = 0, next = 0;
  auto take = [&](std::span<const std::byte> msg) {
    auto seq = probe::intact(peer_seed, msg);
    if (!seq) {
      out.damaged.fetch_add(1);
      return;
    }
    if (*seq != next) out.out_of_order.fetch_add(1);
    next = *seq + 1;
    out.received.fetch_add(1);
  };
  auto d = Deadline::after(guard);
  while (sent < n || out.received.load() + out.damaged.load() < n) {
    if (d.expired()) return 2;
    if (sent < n && out_at == outgoing.size()) {
      outgoing.resize(sizes.between(probe::kHeader + 8, 1024));
      probe::fill(my_seed, static_cast<std::uint32_t>(sent), outgoing);
      out_at = 0;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (out_at < outgoing.size() ? POLLOUT : 0)), 0};
    must(sys::poll(std::span(&p, 1), d.capped(100ms)), "poll");
    if ((p.revents & POLLOUT) && out_at < outgoing.size()) {
      auto w = sys::send(fd, std::span<const std::byte>(outgoing).subspan(out_at), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (!w && !would_block(w.error()) && w.error() != std::errc::no_buffer_space)
        throw failed(mech + " send", w.error());
      if (w) {
        out_at += *w;
        if (out_at == outgoing.size()) ++sent;
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      auto r = sys::recv(fd, buf, MSG_DONTWAIT);
      if (!r && !would_block(r.error())) throw failed(mech + " receive", r.error());
      if (r && *r == 0 && stream) throw std::runtime_error(mech + ": end of stream before every message arrived");
      if (r && !stream) take(std::span<const std::byte>(buf.data(), *r));
      if (r && stream) {
        inbuf.insert(inbuf.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        for (;;) {  // a stream keeps no boundaries: each message is found by its size field
          std::span<const std::byte> rest(inbuf.data() + in_at, inbuf.size() - in_at);
          auto size = probe::size_of(rest);
          if (!size) break;
          if (*size < probe::kHeader || *size > 65536)
            throw std::runtime_error(mech + ": a size field of " + std::to_string(*size));
          if (rest.size() < *size) break;
          take(rest.first(*size));
          in_at += *size;
        }
        if (in_at > 65536) {
          inbuf.erase(inbuf.begin(), inbuf.begin() + static_cast<std::ptrdiff_t>(in_at));
          in_at = 0;
        }
      }
    }
  }
  return 0;
}

DuplexRun duplex_run(const std::string& mech, std::uint64_t n, std::uint64_t seed) {
  Pair p = make_pair(mech);
  Shared<DuplexShared> sh;
  const std::uint64_t seed_a = derive_seed(seed, "a"), seed_b = derive_seed(seed, "b");
  auto a = probe::spawn(probe::reporting(sh->failure, [&] {
    p.b.reset();
    return duplex_side(p.a.get(), mech, seed_a, seed_b, n, sh->side[0], 20s);
  }));
  auto b = probe::spawn(probe::reporting(sh->failure, [&] {
    p.a.reset();
    return duplex_side(p.b.get(), mech, seed_b, seed_a, n, sh->side[1], 20s);
  }));
  p.a.reset();
  p.b.reset();
  Ended ea = probe::end_of(a, 30s), eb = probe::end_of(b, 30s);
  if (sh->failure.set.load()) throw std::runtime_error(mech + " full duplex: " + std::string(sh->failure.text));
  DuplexRun run;
  run.mechanism = mech;
  run.each_way = n;
  run.b_to_a = sh->side[0].received.load();
  run.a_to_b = sh->side[1].received.load();
  run.damaged = sh->side[0].damaged.load() + sh->side[1].damaged.load();
  run.out_of_order = sh->side[0].out_of_order.load() + sh->side[1].out_of_order.load();
  run.finished = ea.code == 0 && eb.code == 0 && ea.signal == 0 && eb.signal == 0;
  return run;
}

struct ProbeShared {
  std::atomic<std::uint64_t> written[2];
  std::atomic<std::uint64_t> progress{0};
  probe::Failure failure;
};

// Both sides write `attempted` bytes with blocking writes (4 KiB each) before reading any.
DeadlockProbe deadlock_probe(const std::string& mech, std::uint64_t attempted, Clock::time_point origin) {
  Pair p = make_pair(mech);
  Shared<ProbeShared> sh;
  auto side = [&](int i, int fd) {
    return [&sh, &mech, attempted, i, fd]() -> int {
      std::vector<std::byte> chunk(4096, std::byte{0x5a});
      while (sh->written[i].load() < attempted) {
        auto w = sys::send(fd, chunk, MSG_NOSIGNAL);
        if (!w) throw failed(mech + " send", w.error());
        sh->written[i].fetch_add(*w);
        sh->progress.fetch_add(1);
      }
      std::uint64_t got = 0;
      while (got < attempted) {
        auto r = sys::recv(fd, chunk, 0);
        if (!r) throw failed(mech + " receive", r.error());
        if (*r == 0) break;
        got += *r;
      }
      return 0;
    };
  };
  DeadlockProbe d;
  d.mechanism = mech;
  d.attempted = attempted;
  double start = probe::ms_since(origin);
  auto a = probe::spawn(probe::reporting(sh->failure, [&, body = side(0, p.a.get())] {
    p.b.reset();
    return body();
  }));
  auto b = probe::spawn(probe::reporting(sh->failure, [&, body = side(1, p.b.get())] {
    p.a.reset();
    return body();
  }));
  p.a.reset();
  p.b.reset();
  d.lanes = {fmt::format("{} side A (pid {})", mech, a.pid()), fmt::format("{} side B (pid {})", mech, b.pid())};
  for (std::uint32_t lane : {0u, 1u}) d.marks.push_back({lane, start, Mark::Kind::note, "write before read", false});
  auto wchans = probe::await_blocked({&a, &b}, sh->progress, 5s);
  if (wchans) {
    double t = probe::ms_since(origin);
    d.deadlocked = true;
    d.a_wchan = (*wchans)[0];
    d.b_wchan = (*wchans)[1];
    d.a_written = sh->written[0].load();
    d.b_written = sh->written[1].load();
    for (std::uint32_t lane : {0u, 1u}) {
      std::uint64_t w = lane == 0 ? d.a_written : d.b_written;
      d.marks.push_back({lane, t, Mark::Kind::send, fmt::format("wrote {} KiB", w / 1024), false});
      d.marks.push_back({lane, t, Mark::Kind::blocked, lane == 0 ? d.a_wchan : d.b_wchan, true});
    }
    probe::kill_and_reap(a);
    probe::kill_and_reap(b);
    double k = probe::ms_since(origin);
    for (std::uint32_t lane : {0u, 1u}) d.marks.push_back({lane, k, Mark::Kind::fault, "SIGKILL", false});
    return d;
  }
  probe::expect_clean(probe::end_of(a, 30s), mech + " side A", sh->failure);
  probe::expect_clean(probe::end_of(b, 30s), mech + " side B", sh->failure);
  d.a_written = sh->written[0].load();
  d.b_written = sh->written[1].load();
  return d;
}

std::string kib(std::uint64_t bytes) {
  return fmt::format("{} KiB", bytes / 1024);
}

}  // namespace

// ---- stream-boundaries ------------------------------------------------------------------------

BoundaryMeasurement measure_boundaries(const Context& ctx) {
  BoundaryMeasurement m;
  const std::size_t rounds = ctx.quick ? 3 : 30;
  const std::vector<std::string> mechs{"unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "pipe"};
  Rng rng(derive_seed(ctx.seed, "boundaries"));
  for (std::size_t r = 0; r < rounds && !ctx.stopping(); ++r) {
    std::vector<std::size_t> sizes(16);
    for (auto& s : sizes) s = rng.between(probe::kHeader + 1, 512);
    std::uint64_t seed = rng.next();
    for (const auto& mech : mechs) m.runs.push_back(boundary_run(mech, sizes, seed));
  }
  for (const auto& mech : {"unix-dgram", "unix-seqpacket", "unix-stream"})
    m.truncation.push_back(truncation_run(mech, ctx.seed));
  return m;
}

Finding judge_boundaries(const BoundaryMeasurement& m, const std::string& replay) {
  Finding f;
  struct Sum {
    std::uint64_t runs = 0, writes = 0, reads = 0, bytes = 0, matched_runs = 0, intact_runs = 0;
    std::size_t lo = SIZE_MAX, hi = 0;
  };
  std::map<std::string, Sum> sums;
  std::vector<std::string> order;
  for (const auto& r : m.runs) {
    if (!sums.contains(r.mechanism)) order.push_back(r.mechanism);
    Sum& s = sums[r.mechanism];
    ++s.runs;
    s.writes += r.written.size();
    s.reads += r.read.size();
    for (auto w : r.written) {
      s.bytes += w;
      s.lo = std::min(s.lo, w);
      s.hi = std::max(s.hi, w);
    }
    s.matched_runs += r.read == r.written;
    s.intact_runs += r.bytes_intact;
  }
  std::vector<std::string> broken;
  for (const auto& mech : order) {
    const Sum& s = sums[mech];
    bool comparison = mech == "tcp" || mech == "pipe";
    f.runs.push_back(
        fmt::format("{}: {} runs; each: a sender process makes {} {}() calls of {}..{} B and exits; then "
                    "the receiver reads with a 1 MiB buffer until the end",
                    mech, s.runs, s.runs ? s.writes / s.runs : 0, mech == "pipe" ? "write" : "send", s.lo, s.hi));
    std::string how = s.matched_runs == s.runs ? "one receive per send, each of the size sent: boundaries kept"
                      : s.reads < s.writes     ? "writes merged: boundaries not kept"
                                               : "receives of other sizes than the sends";
    f.evidence.push_back(fmt::format("{}{}: {} sends ({} B) came out in {} receives: {}; bytes intact in {} of {} runs",
                                     mech, comparison ? " (comparison)" : "", s.writes, s.bytes, s.reads, how,
                                     s.intact_runs, s.runs));
    f.measurements[mech] = {{"runs", s.runs},
                            {"sends", s.writes},
                            {"receives", s.reads},
                            {"bytes", s.bytes},
                            {"runs_one_per_send", s.matched_runs},
                            {"runs_intact", s.intact_runs}};
    if (s.intact_runs != s.runs)
      broken.push_back(fmt::format("{}: bytes damaged in {} of {} runs", mech, s.runs - s.intact_runs, s.runs));
    if (mech == "unix-stream" && s.reads >= s.writes)
      broken.push_back(
          fmt::format("unix-stream returned {} receives for {} sends: it kept every boundary here", s.reads, s.writes));
    if ((mech == "unix-dgram" || mech == "unix-seqpacket") && s.matched_runs != s.runs)
      broken.push_back(fmt::format("{}: {} of {} runs did not return one message per receive with the sizes sent", mech,
                                   s.runs - s.matched_runs, s.runs));
  }
  for (const auto& t : m.truncation) {
    std::string rest =
        is_stream(t.mechanism)
            ? fmt::format("the next receive returned {} B, the rest of it and what followed", t.next_returned)
        : t.next_is_next_message
            ? fmt::format("the next receive returned the next message ({} B): the other {} B were discarded",
                          t.next_returned, t.message_size - t.returned)
            : fmt::format("the next receive returned {} B, not the next message", t.next_returned);
    std::string real =
        is_stream(t.mechanism) ? "" : fmt::format("; recv(MSG_TRUNC) returns the real length, {} B", t.real_length);
    f.evidence.push_back(fmt::format("{}: a {} B message received into a {} B buffer returned {} B{}; {}{}",
                                     t.mechanism, t.message_size, t.buffer, t.returned,
                                     t.msg_trunc ? " with MSG_TRUNC set" : ", no MSG_TRUNC", rest, real));
    f.measurements["truncation"][t.mechanism] = {
        {"message", t.message_size},   {"buffer", t.buffer},      {"returned", t.returned},
        {"msg_trunc", t.msg_trunc},    {"next", t.next_returned}, {"rest_discarded", t.next_is_next_message},
        {"real_length", t.real_length}};
  }
  for (const char* need : {"unix-stream", "unix-dgram", "unix-seqpacket"}) {
    if (!sums.contains(need)) {
      f.verdict = Verdict::not_checked;
      f.condition = std::string("no run of ") + need + " completed (interrupted)";
      return f;
    }
  }
  if (broken.empty()) {
    f.verdict = Verdict::holds;
    return f;
  }
  f.verdict = Verdict::refuted;
  f.condition = broken.front();
  for (const auto& b : broken) f.counterexamples.push_back({b, replay, std::nullopt});
  return f;
}

// ---- unix-dgram-loses ---------------------------------------------------------------------

DgramLoss measure_dgram_loss(const Context& ctx) {
  DgramLoss m;
  m.max_dgram_qlen = static_cast<std::uint64_t>(sys::read_long("/proc/sys/net/unix/max_dgram_qlen").value_or(0));
  const std::uint64_t n = ctx.quick ? 300 : 3000, bound = 100000;
  Rng rng(derive_seed(ctx.seed, "unix-dgram"));
  const std::uint64_t seed = rng.next();
  std::vector<std::size_t> sizes(n);
  for (auto& s : sizes) s = rng.between(probe::kHeader + 8, 256);
  {
    Folder folder;
    const std::string path = folder.path + "/receiver";
    const sockaddr_un addr = unix_address(path);
    Fd rx = must(sys::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC), "socket(AF_UNIX, SOCK_DGRAM)");
    must(sys::bind(rx.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), "bind(" + path + ")");
    Tracker t(seed, n + bound);  // seqs from n on: the non-blocking sender's
    // A blocking sender and a receiver that does not read yet.
    {
      Shared<SenderShared> sh;
      auto sender = probe::spawn(probe::reporting(sh->failure, [&] {
        rx.reset();
        Fd s = must(sys::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC), "socket(AF_UNIX, SOCK_DGRAM)");
        must(sys::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), "connect(" + path + ")");
        std::vector<std::byte> msg;
        for (std::uint32_t i = 0; i < n; ++i) {
          msg.resize(sizes[i]);
          probe::fill(seed, i, msg);
          must(sys::send(s.get(), msg, 0), "unix-dgram send");
          sh->progress.fetch_add(1);
        }
        return 0;
      }));
      m.slept_in = probe::await_blocked(sender, sh->progress, 5s);
      m.sent_before_sleep = sh->progress.load();
      drain_until_ended(rx.get(), sender, t, "unix-dgram sender", sh->failure);
      m.sent = sh->progress.load();
    }
    // A non-blocking sender, the receiver again not reading.
    {
      Shared<SenderShared> sh;
      auto sender = probe::spawn(probe::reporting(sh->failure, [&] {
        rx.reset();
        Fd s = must(sys::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC), "socket(AF_UNIX, SOCK_DGRAM)");
        must(sys::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), "connect(" + path + ")");
        std::vector<std::byte> msg(64);
        for (std::uint32_t i = 0; i < bound; ++i) {
          probe::fill(seed, static_cast<std::uint32_t>(n + i), msg);
          if (auto r = sys::send(s.get(), msg, MSG_DONTWAIT); !r) {
            sh->err = r.error().value();
            return 0;
          }
          sh->progress.fetch_add(1);
        }
        return 0;
      }));
      probe::expect_clean(probe::end_of(sender, 10s), "unix-dgram non-blocking sender", sh->failure);
      m.nonblocking_sent = sh->progress.load();
      m.nonblocking_errno = sh->err.load();
      std::vector<std::byte> buf(65536);
      for (;;) {  // it has ended: all it sent is queued
        auto r = sys::recv(rx.get(), buf, MSG_DONTWAIT);
        if (!r && would_block(r.error())) break;
        if (!r) throw failed("unix-dgram receive", r.error());
        t.add(std::span<const std::byte>(buf.data(), *r));
      }
    }
    m.received = t.received;
    m.damaged = t.damaged;
    m.duplicated = t.duplicated;
    m.reordered = t.reordered;
    m.lost = t.lost(0, m.sent) + t.lost(n, n + m.nonblocking_sent);
  }
  if (!ctx.work_dir.empty() && !ctx.stopping()) {
    Scenario s;
    s.seed = ctx.seed;
    s.mechanism = "unix-dgram";
    s.workload = {WorkloadKind::stream, 1, 1, 300, 4096, 1};
    s.stall_ms = 3000;
    auto fault = faults::parse("full-buffer");
    if (!fault) throw std::runtime_error("full-buffer: " + fault.error());
    s.faults = faults::to_json(faults::Plan{*fault});
    HarnessRun r = run_harness(s, ctx, "unix-dgram-held-back");
    m.harness_run = r.describe();
    m.harness_verdict = r.report.verdict;
    m.harness_sent = r.report.delivery.sent;
    m.harness_received = r.report.delivery.received;
    m.harness_lost = r.report.delivery.lost;
    m.harness = counterexample_of(
        r, fmt::format("the harness held the receiver back (SIGSTOP, buffer shrunk) until its sender blocked: {} of {} "
                       "datagrams arrived, {} lost; verdict {}",
                       m.harness_received, m.harness_sent, m.harness_lost, m.harness_verdict));
  }
  return m;
}

Finding judge_dgram_loss(const DgramLoss& m, const std::string& replay) {
  Finding f;
  f.runs.push_back(
      fmt::format("unix-dgram: a sender process sends {} datagrams (blocking) to a bound socket whose "
                  "receiver reads only once the sender slept or ended; then a non-blocking sender sends "
                  "until an error",
                  m.sent));
  f.evidence.push_back(m.slept_in ? fmt::format("the blocking sender slept in {} after {} datagrams were queued "
                                                "(max_dgram_qlen = {}), and completed its {} sends once the receiver "
                                                "read",
                                                *m.slept_in, m.sent_before_sleep, m.max_dgram_qlen, m.sent)
                                  : fmt::format("the blocking sender never slept: it sent {} datagrams", m.sent));
  f.evidence.push_back(m.nonblocking_errno ? fmt::format("the non-blocking sender got {} after {} datagrams",
                                                         probe::errno_name(m.nonblocking_errno), m.nonblocking_sent)
                                           : fmt::format("the non-blocking sender never met an error in {} datagrams",
                                                         m.nonblocking_sent));
  f.evidence.push_back(fmt::format("{} datagrams sent, {} received: {} lost, {} damaged, {} duplicated, {} reordered",
                                   m.sent + m.nonblocking_sent, m.received, m.lost, m.damaged, m.duplicated,
                                   m.reordered));
  if (!m.harness_run.empty()) {
    f.runs.push_back("the harness: " + m.harness_run);
    f.evidence.push_back(
        fmt::format("the harness's run (receiver held back with SIGSTOP until its sender blocked): {} "
                    "of {} arrived, {} lost; verdict {}",
                    m.harness_received, m.harness_sent, m.harness_lost, m.harness_verdict));
  }
  f.measurements = {{"max_dgram_qlen", m.max_dgram_qlen},
                    {"sent", m.sent + m.nonblocking_sent},
                    {"received", m.received},
                    {"lost", m.lost},
                    {"damaged", m.damaged},
                    {"duplicated", m.duplicated},
                    {"reordered", m.reordered},
                    {"sent_before_sleep", m.sent_before_sleep},
                    {"slept_in", m.slept_in.value_or("")},
                    {"nonblocking_sent", m.nonblocking_sent},
                    {"nonblocking_errno", m.nonblocking_errno ? probe::errno_name(m.nonblocking_errno) : ""},
                    {"harness",
                     {{"verdict", m.harness_verdict},
                      {"sent", m.harness_sent},
                      {"received", m.harness_received},
                      {"lost", m.harness_lost}}}};
  if (m.lost + m.harness_lost > 0) {
    f.verdict = Verdict::holds;
    return f;
  }
  f.verdict = Verdict::refuted;
  f.condition = fmt::format(
      "0 of {} datagrams lost ({} here, {} in the harness's run): a full receiver makes the "
      "sender wait{} instead of dropping",
      m.sent + m.nonblocking_sent + m.harness_sent, m.sent + m.nonblocking_sent, m.harness_sent,
      m.slept_in ? " (asleep in " + *m.slept_in + ")" : std::string());
  if (m.nonblocking_errno)
    f.condition += ", or fails a non-blocking send with " + probe::errno_name(m.nonblocking_errno);
  if (m.harness)
    f.counterexamples.push_back(*m.harness);
  else
    f.counterexamples.push_back({f.condition, replay, std::nullopt});
  return f;
}

// ---- udp-loopback-loses -------------------------------------------------------------------

UdpLoss measure_udp_loss(const Context& ctx) {
  UdpLoss m;
  m.rcvbuf_asked = 4096;
  m.datagram_size = 256;
  const std::uint64_t n = ctx.quick ? 300 : 3000;
  const std::uint64_t seed = derive_seed(ctx.seed, "udp");
  Fd rx = must(sys::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC), "socket(AF_INET, SOCK_DGRAM)");
  must(sys::setsockopt_int(rx.get(), SOL_SOCKET, SO_RCVBUF, m.rcvbuf_asked), "setsockopt(SO_RCVBUF)");
  m.rcvbuf_got = must(sys::getsockopt_int(rx.get(), SOL_SOCKET, SO_RCVBUF), "getsockopt(SO_RCVBUF)");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  must(sys::bind(rx.get(), reinterpret_cast<sockaddr*>(&addr), len), "bind(127.0.0.1:0)");
  must(sys::getsockname(rx.get(), reinterpret_cast<sockaddr*>(&addr), &len), "getsockname");
  auto before = rcvbuf_errors();
  auto origin = Clock::now();
  Shared<SenderShared> sh;
  auto sender = probe::spawn(probe::reporting(sh->failure, [&] {
    rx.reset();
    Fd s = must(sys::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC), "socket(AF_INET, SOCK_DGRAM)");
    must(sys::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), len), "connect(127.0.0.1)");
    std::vector<std::byte> msg(m.datagram_size);
    for (std::uint32_t i = 0; i < n; ++i) {
      probe::fill(seed, i, msg);
      must(sys::send(s.get(), msg, 0), "udp send");
      sh->sent.add(i, probe::ms_since(origin));
      sh->progress.fetch_add(1);
    }
    return 0;
  }));
  probe::expect_clean(probe::end_of(sender, 20s), "udp sender", sh->failure);
  // The receiver reads only now. Loopback delivers in softirq, maybe after send() returned:
  // the drain ends after 200 ms with nothing new.
  Tracker t(seed, n);
  std::vector<std::optional<double>> got(n);
  std::vector<std::byte> buf(65536);
  auto guard = Deadline::after(20s);
  for (;;) {
    auto r = sys::recv(rx.get(), buf, MSG_DONTWAIT);
    if (r) {
      auto seq = t.add(std::span<const std::byte>(buf.data(), *r));
      if (seq && !got[*seq]) got[*seq] = probe::ms_since(origin);
      continue;
    }
    if (!would_block(r.error())) throw failed("udp receive", r.error());
    if (guard.expired()) break;
    auto w = sys::wait_for(rx.get(), POLLIN, Deadline::after(200ms));
    if (!w && w.error() == std::errc::timed_out) break;
    if (!w) throw failed("poll", w.error());
  }
  auto after = rcvbuf_errors();
  if (before && after) m.rcvbuf_errors = *after - *before;
  m.sent = sh->progress.load();
  m.received = t.received;
  m.damaged = t.damaged;
  m.duplicated = t.duplicated;
  m.reordered = t.reordered;
  m.lost = t.lost(0, m.sent);
  m.lanes = {fmt::format("sender (pid {})", sender.pid()), fmt::format("receiver (pid {})", ::getpid())};
  for (std::size_t i = 0; i < std::min<std::size_t>(30, sh->sent.size()); ++i) {
    std::uint32_t seq = sh->sent.seq[i];
    probe::Trace tr{seq, 0, sh->sent.t_ms[i], std::nullopt, 0, !got[seq], ""};
    if (got[seq]) {
      tr.to_lane = 1;
      tr.received_ms = *got[seq];
    }
    m.first.push_back(tr);
  }
  return m;
}

Finding judge_udp_loss(const UdpLoss& m, const std::string& replay) {
  Finding f;
  f.runs.push_back(
      fmt::format("udp: a sender process sends {} datagrams of {} B over loopback to a socket with "
                  "SO_RCVBUF {} (the kernel reports {}) that reads only once the sender has exited",
                  m.sent, m.datagram_size, m.rcvbuf_asked, m.rcvbuf_got));
  f.evidence.push_back(fmt::format("{} datagrams sent, {} received: {} lost, {} damaged, {} duplicated, {} reordered",
                                   m.sent, m.received, m.lost, m.damaged, m.duplicated, m.reordered));
  f.evidence.push_back(m.rcvbuf_errors
                           ? fmt::format("the kernel's own count, Udp RcvbufErrors in /proc/net/snmp, rose by {} (it "
                                         "counts every UDP socket of this network namespace)",
                                         *m.rcvbuf_errors)
                           : std::string("Udp RcvbufErrors could not be read from /proc/net/snmp"));
  f.evidence.push_back(
      fmt::format("all {} send() calls succeeded: what a full receive buffer cannot take is dropped "
                  "without telling the sender",
                  m.sent));
  f.measurements = {{"rcvbuf_asked", m.rcvbuf_asked},
                    {"rcvbuf", m.rcvbuf_got},
                    {"datagram_size", m.datagram_size},
                    {"sent", m.sent},
                    {"received", m.received},
                    {"lost", m.lost},
                    {"damaged", m.damaged},
                    {"duplicated", m.duplicated},
                    {"reordered", m.reordered}};
  if (m.rcvbuf_errors) f.measurements["rcvbuf_errors"] = *m.rcvbuf_errors;
  if (m.duplicated || m.reordered) {
    f.verdict = Verdict::refuted;
    f.condition =
        fmt::format("loopback UDP duplicated {} and reordered {} of {} datagrams", m.duplicated, m.reordered, m.sent);
  } else if (m.lost == 0) {
    f.verdict = Verdict::holds_only_if;
    f.condition = fmt::format("the receiver falls behind: here it kept up, all {} datagrams arrived", m.sent);
  } else {
    f.verdict = Verdict::holds;
  }
  if (m.lost > 0 || f.verdict == Verdict::refuted) {
    std::uint64_t lost_drawn = 0;
    for (const auto& t : m.first) lost_drawn += !t.to_lane;
    Counterexample c;
    c.summary = fmt::format("{} of {} datagrams lost while the receiver was not reading ({} of the first {} drawn)",
                            m.lost, m.sent, lost_drawn, m.first.size());
    c.replay = replay;
    c.timeline = probe::traffic("udp over loopback, a receiver that falls behind", m.lanes, m.first, {},
                                "red: a datagram sent and never received", 30);
    f.counterexamples.push_back(std::move(c));
  }
  return f;
}

// ---- sockets-full-duplex --------------------------------------------------------------------

DuplexMeasurement measure_duplex(const Context& ctx) {
  DuplexMeasurement m;
  const std::uint64_t n = ctx.quick ? 2000 : 20000;
  const std::vector<std::string> mechs{"unix-stream", "unix-seqpacket", "tcp", "unix-dgram"};
  for (const auto& mech : mechs) {
    if (ctx.stopping()) break;
    m.runs.push_back(duplex_run(mech, n, derive_seed(ctx.seed, "duplex-" + mech)));
  }
  auto origin = Clock::now();
  for (const auto& mech : mechs) {
    if (ctx.stopping()) break;
    m.probes.push_back(deadlock_probe(mech, 64ull << 20, origin));
  }
  return m;
}

Finding judge_duplex(const DuplexMeasurement& m, const std::string& replay) {
  Finding f;
  std::vector<std::string> broken;
  for (const auto& r : m.runs) {
    f.runs.push_back(
        fmt::format("{}: two processes, one per end, each sends {} messages of 16..1024 B and receives "
                    "{} at the same time (non-blocking, poll)",
                    r.mechanism, r.each_way, r.each_way));
    f.evidence.push_back(
        fmt::format("{}: A to B {} of {}, B to A {} of {} intact and in order; {} damaged, {} out of "
                    "order{}",
                    r.mechanism, r.a_to_b, r.each_way, r.b_to_a, r.each_way, r.damaged, r.out_of_order,
                    r.finished ? "" : "; not finished within the hang guard"));
    f.measurements["duplex"][r.mechanism] = {
        {"each_way", r.each_way},         {"a_to_b", r.a_to_b},    {"b_to_a", r.b_to_a}, {"damaged", r.damaged},
        {"out_of_order", r.out_of_order}, {"finished", r.finished}};
    if (r.a_to_b != r.each_way || r.b_to_a != r.each_way || r.damaged || r.out_of_order || !r.finished) {
      broken.push_back(fmt::format("{}: A to B {} of {}, B to A {} of {}, {} damaged, {} out of order{}", r.mechanism,
                                   r.a_to_b, r.each_way, r.b_to_a, r.each_way, r.damaged, r.out_of_order,
                                   r.finished ? "" : ", not finished"));
    }
  }
  const DeadlockProbe* stuck = nullptr;
  std::vector<std::string> stuck_names;
  for (const auto& p : m.probes) {
    f.runs.push_back(fmt::format("{}: both processes write {} with blocking send() before reading anything",
                                 p.mechanism, kib(p.attempted)));
    f.evidence.push_back(
        p.deadlocked ? fmt::format("{}: deadlock: A wrote {}, B wrote {}, then both slept ({}, {}) with no progress "
                                   "until SIGKILLed",
                                   p.mechanism, kib(p.a_written), kib(p.b_written), p.a_wchan, p.b_wchan)
                     : fmt::format("{}: no deadlock: both wrote all {} and then read", p.mechanism, kib(p.attempted)));
    f.measurements["write_before_read"][p.mechanism] = {{"attempted", p.attempted}, {"a_written", p.a_written},
                                                        {"b_written", p.b_written}, {"deadlocked", p.deadlocked},
                                                        {"a_wchan", p.a_wchan},     {"b_wchan", p.b_wchan}};
    if (p.deadlocked) {
      if (!stuck) stuck = &p;
      stuck_names.push_back(fmt::format("{} after {} + {}", p.mechanism, kib(p.a_written), kib(p.b_written)));
    }
  }
  if (m.runs.empty()) {
    f.verdict = Verdict::not_checked;
    f.condition = "no run completed (interrupted)";
    return f;
  }
  if (!broken.empty()) {
    f.verdict = Verdict::refuted;
    f.condition = broken.front();
    f.counterexamples.push_back({f.condition, replay, std::nullopt});
    return f;
  }
  if (!stuck) {
    f.verdict = Verdict::holds;
    return f;
  }
  f.verdict = Verdict::holds_only_if;
  std::string names;
  for (const auto& s : stuck_names) names += (names.empty() ? "" : "; ") + s;
  f.condition =
      "each side reads while it writes: when both write before reading, both block once the buffers fill, "
      "for ever (" +
      names + ")";
  Counterexample c;
  c.summary =
      fmt::format("{}: both ends wrote before reading; A slept in {} after {}, B in {} after {}: a deadlock",
                  stuck->mechanism, stuck->a_wchan, kib(stuck->a_written), stuck->b_wchan, kib(stuck->b_written));
  c.replay = replay;
  Timeline t;
  t.title = stuck->mechanism + ": both ends write before they read";
  t.lanes = stuck->lanes;
  t.marks = stuck->marks;
  t.caption = "red: asleep in the kernel, each waiting for the other to read";
  c.timeline = std::move(t);
  f.counterexamples.push_back(std::move(c));
  return f;
}

}  // namespace ipch::claims
