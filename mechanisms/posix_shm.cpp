#include "posix_shm.hpp"

#include <fcntl.h>
#include <sys/mman.h>

#include <atomic>

#include "naming.hpp"
#include "objects.hpp"
#include "shm_ring.hpp"
#include "sys.hpp"

namespace ipch {

namespace {

constexpr const char* kName = "posix-shm";

// The lock area at the start of the segment. The events are futex words bumped by every wake
// ([0]: space for senders, [1]: data for receivers), not pthread_cond_t: a process killed inside
// pthread_cond_wait on a process-shared condvar leaves glibc's per-group waiter count raised, and
// the next pthread_cond_broadcast then waits for it forever, holding the mutex and ignoring every
// deadline (glibc bug 21422; reproduced here with glibc 2.36).
struct Locks {
  pthread_mutex_t mutex;
  std::uint32_t event[2];
};

class PthreadSync final : public shm_ring::Sync {
 public:
  PthreadSync(void* base, std::size_t size, std::size_t capacity)
      : Sync(base, sizeof(Locks), capacity), l_(static_cast<Locks*>(base)), size_(size) {}
  ~PthreadSync() override { (void)sys::munmap(l_, size_); }

  Result<void> lock(Deadline d) override { return taken(sys::mutex_lock(&l_->mutex, d)); }
  void unlock() override { (void)sys::mutex_unlock(&l_->mutex); }

  // The event is read under the lock, so a wake between unlock and futex_wait changes the word
  // and the wait returns at once (EAGAIN). No slices: a killed peer is not uncounted here, so
  // there is nothing to re-check for.
  Result<void> wait(Role waiter, Deadline d) override {
    std::uint32_t* ev = &l_->event[idx(waiter)];
    std::uint32_t seen = std::atomic_ref(*ev).load();
    unlock();
    auto r = sys::futex_wait(ev, seen, d);
    if (!r && r.error() != std::errc::timed_out && r.error() != std::errc::resource_unavailable_try_again) return r;
    return lock(d);
  }
  Result<void> wake(Role waiter) override {
    std::uint32_t* ev = &l_->event[idx(waiter)];
    std::atomic_ref(*ev).fetch_add(1);
    if (std::atomic_ref(header().waiting[idx(waiter)]).load() == 0) return {};  // waiters register under the lock
    auto r = sys::futex_wake_all(ev);
    if (!r) return std::unexpected(r.error());
    return {};
  }
  Result<std::uint32_t> open_count(Role r) override { return std::atomic_ref(header().open[idx(r)]).load(); }

 private:
  static int idx(Role r) { return r == Role::sender ? 0 : 1; }
  // The holder died: the ring is still consistent (head and tail move last), so mark the mutex
  // consistent and go on; the count lets a test see that it happened.
  Result<void> taken(Result<void> r) {
    if (r || r.error() != std::errc::owner_dead) return r;
    if (auto c = sys::mutex_consistent(&l_->mutex); !c) {
      unlock();
      return c;
    }
    std::atomic_ref(header().owner_died_recoveries).fetch_add(1);
    return {};
  }

  Locks* l_;
  std::size_t size_;
};

class PosixShmLink final : public shm_ring::RingLink {
 public:
  PosixShmLink(std::shared_ptr<PthreadSync> sync, std::string name, Settings s)
      : RingLink(kName, std::move(sync), s), name_(std::move(name)) {}
  ~PosixShmLink() override { remove(); }

  // Only the name goes: every mapping, and so every open channel, keeps working.
  void remove() override {
    if (!is_creator() || removed_) return;
    removed_ = true;
    if (auto r = sys::shm_unlink(name_); r || r.error() == std::errc::no_such_file_or_directory) {
      objects::removed(objects::Kind::posix_shm, name_);
    }
  }
  std::string object() const override { return "/dev/shm" + name_; }

 private:
  std::string name_;
  bool removed_ = false;
};

std::expected<std::unique_ptr<Link>, SetupError> create(const Settings& s) {
  if (auto e = unsupported_setting(kName, s, true, false)) return std::unexpected(*e);
  auto cap = shm_ring::capacity(kName, s, shm_ring::kMaxCapacity, "ipc-harness caps rings at 1 GiB");
  if (!cap) return std::unexpected(cap.error());
  std::size_t size = shm_ring::segment_size(sizeof(Locks), *cap);

  std::string name = "/" + naming::next_name();
  auto fd = sys::shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (!fd) {
    return std::unexpected(
        setup_error(kName, "shm_open(" + name + ")", fd.error(), "check that /dev/shm is a writable tmpfs"));
  }
  objects::created({objects::Kind::posix_shm, name});
  auto fail = [&](const std::string& what, std::error_code ec, const std::string& fix) {
    if (sys::shm_unlink(name)) objects::removed(objects::Kind::posix_shm, name);
    return std::unexpected(setup_error(kName, what, ec, fix));
  };
  const std::string room = "free space in /dev/shm (df /dev/shm) or use a smaller capacity";
  if (auto r = sys::ftruncate(fd->get(), static_cast<off_t>(size)); !r) return fail("ftruncate", r.error(), room);
  // tmpfs hands out pages at first touch; without this a full /dev/shm is SIGBUS inside a send.
  if (auto r = sys::fallocate(fd->get(), static_cast<off_t>(size)); !r) {
    return fail("fallocate(" + std::to_string(size) + " B)", r.error(), room);
  }
  auto base = sys::mmap(size, PROT_READ | PROT_WRITE, MAP_SHARED, fd->get());
  if (!base) return fail("mmap", base.error(), "check ulimit -v and free memory");

  // The event words start at 0: the file was just made, and a new tmpfs file reads as zeros.
  if (auto m = sys::mutex_init_shared_robust(&static_cast<Locks*>(*base)->mutex); !m) {
    (void)sys::munmap(*base, size);
    return fail("pthread_mutex_init", m.error(), "the C library must support robust process-shared mutexes");
  }
  shm_ring::init_header(*base, sizeof(Locks), *cap);
  auto sync = std::make_shared<PthreadSync>(*base, size, *cap);
  return std::make_unique<PosixShmLink>(std::move(sync), std::move(name), s);
}

}  // namespace

const Mechanism& posix_shm_mechanism() {
  static const Mechanism m{
      kName,
      "POSIX shared memory object (shm_open + mmap) holding a message ring, locked by a robust pthread mutex, waited "
      "on with futexes",
      shm_ring::contract("until shm_unlink or reboot (mappings stay usable after the unlink)",
                         "a process killed holding the lock is detected (robust mutex, EOWNERDEAD) but a killed sender "
                         "or receiver stays counted as open: no end_of_stream / EPIPE after SIGKILL, only after close",
                         EndOfStream::after_close),
      shm_ring::settings("1 GiB and the free space of /dev/shm"), create, shm_ring::traits()};
  return m;
}

}  // namespace ipch
