#include "sysv_shm.hpp"

#include <algorithm>
#include <atomic>

#include "objects.hpp"
#include "shm_ring.hpp"
#include "sys.hpp"

namespace ipch {

namespace {

constexpr const char* kName = "sysv-shm";
constexpr const char* kShmmaxFile = "/proc/sys/kernel/shmmax";
// The semaphore set. data/space are condition variables made of semaphores: a waiter registers in
// Header::waiting under the mutex before releasing it, so a post between release and semop is
// kept in the semaphore, not lost.
enum Sem : unsigned short { kMutex, kData, kSpace, kSenders, kReceivers, kSems };
// Longest single semop while waiting: a waiter re-checks the peer counts this often, since a
// killed peer is uncounted by the kernel but posts no wake-up.
constexpr auto kSlice = std::chrono::milliseconds(100);

class SemSync final : public shm_ring::Sync {
 public:
  SemSync(void* base, std::size_t capacity, int semid) : Sync(base, 0, capacity), base_(base), semid_(semid) {}
  ~SemSync() override { (void)sys::shmdt(base_); }

  // SEM_UNDO: a process killed holding the mutex gives it back on exit.
  Result<void> lock(Deadline d) override { return op(kMutex, -1, SEM_UNDO, d); }
  void unlock() override { (void)op(kMutex, 1, SEM_UNDO, Deadline::never()); }

  Result<void> wait(Role waiter, Deadline d) override {
    unlock();
    auto r = op(event(waiter), -1, 0, d.capped(kSlice));
    if (!r && r.error() != std::errc::timed_out) return r;
    return lock(d);
  }

  // Posts only up to the number of registered waiters: a waiter that gave up after its slice
  // leaves its post behind, and unbounded leftovers would reach SEMVMX (32767) and fail ERANGE.
  Result<void> wake(Role waiter) override {
    auto n = std::atomic_ref(header().waiting[waiter == Role::sender ? 0 : 1]).load();
    if (n == 0) return {};
    auto v = sys::semctl(semid_, event(waiter), GETVAL);
    if (!v) return std::unexpected(v.error());
    if (static_cast<std::uint32_t>(*v) >= n) return {};
    return op(event(waiter), static_cast<short>(std::min<std::uint32_t>(n - *v, 1000)), 0, Deadline::never());
  }

  Result<std::uint32_t> open_count(Role r) override {
    auto v = sys::semctl(semid_, count(r), GETVAL);
    if (!v) return std::unexpected(v.error());
    return static_cast<std::uint32_t>(*v);
  }
  // SEM_UNDO: the kernel takes back the +1 of a process that exits without close().
  Result<void> join(Role r) override { return op(count(r), 1, SEM_UNDO, Deadline::never()); }
  void leave(Role r) override { (void)op(count(r), -1, SEM_UNDO | IPC_NOWAIT, Deadline::never()); }

 private:
  static Sem event(Role waiter) { return waiter == Role::sender ? kSpace : kData; }
  static Sem count(Role r) { return r == Role::sender ? kSenders : kReceivers; }
  Result<void> op(Sem s, short delta, short flags, Deadline d) {
    sembuf b{static_cast<unsigned short>(s), delta, flags};
    return sys::semop(semid_, std::span(&b, 1), d);
  }

  void* base_;
  int semid_;
};

class SysvShmLink final : public shm_ring::RingLink {
 public:
  SysvShmLink(std::shared_ptr<SemSync> sync, objects::Record shm, objects::Record sem, Settings s)
      : RingLink(kName, std::move(sync), s), shm_(std::move(shm)), sem_(std::move(sem)) {}
  ~SysvShmLink() override { remove(); }

  // The segment goes at the last detach; the semaphores at once, so a channel still open gets EIDRM.
  void remove() override {
    if (!is_creator() || removed_) return;
    removed_ = true;
    discard(shm_, sem_);
  }
  std::string object() const override {
    return "sysv-shm:" + std::to_string(shm_.id) + " sem:" + std::to_string(sem_.id);
  }

  // Removes what create() made so far (a record with id -1 was not made).
  static void discard(const objects::Record& shm, const objects::Record& sem) {
    if (shm.id >= 0 && sys::shmctl(shm.id, IPC_RMID, nullptr)) objects::removed(shm.kind, shm.name);
    if (sem.id >= 0 && sys::semctl(sem.id, 0, IPC_RMID)) objects::removed(sem.kind, sem.name);
  }

