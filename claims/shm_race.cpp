// The experiments behind shm-unsynchronised-corrupts: lost updates of a shared counter and torn
// records, each without and with a lock, in a posix and a sysv segment.
#include <pthread.h>
#include <sys/sem.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <stdexcept>

#include "child.hpp"
#include "shm_checks.hpp"
#include "shm_segment.hpp"
#include "sys.hpp"

namespace ipch::claims {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kMaxProcs = 8;
constexpr std::size_t kMaxRuns = 8;
// Hang guards only: a run ends when its budget is spent; these catch a racer that cannot end.
constexpr auto kGateGuard = 10s;
constexpr auto kRunGuard = 60s;
constexpr std::uint64_t kSpinCap = 50'000'000;  // about a second of pause instructions
constexpr int kThinkSpins = 32;                 // a writer's work between two records

struct SpanSlot {
  double start_ms = 0, end_ms = 0;
};

// The lock around one critical section: the posix segment's robust mutex, or semaphore 0 of a
// SysV set taken with SEM_UNDO (so a racer killed inside it cannot wedge the others).
struct Lock {
  ShmKind kind = ShmKind::posix;
  pthread_mutex_t* mutex = nullptr;
  int semid = -1;

  Result<void> take(Deadline d) const {
    if (kind == ShmKind::posix) return sys::mutex_lock(mutex, d);
    sembuf b{0, -1, SEM_UNDO};
    return sys::semop(semid, std::span(&b, 1), d);
  }
  Result<void> give() const {
    if (kind == ShmKind::posix) return sys::mutex_unlock(mutex);
    sembuf b{0, 1, SEM_UNDO};
    return sys::semop(semid, std::span(&b, 1), Deadline::never());
  }
  const char* take_call() const { return kind == ShmKind::posix ? "pthread_mutex_lock" : "semop(-1, SEM_UNDO)"; }
  const char* give_call() const { return kind == ShmKind::posix ? "pthread_mutex_unlock" : "semop(+1, SEM_UNDO)"; }
};

// What every experiment's area starts with.
struct Common {
  shm::StartGate gate;
  shm::Failure failure;
  alignas(64) std::uint32_t running;  // racers past the gate
  alignas(64) std::uint32_t stop;     // the parent's "time is up"
  alignas(64) pthread_mutex_t mutex;
  alignas(64) SpanSlot spans[kMaxProcs];
  std::uint64_t counts[kMaxProcs];  // what each racer did: increments, records
};

// Spins until every racer is past the gate, so that none gets a head start from a quicker
// futex wake-up. Bounded: a racer preempted for long only delays the others' start.
void spin_until_all_run(Common& c, std::uint32_t n) {
  std::atomic_ref(c.running).fetch_add(1);
  for (std::uint64_t i = 0; i < kSpinCap && std::atomic_ref(c.running).load() < n; ++i) shm::cpu_relax();
}
bool stopped(Common& c) {
  return std::atomic_ref(c.stop).load(std::memory_order_relaxed) != 0;
}

// Starts a racer: waits at the gate, spins until all run, notes its start. Returns 0, or the
// exit code of a failure recorded in the area.
int start_racer(Common& c, std::uint32_t n, std::uint32_t i, Deadline d, Clock::time_point t0) {
  if (auto r = shm::arrive_and_wait(c.gate, d); !r) return shm::fail(c.failure, "futex(start gate)", r.error());
  spin_until_all_run(c, n);
  c.spans[i].start_ms = shm::ms_since(t0);
  return 0;
}

struct CounterArea {
  Common c;
  alignas(64) std::uint64_t counter;  // a cache line of its own: only the race touches it
};

struct RunSlot {
  std::uint32_t writer, first_word, words, pad;
  std::uint64_t generation;
};

struct TornArea {
  Common c;
  alignas(64) std::uint32_t writers_done;
  alignas(64) std::uint64_t copies, torn, mixed_writers;
  std::uint32_t final_mixed, has_first;
  std::uint64_t first_copy;
  double first_t_ms;
  std::uint32_t first_runs, first_more;
  RunSlot runs[kMaxRuns];
};
constexpr std::size_t kRecordOffset = (sizeof(TornArea) + 4095) / 4096 * 4096;

// A record word: writer + 1 in the top 16 bits (0: never written), the generation below.
std::uint64_t tag(std::uint32_t writer, std::uint64_t generation) {
  return (static_cast<std::uint64_t>(writer + 1) << 48) | generation;
}
std::uint32_t writer_of(std::uint64_t w) {
  return static_cast<std::uint32_t>(w >> 48) - 1;
}  // ~0u: never written
std::uint64_t generation_of(std::uint64_t w) {
  return w & ((std::uint64_t{1} << 48) - 1);
}

// The CPUs to pin racers to, rotated by the seed so that a replay puts each racer where it was.
std::vector<int> racer_cpus(std::uint64_t seed) {
  auto cpus = sys::usable_cpus();
  if (!cpus || cpus->empty()) return {};
  std::mt19937_64 rng(seed);
  std::rotate(cpus->begin(), cpus->begin() + static_cast<long>(rng() % cpus->size()), cpus->end());
  return *cpus;
}

// Forks one child per body, opens the start gate once all arrived, and waits for every one.
// Throws std::runtime_error iff a child fails, records a failure, or outlives the hang guard.
// Once `budget` is spent, raises the stop flag, which every racer checks between two steps.
void run_racers(Common& c, std::vector<std::function<int()>> bodies, std::chrono::milliseconds budget,
                const std::string& what) {
  std::vector<Child> kids;
  for (auto& b : bodies) {
    auto k = Child::fork(std::move(b));
    if (!k) throw std::runtime_error(what + ": fork: " + describe(k.error()));
    kids.push_back(std::move(*k));
  }
  shm::open_when_arrived(c.gate, static_cast<std::uint32_t>(kids.size()), Deadline::after(kGateGuard));
  auto spent = Deadline::after(budget);
  std::vector<std::optional<Ended>> ended(kids.size());
  for (std::size_t i = 0; i < kids.size(); ++i) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(spent.time_point() - Clock::now());
    if (left.count() <= 0) break;
    ended[i] = kids[i].wait(left);
    if (!ended[i]) break;
  }
  std::atomic_ref(c.stop).store(1);
  auto guard = Deadline::after(kRunGuard);
  for (std::size_t i = 0; i < kids.size(); ++i) {
    auto& k = kids[i];
    if (ended[i]) {
      if (ended[i]->code != 0) {
        shm::throw_if_failed(c.failure, what);
        throw std::runtime_error(what + ": a racer ended with " + ended[i]->describe());
      }
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(guard.time_point() - Clock::now());
    auto e = k.wait(std::max(left, std::chrono::milliseconds(1)));
    if (!e) throw std::runtime_error(what + ": a racer was still running after the hang guard");
    if (e->code != 0) {
      shm::throw_if_failed(c.failure, what);
      throw std::runtime_error(what + ": a racer ended with " + e->describe());
    }
  }
}

Lock make_lock(ShmKind kind, Common& c, const shm::SemSet* sem) {
  Lock l{kind, &c.mutex, sem ? sem->id() : -1};
  if (kind == ShmKind::posix) {
    if (auto r = sys::mutex_init_shared_robust(&c.mutex); !r) {
      throw std::runtime_error("pthread_mutex_init(robust, process-shared): " + describe(r.error()));
    }
  }
  return l;
}

std::vector<Span> spans_of(const Common& c, std::size_t n) {
  std::vector<Span> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back({c.spans[i].start_ms, c.spans[i].end_ms});
  return out;
}

CounterRun counter_run(ShmKind kind, bool locked, std::uint32_t processes, std::uint64_t increments,
                       std::chrono::milliseconds budget, const std::vector<int>& cpus) {
  shm::Segment seg(kind, sizeof(CounterArea));
  auto* a = seg.as<CounterArea>();
  std::optional<shm::SemSet> sem;
  if (locked && kind == ShmKind::sysv) sem.emplace(1, 1);
  const Lock lock = make_lock(kind, a->c, sem ? &*sem : nullptr);
  const auto t0 = Clock::now();
  std::vector<std::function<int()>> bodies;
  for (std::uint32_t i = 0; i < processes; ++i) {
    bodies.push_back([=]() -> int {
      shm::pin_where_possible(cpus, i);
      auto d = Deadline::after(kRunGuard);
      if (int rc = start_racer(a->c, processes, i, d, t0); rc != 0) return rc;
      // A plain load and store, as code that treats shared memory like its own does: volatile
      // keeps every access, and nothing makes the pair atomic.
      volatile std::uint64_t* counter = &a->counter;
      std::uint64_t m = 0;
      // Unlocked, the stop flag is read every 256 additions only, to keep the racy loop tight.
      const std::uint64_t mask = locked ? 0 : 255;
      for (; m < increments && ((m & mask) != 0 || !stopped(a->c)); ++m) {
        if (locked) {
          if (auto r = lock.take(d); !r) return shm::fail(a->c.failure, lock.take_call(), r.error());
        }
        *counter = *counter + 1;
        if (locked) {
          if (auto r = lock.give(); !r) return shm::fail(a->c.failure, lock.give_call(), r.error());
        }
      }
      a->c.spans[i].end_ms = shm::ms_since(t0);
      a->c.counts[i] = m;
      return 0;
    });
  }
  run_racers(a->c, std::move(bodies), budget, std::string(mechanism_of(kind)) + " counter");
  CounterRun r;
  r.kind = kind;
  r.locked = locked;
  r.processes = processes;
  r.increments_cap = increments;
  for (std::uint32_t i = 0; i < processes; ++i) r.increments += a->c.counts[i];
  r.final_value = std::atomic_ref(a->counter).load();
  r.spans = spans_of(a->c, processes);
  return r;
}

// Checks one copy of the record. Returns {torn, several writers}; keeps the runs of the first torn
// copy in the area.
std::pair<bool, bool> check_copy(const std::vector<std::uint64_t>& copy, TornArea* a, std::uint64_t index,
                                 double t_ms) {
  const std::uint64_t first = copy[0];
  bool torn = false, writers = false;
  for (std::uint64_t w : copy) {
    if (w != first) {
      torn = true;
      if (writer_of(w) != writer_of(first)) {
        writers = true;
        break;
      }
    }
  }
  if (!torn || a->has_first) return {torn, writers};
  a->has_first = 1;
  a->first_copy = index;
  a->first_t_ms = t_ms;
  std::uint32_t n = 0, more = 0;
  for (std::size_t i = 0; i < copy.size();) {
    std::size_t j = i;
    while (j < copy.size() && copy[j] == copy[i]) ++j;
    if (n < kMaxRuns) {
      a->runs[n++] = {writer_of(copy[i]), static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j - i), 0,
                      generation_of(copy[i])};
    } else {
      ++more;
    }
    i = j;
  }
  a->first_runs = n;
  a->first_more = more;
  return {torn, writers};
}

