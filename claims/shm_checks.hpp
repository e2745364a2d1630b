// The shared-memory claims, each split into a measurement (real processes on a real segment,
// returning what was seen) and a judgement (a pure function from that to a Finding), so that
// tests can feed the judgement fabricated measurements and see every verdict come out.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "child.hpp"
#include "claim.hpp"

namespace ipch::claims {

// Which kind of segment: shm_open + mmap, or shmget + shmat.
enum class ShmKind { posix, sysv };
// "posix-shm", "sysv-shm": the mechanisms' names.
std::string_view mechanism_of(ShmKind k);

// ---- shm-unsynchronised-corrupts

// When one racer ran, in ms since the run's start (CLOCK_MONOTONIC is shared by processes).
struct Span {
  double start_ms = 0, end_ms = 0;
};
// How long at least two of `spans` ran at the same time, in ms: a run whose racers never met
// shows nothing about locking.
double overlap_ms(const std::vector<Span>& spans);

// K processes each add 1 to one shared 64-bit counter, up to M times or until the run's time
// budget is spent, each counting its own additions; locked: the posix lock is a robust
// process-shared mutex, the sysv lock a semaphore taken with SEM_UNDO.
struct CounterRun {
  ShmKind kind = ShmKind::posix;
  bool locked = false;
  std::uint32_t processes = 0;
  std::uint64_t increments_cap = 0;  // M, per process
  std::uint64_t increments = 0;      // made in all: what the counter should read
  std::uint64_t final_value = 0;
  std::vector<Span> spans;  // one per process
  std::uint64_t expected() const { return increments; }
  // Updates that vanished (or, were the value above the count, appeared from nowhere).
  std::uint64_t lost() const { return final_value > expected() ? final_value - expected() : expected() - final_value; }
  bool corrupted() const { return final_value != expected(); }
  // "posix-shm counter, no lock: 2 processes, 10000000 increments -> 5123456 (4876544 lost), together 12.0 ms"
  std::string describe() const;
};

// A run of words of one record copy that came from one write.
struct WordRun {
  std::uint32_t writer = 0;  // ~0u: the zeros of a record never written
  std::uint64_t generation = 0;
  std::uint32_t first_word = 0, words = 0;
};

// The first copy a reader took that mixed several writes.
struct TornCopy {
  std::uint64_t copy = 0;     // its index among the reader's copies
  double t_ms = 0;            // when it was taken, since the run's start
  std::vector<WordRun> runs;  // at most 8 (the rest are counted in more_runs)
  std::uint32_t more_runs = 0;
};

// W writers rewrite one record (every word: writer id and generation; even writers from the
// first word up, odd ones from the last down) up to R times each or until the time budget is
// spent, while a reader copies it and checks every copy for mixed words; locked: both sides take
// the lock.
struct TornRun {
  ShmKind kind = ShmKind::posix;
  bool locked = false;
  std::uint32_t writers = 0;
  std::size_t record_bytes = 0;
  std::uint64_t records_cap = 0;    // R, per writer
  std::uint64_t records = 0;        // written in all
  std::uint64_t copies = 0;         // records the reader copied
  std::uint64_t torn = 0;           // copies with words of more than one write
  std::uint64_t mixed_writers = 0;  // of those, copies with words of more than one writer
  bool final_mixed = false;         // after every writer was done, the record held several writes
  std::vector<Span> spans;          // writers first, then the reader
  std::optional<TornCopy> first_torn;
  bool corrupted() const { return torn > 0 || final_mixed; }
  std::string describe() const;
};

struct RaceMeasurement {
  std::uint32_t cpus = 0;   // CPUs this process may use
  std::uint32_t tries = 0;  // unlocked runs allowed per mechanism and experiment before giving up
  double budget_ms = 0;     // the time budget of each run
  std::vector<CounterRun> counters;
  std::vector<TornRun> torn;
};

struct RaceSettings {
  std::uint32_t tries = 3;
  std::uint32_t locked_runs = 1;  // per mechanism and experiment
  std::uint64_t increments_unlocked = 50'000'000, increments_locked = 200'000;
  std::size_t record_bytes = 8192;
  std::uint64_t records_unlocked = 50'000, records_locked = 50'000;
  // A run stops when its caps are reached or this is spent, whichever comes first: a loaded
  // machine makes fewer additions, not a longer check.
  std::chrono::milliseconds budget{250};
  const std::atomic<int>* stop = nullptr;  // Context::stop: checked between runs
  static RaceSettings for_context(const Context& ctx);
};

// Runs the counter and the torn-record experiments in a posix and a sysv segment, unlocked
// (repeated up to `tries` times until one corrupts) and locked. Every process is released
// together through a start gate in the segment (and spins until all run) and is pinned to its
// own CPU where there is one. Throws std::runtime_error naming the call and errno iff a
// segment, lock or process cannot be made or a racer fails; Interrupted iff `stop` was raised.
RaceMeasurement measure_race(const RaceSettings& s, std::uint64_t seed);

// refuted iff a locked run corrupted (its counterexample replays with `replay`); else holds iff
// in each mechanism an unlocked run corrupted and a locked run's processes ran together (and,
// for records, the reader copied some); not-checked iff some mechanism's unlocked runs never
// corrupted ("no race observed in N tries on C CPUs") or its locked runs never met.
Finding judge_race(const RaceMeasurement& m, std::string_view replay);

// ---- shm-lock-survives-holder-death

enum class LockVariant { robust_mutex, plain_mutex, sem_undo, sem_plain };
// "robust mutex", "plain mutex", "semaphore with SEM_UNDO", "semaphore without SEM_UNDO".
std::string_view to_string(LockVariant v);
// True for the two locks that promise to survive their holder: robust mutex, SEM_UNDO.
bool promises_recovery(LockVariant v);

// One holder-death experiment: the holder takes the lock and is SIGKILLed; then a waiter tries.
struct HolderDeath {
  LockVariant variant = LockVariant::robust_mutex;
  int holder_pid = 0, waiter_pid = 0;
  std::string holder_end;     // "killed by SIGKILL"
  int lock_errno = 0;         // what the waiter's lock call gave: 0, EOWNERDEAD, ETIMEDOUT, ...
  int consistent_errno = -1;  // pthread_mutex_consistent after EOWNERDEAD; -1: not called
  int relock_errno = -1;      // a second lock after unlocking; -1: not tried
  double guard_ms = 0;        // the waiter's hang guard
  double waited_ms = 0;       // how long its lock call took
  double t_lock_ms = 0, t_kill_ms = 0, t_wait_ms = 0, t_end_ms = 0;  // since the run's start
  // Iff the waiter got the lock (at once, or with EOWNERDEAD and a working consistent()).
  bool recovered() const;
  bool stuck() const { return lock_errno == ETIMEDOUT; }
  std::string outcome() const;  // "EOWNERDEAD, consistent, relocked" / "ETIMEDOUT after 300 ms"
};

// The harness's own run of a ring with the fault kill-lock-holder.
struct HarnessKill {
  std::string mechanism;
  std::string describe;  // HarnessRun::describe()
  std::string verdict;   // pass, violations, deadlock, error
  std::string replay;
  std::optional<Counterexample> counterexample;  // iff verdict != pass
};

struct LockDeathMeasurement {
  std::vector<HolderDeath> variants;
  std::vector<HarnessKill> harness;  // empty iff no work folder was given
};

// Runs the four variants (posix segment: robust and plain mutex; sysv segment: semaphore with
// and without SEM_UNDO) and, iff ctx.work_dir is set, the harness's kill-lock-holder runs of
// posix-shm and sysv-shm. Throws std::runtime_error iff an experiment cannot run (a holder
// that never reports holding the lock included); Interrupted iff ctx.stopping().
LockDeathMeasurement measure_lock_death(const Context& ctx);

// holds iff every variant recovered; refuted iff a robust mutex or a SEM_UNDO semaphore stayed
// held, or a harness run of a ring deadlocked; else holds-only-if, the condition naming which
// locks recovered and which stayed held (a Counterexample with a Timeline for each of those).
Finding judge_lock_death(const LockDeathMeasurement& m, std::string_view replay);

// ---- shm-copy-free

struct CopyFreeMeasurement {
  std::size_t bytes = 0;
  int filter_errno = 0;           // non-zero iff the seccomp filter could not be installed
  std::optional<Ended> reader;    // how the shm reader ended; nullopt: killed at the hang guard
  bool reader_done = false;       // it saw the writer's flag and checked every word
  std::uint64_t spins = 0;        // loads of the flag before it saw it set
  std::uint64_t wrong_words = 0;  // words that differed from the writer's
  long faults = -1;               // the reader's page faults (minor + major) while it waited and checked; -1: unknown
  std::optional<Ended> control;   // a pipe reader under the same filter; nullopt: killed at the guard
  std::uint64_t pipe_reads = 0;   // read() calls a plain pipe reader needed for the same bytes
  std::uint64_t pipe_wrong = 0;   // bytes the pipe reader got wrong
};

// A writer fills `bytes` of a posix segment and sets a flag; the reader, under a seccomp filter
// that kills it at any system call but exit, spins on the flag and checks every word in place.
// The control: a pipe reader under the same filter; and how many read() calls a pipe takes.
CopyFreeMeasurement measure_copy_free(std::size_t bytes, std::uint64_t seed);

// holds iff the shm reader exited 0 having checked every word right, and the control was killed
// by SIGSYS (the filter bites); refuted iff the shm reader was killed by SIGSYS or saw wrong
// words; not-checked otherwise (no filter, or the filter did not bite, or no flag seen).
Finding judge_copy_free(const CopyFreeMeasurement& m, std::string_view replay);

}  // namespace ipch::claims
