// The experiment behind shm-lock-survives-holder-death: a holder takes the lock that guards a
// segment and is SIGKILLed; does the next process get the lock? Four locks, and the harness's own
// rings under the fault kill-lock-holder.
#include <pthread.h>
#include <sys/sem.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <stdexcept>

#include "child.hpp"
#include "harness_run.hpp"
#include "shm_checks.hpp"
#include "shm_segment.hpp"
#include "sys.hpp"

namespace ipch::claims {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Hang guards for the steps that must happen (the holder taking a free lock, a killed process
// being reaped); the waiter's guard is the experiment's own and comes from the context.
constexpr auto kStepGuard = 5s;

struct HoldArea {
  shm::Failure failure;
  alignas(64) pthread_mutex_t mutex;
  std::uint32_t held;  // futex word: the holder has the lock
  std::uint32_t park;  // futex word nobody changes: the holder sleeps on it until killed
  double t_lock_ms;
  int lock_errno, consistent_errno, relock_errno;
  double t_wait_ms, t_end_ms, waited_ms;
};

int err_of(const Result<void>& r) {
  return r ? 0 : r.error().value();
}

// Takes and gives back the variant's lock: the area's mutex or semaphore 0 of `semid`.
struct VariantLock {
  LockVariant v;
  pthread_mutex_t* mutex;
  int semid;
  bool is_mutex() const { return v == LockVariant::robust_mutex || v == LockVariant::plain_mutex; }
  short undo() const { return v == LockVariant::sem_undo ? SEM_UNDO : 0; }
  Result<void> take(Deadline d) const {
    if (is_mutex()) return sys::mutex_lock(mutex, d);
    sembuf b{0, -1, undo()};
    return sys::semop(semid, std::span(&b, 1), d);
  }
  Result<void> give() const {
    if (is_mutex()) return sys::mutex_unlock(mutex);
    sembuf b{0, 1, undo()};
    return sys::semop(semid, std::span(&b, 1), Deadline::never());
  }
};

HolderDeath run_variant(LockVariant v, std::chrono::milliseconds guard) {
  const bool mutex = v == LockVariant::robust_mutex || v == LockVariant::plain_mutex;
  // The mutexes live in a posix segment; the semaphores guard a sysv one, which holds the flags.
  shm::Segment seg(mutex ? ShmKind::posix : ShmKind::sysv, sizeof(HoldArea));
  auto* a = seg.as<HoldArea>();
  std::optional<shm::SemSet> sem;
  if (mutex) {
    if (auto r = sys::mutex_init_shared(&a->mutex, v == LockVariant::robust_mutex); !r) {
      throw std::runtime_error("pthread_mutex_init(process-shared): " + describe(r.error()));
    }
  } else {
    sem.emplace(1, 1);
  }
  const VariantLock lock{v, &a->mutex, sem ? sem->id() : -1};
  const std::string what = "holder death (" + std::string(to_string(v)) + ")";
  const auto t0 = Clock::now();

  auto holder = Child::fork([=]() -> int {
    if (auto r = lock.take(Deadline::after(kStepGuard)); !r) return shm::fail(a->failure, "lock (holder)", r.error());
    a->t_lock_ms = shm::ms_since(t0);
    std::atomic_ref(a->held).store(1);
    (void)sys::futex_wake_all(&a->held);
    for (;;) (void)sys::futex_wait(&a->park, 0, Deadline::never());
  });
  if (!holder) throw std::runtime_error(what + ": fork: " + describe(holder.error()));
  auto until = Deadline::after(kStepGuard);
  while (std::atomic_ref(a->held).load() == 0) {
    if (auto r = sys::futex_wait(&a->held, 0, until); !r && r.error() == std::errc::timed_out) {
      shm::throw_if_failed(a->failure, what);
      throw std::runtime_error(what + ": the holder never reported holding the lock (" + holder->state() + ")");
    }
  }
  HolderDeath h;
  h.variant = v;
  h.guard_ms = static_cast<double>(guard.count());
  h.holder_pid = holder->pid();
  h.t_lock_ms = a->t_lock_ms;
  h.t_kill_ms = shm::ms_since(t0);
  if (auto k = holder->kill(SIGKILL); !k) throw std::runtime_error(what + ": kill(SIGKILL): " + describe(k.error()));
  auto ended = holder->wait(kStepGuard);
  if (!ended) throw std::runtime_error(what + ": the SIGKILLed holder was not reaped within the hang guard");
  h.holder_end = ended->describe();

  a->consistent_errno = a->relock_errno = -1;
  auto waiter = Child::fork([=]() -> int {
    a->t_wait_ms = shm::ms_since(t0);
    auto r = lock.take(Deadline::after(guard));
    a->t_end_ms = shm::ms_since(t0);
    a->waited_ms = a->t_end_ms - a->t_wait_ms;
    a->lock_errno = err_of(r);
    if (!r && r.error() != std::errc::owner_dead) return 0;
    if (!r) a->consistent_errno = err_of(sys::mutex_consistent(&a->mutex));
    if (auto g = lock.give(); !g) return shm::fail(a->failure, "unlock (waiter)", g.error());
    // Taken and given back once: a second take shows the lock is usable again, not just handed over.
    auto again = lock.take(Deadline::after(guard));
    a->relock_errno = err_of(again);
    if (again) (void)lock.give();
    return 0;
  });
  if (!waiter) throw std::runtime_error(what + ": fork: " + describe(waiter.error()));
  h.waiter_pid = waiter->pid();
  auto w = waiter->wait(guard * 2 + kStepGuard);
  if (!w) throw std::runtime_error(what + ": the waiter outlived its own deadline (" + waiter->state() + ")");
  if (w->code != 0) {
    shm::throw_if_failed(a->failure, what);
    throw std::runtime_error(what + ": the waiter ended with " + w->describe());
  }
  h.lock_errno = a->lock_errno;
  h.consistent_errno = a->consistent_errno;
  h.relock_errno = a->relock_errno;
  h.waited_ms = a->waited_ms;
  h.t_wait_ms = a->t_wait_ms;
  h.t_end_ms = a->t_end_ms;
  return h;
}

HarnessKill harness_kill(const char* mechanism, const Context& ctx) {
  Scenario s;
  s.seed = ctx.seed;
  s.mechanism = mechanism;
  s.workload = {WorkloadKind::stream, 2, 1, 200, 4096, 1};
  s.stall_ms = 3000;
  s.faults = nlohmann::json::array({{{"name", "kill-lock-holder"}, {"params", {{"nth", "5"}}}}});
  HarnessRun run = run_harness(s, ctx, std::string("kill-lock-holder-") + mechanism);
  HarnessKill k;
  k.mechanism = mechanism;
  k.describe = run.describe();
  k.verdict = run.report.verdict;
  k.replay = run.replay;
  if (k.verdict != "pass") k.counterexample = counterexample_of(run, std::string(mechanism) + ": " + k.verdict);
  return k;
}

}  // namespace

LockDeathMeasurement measure_lock_death(const Context& ctx) {
  const std::chrono::milliseconds guard = ctx.quick ? 300ms : 1000ms;
  LockDeathMeasurement m;
  for (LockVariant v :
       {LockVariant::robust_mutex, LockVariant::plain_mutex, LockVariant::sem_undo, LockVariant::sem_plain}) {
    if (ctx.stopping()) throw Interrupted{ctx.stop->load()};
    m.variants.push_back(run_variant(v, guard));
  }
  if (!ctx.work_dir.empty()) {
    for (const char* mech : {"posix-shm", "sysv-shm"}) m.harness.push_back(harness_kill(mech, ctx));
  }
  return m;
}

}  // namespace ipch::claims