TornRun torn_run(ShmKind kind, bool locked, std::uint32_t writers, std::size_t record_bytes, std::uint64_t records,
                 std::chrono::milliseconds budget, const std::vector<int>& cpus) {
  const std::size_t words = record_bytes / sizeof(std::uint64_t);
  shm::Segment seg(kind, kRecordOffset + words * sizeof(std::uint64_t));
  auto* a = seg.as<TornArea>();
  auto* record = reinterpret_cast<std::uint64_t*>(static_cast<char*>(seg.base()) + kRecordOffset);
  std::optional<shm::SemSet> sem;
  if (locked && kind == ShmKind::sysv) sem.emplace(1, 1);
  const Lock lock = make_lock(kind, a->c, sem ? &*sem : nullptr);
  const auto t0 = Clock::now();
  std::vector<std::function<int()>> bodies;
  for (std::uint32_t id = 0; id < writers; ++id) {
    bodies.push_back([=]() -> int {
      shm::pin_where_possible(cpus, id);
      auto d = Deadline::after(kRunGuard);
      if (int rc = start_racer(a->c, writers + 1, id, d, t0); rc != 0) return rc;
      volatile std::uint64_t* rec = record;
      const bool up = id % 2 == 0;  // writers running in opposite directions meet mid-record
      std::uint64_t g = 1;
      for (; g <= records && !stopped(a->c); ++g) {
        if (locked) {
          if (auto r = lock.take(d); !r) return shm::fail(a->c.failure, lock.take_call(), r.error());
        }
        const std::uint64_t t = tag(id, g);
        for (std::size_t i = 0; i < words; ++i) rec[up ? i : words - 1 - i] = t;
        if (locked) {
          if (auto r = lock.give(); !r) return shm::fail(a->c.failure, lock.give_call(), r.error());
        }
        for (int k = 0; k < kThinkSpins; ++k) shm::cpu_relax();
      }
      a->c.spans[id].end_ms = shm::ms_since(t0);
      a->c.counts[id] = g - 1;
      std::atomic_ref(a->writers_done).fetch_add(1, std::memory_order_release);
      return 0;
    });
  }
  bodies.push_back([=]() -> int {
    shm::pin_where_possible(cpus, writers);
    std::vector<std::uint64_t> copy(words);
    auto d = Deadline::after(kRunGuard);
    if (int rc = start_racer(a->c, writers + 1, writers, d, t0); rc != 0) return rc;
    const volatile std::uint64_t* rec = record;
    auto take_copy = [&]() -> int {
      if (locked) {
        if (auto r = lock.take(d); !r) return shm::fail(a->c.failure, lock.take_call(), r.error());
      }
      for (std::size_t i = 0; i < words; ++i) copy[i] = rec[i];
      if (locked) {
        if (auto r = lock.give(); !r) return shm::fail(a->c.failure, lock.give_call(), r.error());
      }
      return 0;
    };
    std::uint64_t copies = 0, torn = 0, mixed = 0;
    while (std::atomic_ref(a->writers_done).load(std::memory_order_acquire) < writers) {
      if (int rc = take_copy(); rc != 0) return rc;
      auto [t, w] = check_copy(copy, a, copies, shm::ms_since(t0));
      ++copies;
      torn += t;
      mixed += w;
    }
    // Every writer is done: what the record holds now is what the writers left behind.
    if (int rc = take_copy(); rc != 0) return rc;
    const std::uint64_t first = copy[0];
    a->final_mixed = std::any_of(copy.begin(), copy.end(), [&](std::uint64_t w) { return w != first; });
    a->copies = copies;
    a->torn = torn;
    a->mixed_writers = mixed;
    a->c.spans[writers].end_ms = shm::ms_since(t0);
    return 0;
  });
  run_racers(a->c, std::move(bodies), budget, std::string(mechanism_of(kind)) + " torn records");
  TornRun r;
  r.kind = kind;
  r.locked = locked;
  r.writers = writers;
  r.record_bytes = words * sizeof(std::uint64_t);
  r.records_cap = records;
  for (std::uint32_t i = 0; i < writers; ++i) r.records += a->c.counts[i];
  r.copies = a->copies;
  r.torn = a->torn;
  r.mixed_writers = a->mixed_writers;
  r.final_mixed = a->final_mixed != 0;
  r.spans = spans_of(a->c, writers + 1);
  if (a->has_first) {
    TornCopy f;
    f.copy = a->first_copy;
    f.t_ms = a->first_t_ms;
    for (std::uint32_t i = 0; i < a->first_runs; ++i) {
      f.runs.push_back({a->runs[i].writer, a->runs[i].generation, a->runs[i].first_word, a->runs[i].words});
    }
    f.more_runs = a->first_more;
    r.first_torn = f;
  }
  return r;
}

}  // namespace

