#include "worker_ceiling.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace ipch::cli {

namespace {

// Threads of real user `uid` now: what RLIMIT_NPROC counts. A /proc entry that vanishes while we
// look is a process that no longer counts.
std::uint64_t threads_of(uid_t uid) {
  std::uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat(e.path().c_str(), &st) != 0 || st.st_uid != uid) continue;
    struct stat task {};
    if (::stat((e.path() / "task").c_str(), &task) == 0 && task.st_nlink > 2) n += task.st_nlink - 2;
    else n += 1;
  }
  return n;
}

}  // namespace

WorkerCeiling worker_ceiling() {
  WorkerCeiling c{kMaxWorkers, fmt::format("a run forks at most {} workers (a listening socket's backlog)", kMaxWorkers)};
  rlimit fds{};
  if (::getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur != RLIM_INFINITY) {
    std::uint64_t room = fds.rlim_cur > kFdReserve ? (fds.rlim_cur - kFdReserve) / kFdsPerWorker : 0;
    if (room < c.workers) {
      c.workers = room;
      c.why = fmt::format("RLIMIT_NOFILE {} (ulimit -n) allows {} workers at {} descriptors each; raise it for more",
                          fds.rlim_cur, room, kFdsPerWorker);
    }
  }
  rlimit procs{};
  if (::geteuid() != 0 && ::getrlimit(RLIMIT_NPROC, &procs) == 0 && procs.rlim_cur != RLIM_INFINITY) {
    std::uint64_t used = threads_of(::getuid()) + kProcessReserve;
    std::uint64_t room = procs.rlim_cur > used ? procs.rlim_cur - used : 0;
    if (room < c.workers) {
      c.workers = room;
      c.why = fmt::format("RLIMIT_NPROC {} (ulimit -u) leaves room for {} workers beside this user's {} threads",
                          procs.rlim_cur, room, used - kProcessReserve);
    }
  }
  return c;
}

}  // namespace ipch::cli