 private:
  objects::Record shm_, sem_;
  bool removed_ = false;
};

// The largest ring a segment can hold under kernel.shmmax, and the sentence saying so.
std::pair<std::size_t, std::string> limit() {
  std::size_t overhead = shm_ring::segment_size(0, 0), lim = shm_ring::kMaxCapacity;
  std::string why = "ipc-harness caps rings at 1 GiB";
  if (auto max = sys::read_long(kShmmaxFile); max && static_cast<std::size_t>(*max) < lim + overhead) {
    lim = static_cast<std::size_t>(*max) > overhead ? static_cast<std::size_t>(*max) - overhead : 0;
    why = std::string(kShmmaxFile) + " = " + std::to_string(*max) + " minus the " + std::to_string(overhead) +
          " B header; raise it with sysctl kernel.shmmax";
  }
  return {lim, why};
}

std::expected<std::unique_ptr<Link>, SetupError> create(const Settings& s) {
  if (auto e = unsupported_setting(kName, s, true, false)) return std::unexpected(*e);
  auto [lim, why] = limit();
  auto cap = shm_ring::capacity(kName, s, lim, why);
  if (!cap) return std::unexpected(cap.error());
  std::size_t size = shm_ring::segment_size(0, *cap);

  // Keyed, not IPC_PRIVATE: the key ties the id to a journaled name, so `ipc-harness clean` can
  // remove it after a crash without touching an id the kernel has since given to someone else.
  auto shm = objects::create_sysv(objects::Kind::sysv_shm,
                                  [&](key_t k) { return sys::shmget(k, size, IPC_CREAT | IPC_EXCL | 0600); });
  if (!shm) {
    return std::unexpected(
        setup_error(kName, "shmget(" + std::to_string(size) + " B)", shm.error(),
                    "check kernel.shmmni and kernel.shmall (ipcs -m); `ipc-harness clean` removes leftovers"));
  }
  objects::Record sem{objects::Kind::sysv_sem, "", -1};
  auto fail = [&](const std::string& what, std::error_code ec, const std::string& fix, void* addr) {
    if (addr) (void)sys::shmdt(addr);
    SysvShmLink::discard(*shm, sem);
    return std::unexpected(setup_error(kName, what, ec, fix));
  };
  auto addr = sys::shmat(shm->id, 0);
  if (!addr) return fail("shmat", addr.error(), "check ulimit -v and free memory", nullptr);
  auto made = objects::create_sysv(objects::Kind::sysv_sem,
                                   [](key_t k) { return sys::semget(k, kSems, IPC_CREAT | IPC_EXCL | 0600); });
  const std::string sem_fix = "check kernel.sem (semmni, semmns) and ipcs -s; `ipc-harness clean` removes leftovers";
  if (!made) return fail("semget(" + std::to_string(kSems) + " semaphores)", made.error(), sem_fix, *addr);
  sem = *made;
  // Linux starts semaphores at 0: only the mutex needs a value.
  if (auto r = sys::semctl(sem.id, kMutex, SETVAL, 1); !r) return fail("semctl(SETVAL)", r.error(), sem_fix, *addr);

  shm_ring::init_header(*addr, 0, *cap);
  auto sync = std::make_shared<SemSync>(*addr, *cap, sem.id);
  return std::make_unique<SysvShmLink>(std::move(sync), *shm, sem, s);
}

}  // namespace

const Mechanism& sysv_shm_mechanism() {
  static const Mechanism m{
      kName, "System V shared memory segment (shmget) holding a message ring, locked by a SysV semaphore set",
      shm_ring::contract("until shmctl(IPC_RMID) and the last detach (the semaphore set: until semctl(IPC_RMID)); "
                         "or reboot",
                         "a killed sender or receiver is uncounted by the kernel (SEM_UNDO), so it gives "
                         "end_of_stream / EPIPE like a closed one",
                         EndOfStream::after_close_or_death),
      shm_ring::settings("1 GiB and /proc/sys/kernel/shmmax"), create, shm_ring::traits()};
  return m;
}

}  // namespace ipch
