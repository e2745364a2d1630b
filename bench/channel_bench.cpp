#include "channel_bench.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "channel.hpp"
#include "envelope.hpp"
#include "event.hpp"
#include "registry.hpp"
#include "sys.hpp"

namespace ipch::bench {

std::string_view to_string(Sync s) { return s == Sync::blocking ? "blocking" : "spinning"; }

namespace {

// A child that would wait longer than this for its first message is stuck, not slow.
constexpr auto kHangGuard = std::chrono::seconds(30);
constexpr std::uint64_t kPayloadSeed = 0x6265'6e63'6800;  // "bench"

[[noreturn]] void fail(const std::string& mechanism, const std::string& what, std::error_code ec) {
  throw std::runtime_error(mechanism + ": " + what + " failed: " + describe(ec));
}

const Mechanism& find(const std::string& name) {
  const Mechanism* m = registry::find(name);
  if (!m) throw std::runtime_error("unknown mechanism '" + name + "'; use one of: " + registry::names());
  return *m;
}

std::unique_ptr<Link> make_link(const Mechanism& m, Sync sync) {
  auto l = m.create(bench_settings(m.name, sync));
  if (!l) throw std::runtime_error(l.error().message);
  return std::move(*l);
}

bool would_block(const std::error_code& ec) { return ec == std::errc::resource_unavailable_try_again; }

// Spinning is a non-blocking call retried at once; blocking mode never sees EAGAIN.
Result<void> send(Channel& ch, std::span<const std::byte> msg) {
  for (;;) {
    auto r = ch.send(msg, Deadline::never());
    if (r || !would_block(r.error())) return r;
  }
}

Result<Received> receive(Channel& ch, std::vector<std::byte>& buf, Deadline d) {
  for (;;) {
    auto r = ch.receive(buf, d);
    if (r || !would_block(r.error())) return r;
    if (d.expired()) return errno_error(ETIMEDOUT);
  }
}

// A lossy receiver cannot wait for ever for a message that was dropped.
Deadline wait_for(const Mechanism& m, unsigned quiet_ms) {
  return m.contract.delivery == Delivery::lossy ? Deadline::after(std::chrono::milliseconds(quiet_ms))
                                                : Deadline::never();
}

void pin(int cpu) {
  if (cpu >= 0) (void)sys::pin_to_cpu(0, cpu);  // best effort: an unusable CPU just is not used
}

struct ChildReport {
  std::uint64_t received = 0;
  std::uint64_t last_ns = 0;
  std::uint32_t damaged = 0;
};

// Forks the other end. The child runs `body`, writes its report to the pipe and exits without
// running this process's destructors (it must not remove the parent's objects).
template <class Body>
pid_t fork_child(const std::string& mechanism, int cpu, const sys::Fd& report_w, Body body) {
  auto pid = sys::fork(true);
  if (!pid) fail(mechanism, "fork()", pid.error());
  if (*pid != 0) return *pid;
  pin(cpu);
  ChildReport rep = body();
  (void)sys::write_all(report_w.get(), std::as_bytes(std::span(&rep, 1)), Deadline::never());
  ::_exit(0);
}

// Waits for the child's one-byte "opened" signal, then later its report.
void read_from_child(const std::string& mechanism, const sys::Fd& r, std::span<std::byte> out) {
  auto got = sys::read_exact(r.get(), out, Deadline::after(kHangGuard));
  if (!got) fail(mechanism, "reading the other process's report", got.error());
}

void reap(pid_t pid, bool kill_first) {
  if (kill_first) (void)sys::kill(pid, SIGKILL);
  (void)sys::waitpid(pid, 0);
}

std::unique_ptr<Channel> open_end(const std::string& mechanism, Link& l, Role role) {
  auto ch = l.open(role, Deadline::after(kHangGuard));
  if (!ch) fail(mechanism, std::string("opening the ") + std::string(to_string(role)) + " end", ch.error());
  return std::move(*ch);
}

}  // namespace

Settings bench_settings(const std::string& mechanism, Sync sync) {
  Settings s;
  s.blocking = sync == Sync::blocking;
  // Room for the largest message and the next in flight, where the default has none (traits).
  s.capacity = find(mechanism).traits.bench_capacity();
  return s;
}

bool measured_with(const std::string& mechanism, Sync sync) {
  // A ring in shared memory has no kernel wait to be non-blocking about: it spins either way.
  return sync == Sync::blocking || find(mechanism).traits.shared_memory;
}

std::size_t largest_message(const std::string& mechanism) {
  auto l = make_link(find(mechanism), Sync::blocking);
  std::size_t bytes = l->limit().bytes;
  l->remove();
  return bytes;
}

ThroughputSample throughput(const std::string& mechanism, std::size_t size, std::uint64_t count, Sync sync,
                            bool envelope, Placement where, unsigned quiet_ms) {
  const Mechanism& m = find(mechanism);
  auto link = make_link(m, sync);
  auto report = sys::pipe(0);
  if (!report) fail(mechanism, "pipe()", report.error());
  auto& [report_r, report_w] = *report;

  pid_t child = fork_child(mechanism, where.child_cpu, report_w, [&]() -> ChildReport {
    ChildReport rep;
    auto ch = link->open(Role::receiver, Deadline::after(kHangGuard));
    if (!ch) ::_exit(3);
    link->release();
    std::byte opened{1};
    (void)sys::write_all(report_w.get(), std::span(&opened, 1), Deadline::never());
    std::vector<std::byte> buf(size);
    // The first message may wait for the sender to start; later ones only for a lossy gap.
    Deadline first = Deadline::after(kHangGuard);
    while (rep.received < count) {
      auto r = receive(**ch, buf, rep.received == 0 ? first : wait_for(m, quiet_ms));
      if (!r) break;
      rep.last_ns = monotonic_ns();
      ++rep.received;
      if (envelope && !open_envelope(kPayloadSeed, std::span(buf).first(r->size)).intact) ++rep.damaged;
    }
    return rep;
  });
  report_w.reset();

  ThroughputSample out;
  out.size = size;
  auto finish = [&](bool kill_first) { reap(child, kill_first); };
  try {
    auto ch = open_end(mechanism, *link, Role::sender);
    link->release();
    std::byte opened{};
    read_from_child(mechanism, report_r, std::span(&opened, 1));
    std::vector<std::byte> msg(size, std::byte{0x5a});
    std::uint64_t t0 = monotonic_ns();
    for (std::uint64_t i = 0; i < count; ++i) {
      if (envelope) make_envelope(kPayloadSeed, 0, i, size, msg);
      auto r = send(*ch, msg);
      if (!r) fail(mechanism, "send of message " + std::to_string(i), r.error());
      ++out.sent;
    }
    ChildReport rep;
    read_from_child(mechanism, report_r, std::as_writable_bytes(std::span(&rep, 1)));
    ch->close();
    finish(false);
    if (rep.damaged) throw std::runtime_error(mechanism + ": " + std::to_string(rep.damaged) + " messages damaged");
    if (rep.received < count && m.contract.delivery == Delivery::reliable)
      throw std::runtime_error(mechanism + ": " + std::to_string(count - rep.received) + " messages lost");
    out.received = rep.received;
    out.seconds = rep.last_ns > t0 ? double(rep.last_ns - t0) / 1e9 : 0;
  } catch (...) {
    finish(true);
    link->remove();
    throw;
  }
  link->remove();
  return out;
}

RoundTripSample round_trips(const std::string& mechanism, std::size_t size, int count, int warmup, Sync sync,
                            Placement where, unsigned quiet_ms) {
  const Mechanism& m = find(mechanism);
  size = std::max<std::size_t>(size, sizeof(std::uint64_t));  // each message carries its round trip's number
  auto requests = make_link(m, sync);
  auto responses = make_link(m, sync);
  auto report = sys::pipe(0);
  if (!report) fail(mechanism, "pipe()", report.error());
  auto& [report_r, report_w] = *report;

  // The child echoes until the parent kills it: with a lossy mechanism it cannot know the count.
  pid_t child = fork_child(mechanism, where.child_cpu, report_w, [&]() -> ChildReport {
    auto in = requests->open(Role::receiver, Deadline::after(kHangGuard));
    if (!in) ::_exit(3);
    auto out = responses->open(Role::sender, Deadline::after(kHangGuard));
    if (!out) ::_exit(3);
    requests->release();
    responses->release();
    std::byte opened{1};
    (void)sys::write_all(report_w.get(), std::span(&opened, 1), Deadline::never());
    std::vector<std::byte> buf(size);
    for (;;) {
      auto r = receive(**in, buf, Deadline::never());
      if (!r) ::_exit(0);
      if (!send(**out, std::span(buf).first(r->size))) ::_exit(0);
    }
  });
  report_w.reset();

  RoundTripSample out;
  try {
    auto tx = open_end(mechanism, *requests, Role::sender);
    auto rx = open_end(mechanism, *responses, Role::receiver);
    requests->release();
    responses->release();
    std::byte opened{};
    read_from_child(mechanism, report_r, std::span(&opened, 1));
    std::vector<std::byte> msg(size, std::byte{0x5a}), buf(size);
    out.ns.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < warmup + count; ++i) {
      std::uint64_t n = static_cast<std::uint64_t>(i);
      std::memcpy(msg.data(), &n, sizeof n);
      std::uint64_t t0 = monotonic_ns();
      if (auto r = send(*tx, msg); !r) fail(mechanism, "request " + std::to_string(i), r.error());
      Deadline d = wait_for(m, quiet_ms);
      bool answered = false;
      while (!answered) {
        auto r = receive(*rx, buf, d);
        if (!r && r.error() == std::errc::timed_out) break;
        if (!r) fail(mechanism, "response " + std::to_string(i), r.error());
        std::uint64_t got = 0;
        std::memcpy(&got, buf.data(), sizeof got);
        answered = got == n;  // a late answer to an earlier, given-up round trip is skipped
      }
      std::uint64_t t1 = monotonic_ns();
      if (i < warmup) continue;
      if (answered) out.ns.push_back(double(t1 - t0));
      else ++out.lost;
    }
  } catch (...) {
    reap(child, true);
    requests->remove();
    responses->remove();
    throw;
  }
  reap(child, true);
  requests->remove();
  responses->remove();
  return out;
}

}  // namespace ipch::bench
