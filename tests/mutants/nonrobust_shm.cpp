#include "nonrobust_shm.hpp"

#include <sys/mman.h>

#include <thread>

#include "registry.hpp"
#include "shm_ring.hpp"
#include "sys.hpp"

namespace ipch::mutants {

namespace {

struct Lock {
  pthread_mutex_t m;
};

// The bug: PTHREAD_PROCESS_SHARED without PTHREAD_MUTEX_ROBUST. Waiting is a plain poll, which
// is enough for a mutant; the lock is what is under test.
class NonRobustSync final : public shm_ring::Sync {
 public:
  NonRobustSync(void* base, std::size_t capacity) : Sync(base, sizeof(Lock), capacity), l_(static_cast<Lock*>(base)) {}
  Result<void> lock(Deadline d) override { return sys::mutex_lock(&l_->m, d); }
  void unlock() override { (void)sys::mutex_unlock(&l_->m); }
  Result<void> wait(Role, Deadline d) override {
    unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (d.expired()) return errno_error(ETIMEDOUT);
    return lock(d);
  }
  Result<void> wake(Role) override { return {}; }
  Result<std::uint32_t> open_count(Role r) override { return header().open[r == Role::sender ? 0 : 1]; }

 private:
  Lock* l_;
};

// An anonymous shared mapping: inherited by fork, gone with its last process, nothing to leak.
class NonRobustLink final : public shm_ring::RingLink {
 public:
  NonRobustLink(std::shared_ptr<NonRobustSync> sync, Settings s) : RingLink("posix-shm-nonrobust", sync, s) {}
  void remove() override {}
  std::string object() const override { return "anonymous shared memory (mutant)"; }
};

std::expected<std::unique_ptr<Link>, SetupError> create(const Settings& s) {
  std::size_t cap = s.capacity.value_or(65536);
  std::size_t size = shm_ring::segment_size(sizeof(Lock), cap);
  auto base = sys::mmap(size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
  if (!base) return std::unexpected(setup_error("posix-shm-nonrobust", "mmap", base.error(), "-"));
  shm_ring::init_header(*base, sizeof(Lock), cap);
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&static_cast<Lock*>(*base)->m, &a);
  pthread_mutexattr_destroy(&a);
  return std::make_unique<NonRobustLink>(std::make_shared<NonRobustSync>(*base, cap), s);
}

}  // namespace

const Mechanism& nonrobust_shm() {
  static const Mechanism m{"posix-shm-nonrobust", "mutant: posix-shm ring with a non-robust mutex",
                           shm_ring::contract("mutant", "a dead lock holder blocks everyone for ever", EndOfStream::after_close),
                           shm_ring::settings("-"), create, shm_ring::traits()};
  return m;
}

void register_nonrobust_shm() {
  static bool done = false;
  if (!done) registry::add(&nonrobust_shm());
  done = true;
}

}  // namespace ipch::mutants