RaceSettings RaceSettings::for_context(const Context& ctx) {
  RaceSettings s;
  s.stop = ctx.stop;
  if (!ctx.quick) {
    s.tries = 5;
    s.locked_runs = 2;
    s.increments_unlocked = 500'000'000;
    s.increments_locked = 2'000'000;
    s.records_unlocked = 500'000;
    s.records_locked = 500'000;
    s.budget = 1000ms;
  }
  return s;
}

RaceMeasurement measure_race(const RaceSettings& s, std::uint64_t seed) {
  RaceMeasurement m;
  const std::vector<int> cpus = racer_cpus(seed);
  m.cpus = static_cast<std::uint32_t>(cpus.size());
  m.tries = s.tries;
  m.budget_ms = static_cast<double>(s.budget.count());
  // As many racers as CPUs, 2 to 4; the torn experiment's reader comes on top of 2 or 3 writers.
  const auto counters = static_cast<std::uint32_t>(std::clamp<std::size_t>(cpus.size(), 2, 4));
  const auto writers = static_cast<std::uint32_t>(std::clamp<std::size_t>(cpus.size(), 2, 3));
  auto check_stop = [&] {
    if (s.stop != nullptr && s.stop->load() != 0) throw Interrupted{s.stop->load()};
  };
  for (ShmKind kind : {ShmKind::posix, ShmKind::sysv}) {
    for (std::uint32_t t = 0; t < s.tries; ++t) {
      check_stop();
      m.counters.push_back(counter_run(kind, false, counters, s.increments_unlocked, s.budget, cpus));
      if (m.counters.back().corrupted()) break;
    }
    for (std::uint32_t t = 0; t < s.locked_runs; ++t) {
      check_stop();
      m.counters.push_back(counter_run(kind, true, counters, s.increments_locked, s.budget, cpus));
    }
    for (std::uint32_t t = 0; t < s.tries; ++t) {
      check_stop();
      m.torn.push_back(torn_run(kind, false, writers, s.record_bytes, s.records_unlocked, s.budget, cpus));
      if (m.torn.back().corrupted()) break;
    }
    for (std::uint32_t t = 0; t < s.locked_runs; ++t) {
      check_stop();
      m.torn.push_back(torn_run(kind, true, writers, s.record_bytes, s.records_locked, s.budget, cpus));
    }
  }
  return m;
}

}  // namespace ipch::claims
