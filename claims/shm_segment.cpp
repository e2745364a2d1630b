#include "shm_segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>

#include <atomic>
#include <stdexcept>

#include "naming.hpp"
#include "objects.hpp"
#include "sys.hpp"

namespace ipch::claims::shm {

namespace {

[[noreturn]] void throw_call(const std::string& call, std::error_code ec) {
  throw std::runtime_error(call + ": " + describe(ec));
}

void* make_posix(std::size_t size) {
  const std::string name = "/" + naming::next_name();
  auto fd = sys::shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (!fd) throw_call("shm_open(" + name + ")", fd.error());
  objects::created({objects::Kind::posix_shm, name});
  // The name goes before anything else can fail: the fd and then the mapping hold the memory.
  auto gone = sys::shm_unlink(name);
  if (gone || gone.error() == std::errc::no_such_file_or_directory) objects::removed(objects::Kind::posix_shm, name);
  if (!gone) throw_call("shm_unlink(" + name + ")", gone.error());
  if (auto r = sys::ftruncate(fd->get(), static_cast<off_t>(size)); !r) throw_call("ftruncate", r.error());
  // tmpfs hands out pages at first touch; without this a full /dev/shm is SIGBUS in a child.
  if (auto r = sys::fallocate(fd->get(), static_cast<off_t>(size)); !r) throw_call("fallocate", r.error());
  auto base = sys::mmap(size, PROT_READ | PROT_WRITE, MAP_SHARED, fd->get());
  if (!base) throw_call("mmap", base.error());
  return *base;
}

void* make_sysv(std::size_t size) {
  auto rec = objects::create_sysv(objects::Kind::sysv_shm,
                                  [&](key_t k) { return sys::shmget(k, size, IPC_CREAT | IPC_EXCL | 0600); });
  if (!rec) throw_call("shmget(" + std::to_string(size) + " B)", rec.error());
  auto addr = sys::shmat(rec->id, 0);
  // Marked for removal at once: Linux keeps an attached segment (and lets fork inherit it) until
  // the last detach, and `ipcs` no longer lists it under our key.
  auto gone = sys::shmctl(rec->id, IPC_RMID, nullptr);
  if (gone) objects::removed(rec->kind, rec->name);
  if (!addr) throw_call("shmat", addr.error());
  if (!gone) {
    (void)sys::shmdt(*addr);
    throw_call("shmctl(IPC_RMID)", gone.error());
  }
  return *addr;
}

}  // namespace

Segment::Segment(ShmKind kind, std::size_t size) : kind_(kind), size_(size) {
  base_ = kind == ShmKind::posix ? make_posix(size) : make_sysv(size);
}

Segment::~Segment() {
  if (kind_ == ShmKind::posix) {
    (void)sys::munmap(base_, size_);
  } else {
    (void)sys::shmdt(base_);
  }
}

SemSet::SemSet(int count, int value) {
  auto rec = objects::create_sysv(objects::Kind::sysv_sem,
                                  [&](key_t k) { return sys::semget(k, count, IPC_CREAT | IPC_EXCL | 0600); });
  if (!rec) throw_call("semget(" + std::to_string(count) + " semaphores)", rec.error());
  id_ = rec->id;
  name_ = rec->name;
  for (int i = 0; i < count && value != 0; ++i) {
    if (auto r = sys::semctl(id_, i, SETVAL, value); !r) {
      remove();
      throw_call("semctl(SETVAL)", r.error());
    }
  }
}

SemSet::~SemSet() {
  remove();
}

void SemSet::remove() {
  if (id_ < 0) return;
  if (sys::semctl(id_, 0, IPC_RMID)) objects::removed(objects::Kind::sysv_sem, name_);
  id_ = -1;
}

int fail(Failure& f, const char* call, std::error_code ec) {
  if (std::atomic_ref(f.call).load() == nullptr) {
    std::atomic_ref(f.err).store(ec.value());
    std::atomic_ref(f.call).store(call);
  }
  return 3;
}

void throw_if_failed(const Failure& f, const std::string& what) {
  const char* call = std::atomic_ref(const_cast<Failure&>(f).call).load();
  if (call == nullptr) return;
  int err = std::atomic_ref(const_cast<Failure&>(f).err).load();
  throw std::runtime_error(what + ": " + call + ": " + describe(std::error_code(err, std::generic_category())));
}

Result<void> arrive_and_wait(StartGate& g, Deadline d) {
  std::atomic_ref(g.arrived).fetch_add(1);
  if (auto r = sys::futex_wake_all(&g.arrived); !r) return std::unexpected(r.error());
  while (std::atomic_ref(g.open).load() == 0) {
    auto r = sys::futex_wait(&g.open, 0, d);
    if (!r && r.error() != std::errc::resource_unavailable_try_again) return r;
  }
  return {};
}

void open_when_arrived(StartGate& g, std::uint32_t n, Deadline d) {
  for (;;) {
    std::uint32_t seen = std::atomic_ref(g.arrived).load();
    if (seen >= n) break;
    auto r = sys::futex_wait(&g.arrived, seen, d);
    if (!r && r.error() == std::errc::timed_out) {
      throw std::runtime_error("start gate: " + std::to_string(seen) + " of " + std::to_string(n) +
                               " processes arrived before the hang guard");
    }
  }
  std::atomic_ref(g.open).store(1);
  if (auto r = sys::futex_wake_all(&g.open); !r) throw_call("futex(FUTEX_WAKE)", r.error());
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void pin_where_possible(const std::vector<int>& cpus, std::size_t index) {
  if (index < cpus.size()) (void)sys::pin_to_cpu(0, cpus[index]);
}

}  // namespace ipch::claims::shm
