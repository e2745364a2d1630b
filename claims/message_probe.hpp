// What the queue and socket experiments share: seeded messages a receiver can check byte for
// byte, results written by forked children into memory the parent reads, a clock common to all
// processes, a way to see that a child sleeps in the kernel, and a timeline of sends and
// receipts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "child.hpp"
#include "timeline.hpp"

namespace ipch::claims::probe {

// A message is seq (4 B), its own size (4 B), then bytes derived from (seed, seq).
constexpr std::size_t kHeader = 8;

// Fills `msg` (at least kHeader bytes) as message `seq` of `seed`.
void fill(std::uint64_t seed, std::uint32_t seq, std::span<std::byte> msg);
// Returns its seq iff `msg` is a whole message of `seed`: the size field equals msg.size() and
// every body byte is the one fill() writes.
std::optional<std::uint32_t> intact(std::uint64_t seed, std::span<const std::byte> msg);
// The seq field alone (to name a damaged message); nullopt iff shorter than 4 bytes.
std::optional<std::uint32_t> seq_of(std::span<const std::byte> msg);
// The size field alone; nullopt iff shorter than kHeader bytes.
std::optional<std::uint32_t> size_of(std::span<const std::byte> msg);

// "EAGAIN"; "errno 1234" for a number without a name.
std::string errno_name(int e);

// An anonymous shared mapping of `size` bytes. Throws std::runtime_error naming mmap and its errno iff it fails.
void* map(std::size_t size);
void unmap(void* p, std::size_t size);

// A T in an anonymous shared mapping: what a forked child writes there, the parent reads.
// T must be trivially destructible; its atomics are lock-free, so they work across processes.
template <class T>
class Shared {
  static_assert(std::is_trivially_destructible_v<T>);

 public:
  Shared() : p_(new (map(sizeof(T))) T{}) {}
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;
  ~Shared() { unmap(p_, sizeof(T)); }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }

 private:
  T* p_;
};

// A log of what one process did, in shared memory: at most N entries of (seq, t_ms, aux).
template <std::size_t N>
struct Log {
  std::atomic<std::uint32_t> n{0};
  std::uint32_t seq[N];
  float t_ms[N];
  std::int64_t aux[N];  // a priority, a type, a size or an errno
  void add(std::uint32_t s, double t, std::int64_t a = 0) {
    auto i = n.load(std::memory_order_relaxed);
    if (i >= N) return;
    seq[i] = s;
    t_ms[i] = static_cast<float>(t);
    aux[i] = a;
    n.store(i + 1, std::memory_order_release);
  }
  std::size_t size() const { return n.load(std::memory_order_acquire); }
};

// Milliseconds since `origin` on the steady clock, which is CLOCK_MONOTONIC in every process.
double ms_since(std::chrono::steady_clock::time_point origin);

// Waits until `c` sleeps in the kernel while `progress` stays still (four looks 25 ms apart),
// or until it ends, or `guard`. Returns its wchan ("do_msgsnd") iff it was found asleep so; the
// child is left as it is.
std::optional<std::string> await_blocked(const Child& c, const std::atomic<std::uint64_t>& progress,
                                         std::chrono::milliseconds guard);
// The same for several children at once: returns each one's wchan iff all of them sleep.
std::optional<std::vector<std::string>> await_blocked(const std::vector<const Child*>& cs,
                                                      const std::atomic<std::uint64_t>& progress,
                                                      std::chrono::milliseconds guard);

// Kills `c` with SIGKILL and reaps it; throws std::runtime_error iff it could not be reaped.
Ended kill_and_reap(Child& c);
// Waits for `c` to end within `guard`; kills it iff it had not. Returns how it ended.
Ended end_of(Child& c, std::chrono::milliseconds guard);

// Forks `body` as a child; throws std::runtime_error naming fork and its errno iff it fails.
Child spawn(std::function<int()> body);

// Why a child gave up, in shared memory: the first exception's text.
struct Failure {
  std::atomic<bool> set{false};
  char text[240]{};
};
// `body`, with an exception's text kept in `f` (the child then exits 125).
std::function<int()> reporting(Failure& f, std::function<int()> body);
// Throws std::runtime_error "<who>: <why>" iff `e` is not "exit 0"; the why is the child's own
// text when it left one.
void expect_clean(const Ended& e, const std::string& who, const Failure& f);

// One message's life for a timeline: sent on one lane, received (or not) on another.
struct Trace {
  std::uint32_t seq = 0;
  std::uint32_t from_lane = 0;
  double sent_ms = 0;
  std::optional<std::uint32_t> to_lane;  // nullopt: never received
  double received_ms = 0;
  bool bad = false;   // damaged, duplicated, out of order or lost
  std::string label;  // "#7 p3"; "#seq" when empty
};

// A timeline of `messages` (at most `max` of them drawn, in the order given) plus `extra` marks;
// the caption gets ", N more not drawn" when some were left out.
Timeline traffic(std::string title, std::vector<std::string> lanes, const std::vector<Trace>& messages,
                 std::vector<Mark> extra, std::string caption, std::size_t max = 30);

}  // namespace ipch::claims::probe
