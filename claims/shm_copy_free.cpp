// The experiment behind shm-copy-free: a reader that is not allowed a single system call still
// sees every byte a writer put in a shared segment; the same reader of a pipe dies at its first
// read().
#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "child.hpp"
#include "shm_checks.hpp"
#include "shm_segment.hpp"
#include "sys.hpp"

namespace ipch::claims {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kGuard = 5s;  // hang guard of each step: the whole experiment takes milliseconds
constexpr std::size_t kDataOffset = 4096;

// Each flag on a cache line of its own, so that the reader's spinning does not slow the writer's
// stores to the data.
struct CopyArea {
  alignas(64) std::uint32_t armed;  // the reader's filter is on
  alignas(64) std::uint32_t filter_errno;
  alignas(64) std::uint32_t go;        // futex word: the writer may start
  alignas(64) std::uint32_t ready;     // the writer's bytes are all there
  alignas(64) std::uint32_t done;      // the reader has checked them
  alignas(64) std::uint32_t may_exit;  // the parent has read the reader's fault counts
  alignas(64) std::uint64_t spins, wrong;
};
static_assert(sizeof(CopyArea) <= kDataOffset);

// The writer's word i: seeded, so a replay writes the same bytes (splitmix64).
std::uint64_t word(std::uint64_t seed, std::uint64_t i) {
  std::uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

using shm::cpu_relax;

// minflt + majflt of a live process, from /proc/<pid>/stat; -1 iff unreadable.
long faults_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  std::string f[10];  // state ppid pgrp session tty tpgid flags minflt cminflt majflt
  for (auto& s : f)
    if (!(rest >> s)) return -1;
  return std::stol(f[7]) + std::stol(f[9]);
}

// Polls a flag that a filtered child sets (it may not call futex_wake) until it is set, the
// child is gone, or the guard passes. Returns true iff it was set.
bool wait_flag(const std::uint32_t& flag, const Child& child, std::chrono::milliseconds guard) {
  auto d = Deadline::after(guard);
  while (std::atomic_ref(const_cast<std::uint32_t&>(flag)).load() == 0) {
    const std::string st = child.state();
    if (d.expired() || st.empty() || st[0] == 'Z') return false;
    std::this_thread::sleep_for(200us);
  }
  return true;
}

void shm_side(CopyFreeMeasurement& m, std::size_t bytes, std::uint64_t seed, const std::vector<int>& cpus) {
  const std::size_t words = bytes / sizeof(std::uint64_t);
  shm::Segment seg(ShmKind::posix, kDataOffset + words * sizeof(std::uint64_t));
  auto* a = seg.as<CopyArea>();
  auto* data = reinterpret_cast<std::uint64_t*>(static_cast<char*>(seg.base()) + kDataOffset);
  const std::size_t size = seg.size();
  void* base = seg.base();

  auto reader = Child::fork([=]() -> int {
    shm::pin_where_possible(cpus, 0);
    // Fault every page in now, while system calls are still allowed: the pages the writer fills
    // are then already this process's own mapping of the same memory.
    (void)sys::populate(base, size);
    if (auto r = sys::allow_only_exit_calls(); !r) {
      std::atomic_ref(a->filter_errno).store(static_cast<std::uint32_t>(r.error().value()));
      return 2;
    }
    // From here on: no system call, no allocation. Loads and stores only.
    std::atomic_ref(a->armed).store(1);
    std::uint64_t spins = 0;
    while (std::atomic_ref(a->ready).load(std::memory_order_acquire) == 0) {
      ++spins;
      cpu_relax();
    }
    std::uint64_t wrong = 0;
    for (std::size_t i = 0; i < words; ++i) wrong += data[i] != word(seed, i);  // in place: no copy
    a->spins = spins;
    a->wrong = wrong;
    std::atomic_ref(a->done).store(1, std::memory_order_release);
    while (std::atomic_ref(a->may_exit).load() == 0) cpu_relax();
    return 0;
  });
  if (!reader) throw std::runtime_error("copy-free reader: fork: " + describe(reader.error()));
  if (!wait_flag(a->armed, *reader, kGuard)) {
    m.reader = reader->wait(kGuard);
    m.filter_errno = static_cast<int>(std::atomic_ref(a->filter_errno).load());
    if (m.filter_errno == 0 && !m.reader) throw std::runtime_error("copy-free reader: never armed its filter");
    return;
  }
  const long before = faults_of(reader->pid());

  auto writer = Child::fork([=]() -> int {
    shm::pin_where_possible(cpus, 1);
    while (std::atomic_ref(a->go).load() == 0) {
      if (auto r = sys::futex_wait(&a->go, 0, Deadline::after(kGuard)); !r && r.error() == std::errc::timed_out)
        return 4;
    }
    for (std::size_t i = 0; i < words; ++i) data[i] = word(seed, i);
    std::atomic_ref(a->ready).store(1, std::memory_order_release);
    return 0;
  });
  if (!writer) throw std::runtime_error("copy-free writer: fork: " + describe(writer.error()));
  std::atomic_ref(a->go).store(1);
  (void)sys::futex_wake_all(&a->go);

  m.reader_done = wait_flag(a->done, *reader, kGuard);
  if (m.reader_done) {
    const long after = faults_of(reader->pid());
    if (before >= 0 && after >= 0) m.faults = after - before;
    m.spins = a->spins;
    m.wrong_words = a->wrong;
  }
  std::atomic_ref(a->may_exit).store(1);
  m.reader = reader->wait(kGuard);  // nullopt: still spinning; the Child's destructor kills it
  auto w = writer->wait(kGuard);
  if (!w || w->code != 0) throw std::runtime_error("copy-free writer ended with " + (w ? w->describe() : "a hang"));
}

// The control: the same filter in front of a pipe reader. A byte is already waiting, so
// read() returns at once unless the filter stops it.
void control_side(CopyFreeMeasurement& m) {
  auto p = sys::pipe(O_CLOEXEC);
  if (!p) throw std::runtime_error("pipe: " + describe(p.error()));
  const std::byte one{1};
  if (auto w = sys::write(p->second.get(), std::span(&one, 1)); !w)
    throw std::runtime_error("write: " + describe(w.error()));
  const int rd = p->first.get();
  auto reader = Child::fork([=]() -> int {
    if (auto r = sys::allow_only_exit_calls(); !r) return 2;
    std::byte b{};
    auto r = sys::read(rd, std::span(&b, 1));
    return r ? 0 : 1;
  });
  if (!reader) throw std::runtime_error("control reader: fork: " + describe(reader.error()));
  m.control = reader->wait(kGuard);
}

// How a pipe carries the same bytes: read() calls, each a copy out of the kernel.
void pipe_side(CopyFreeMeasurement& m, std::size_t bytes, std::uint64_t seed) {
  std::vector<std::byte> out(bytes), in(bytes);
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<std::byte>(word(seed, i / 8) >> (8 * (i % 8)));
  auto p = sys::pipe(O_CLOEXEC);
  if (!p) throw std::runtime_error("pipe: " + describe(p.error()));
  const int wr = p->second.get();
  auto writer = Child::fork([&out, wr]() -> int { return sys::write_all(wr, out, Deadline::after(kGuard)) ? 0 : 1; });
  if (!writer) throw std::runtime_error("pipe writer: fork: " + describe(writer.error()));
  p->second.reset();  // EOF once the writer is gone
  std::size_t got = 0;
  while (got < bytes) {
    if (auto r = sys::wait_for(p->first.get(), POLLIN, Deadline::after(kGuard)); !r) {
      throw std::runtime_error("pipe reader: poll: " + describe(r.error()));
    }
    auto r = sys::read(p->first.get(), std::span(in).subspan(got));
    if (!r) throw std::runtime_error("pipe reader: read: " + describe(r.error()));
    ++m.pipe_reads;
    if (*r == 0) break;
    got += *r;
  }
  for (std::size_t i = 0; i < bytes; ++i) m.pipe_wrong += in[i] != out[i];
  m.pipe_wrong += bytes - got;
  (void)writer->wait(kGuard);
}

}  // namespace

CopyFreeMeasurement measure_copy_free(std::size_t bytes, std::uint64_t seed) {
  CopyFreeMeasurement m;
  m.bytes = bytes / sizeof(std::uint64_t) * sizeof(std::uint64_t);
  auto cpus = sys::usable_cpus();
  const std::vector<int> pins = cpus ? *cpus : std::vector<int>{};
  shm_side(m, m.bytes, seed, pins);
  control_side(m);
  pipe_side(m, m.bytes, seed);
  return m;
}

}  // namespace ipch::claims
