#include "sys.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <climits>
#include <cstring>
#include <fstream>

#include "fault_point.hpp"

namespace ipch::sys {

IoCounters& io_counters() {
  thread_local IoCounters c;
  return c;
}

namespace {
// Runs a call that returns -1 and sets errno, retrying EINTR.
template <class F>
auto retry(F f) -> decltype(f()) {
  for (;;) {
    auto r = f();
    if (r != -1 || errno != EINTR) return r;
    ++io_counters().eintr_retries;
  }
}
std::unexpected<std::error_code> pthread_error(int rc) { return errno_error(rc); }

constexpr const char* kWritePoint = "ipch/sys/write";
constexpr const char* kReadPoint = "ipch/sys/read";

// Only a byte stream may move fewer bytes than asked: the kernel never splits a datagram or a
// record, so a short transfer there would be a corruption no real run can show.
bool byte_stream(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return errno == ENOTSOCK;
  return type == SOCK_STREAM;
}

// The part of `buf` one call hands to the kernel: all of it, or, when `point` fires on a byte
// stream, at most failinfo bytes (at least 1), for a genuine short transfer the callers finish.
template <class T>
std::span<T> offered(std::span<T> buf, const char* point, int fd) {
  if (!fault_point::fires(point) || !byte_stream(fd)) return buf;
  std::size_t most = std::max<std::uintptr_t>(fault_point::info(), 1);
  return buf.first(std::min(buf.size(), most));
}
}  // namespace

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);  // no EINTR retry: on Linux the fd is gone either way
  fd_ = -1;
}

Result<Fd> open(const std::string& path, int flags, mode_t mode) {
  int fd = retry([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); });
  if (fd < 0) return last_errno();
  return Fd(fd);
}

Result<void> close(int fd) {
  if (::close(fd) != 0) return last_errno();
  return {};
}

Result<std::pair<Fd, Fd>> pipe(int flags) {
  int p[2];
  if (::pipe2(p, flags | O_CLOEXEC) != 0) return last_errno();
  return std::pair<Fd, Fd>{Fd(p[0]), Fd(p[1])};
}

Result<int> fcntl(int fd, int cmd, long arg) {
  int r = retry([&] { return ::fcntl(fd, cmd, arg); });
  if (r < 0) return last_errno();
  return r;
}

Result<void> set_nonblocking(int fd, bool on) {
  auto fl = fcntl(fd, F_GETFL);
  if (!fl) return std::unexpected(fl.error());
  int want = on ? (*fl | O_NONBLOCK) : (*fl & ~O_NONBLOCK);
  if (want == *fl) return {};
  auto r = fcntl(fd, F_SETFL, want);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> mkfifo(const std::string& path, mode_t mode) {
  if (::mkfifo(path.c_str(), mode) != 0) return last_errno();
  return {};
}
Result<void> mkdir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) return last_errno();
  return {};
}
Result<void> unlink(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return last_errno();
  return {};
}
Result<void> rmdir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) return last_errno();
  return {};
}
Result<void> ftruncate(int fd, off_t size) {
  if (retry([&] { return ::ftruncate(fd, size); }) != 0) return last_errno();
  return {};
}
Result<void> fallocate(int fd, off_t size) {
  if (retry([&] { return ::fallocate(fd, 0, 0, size); }) != 0) return last_errno();
  return {};
}

Result<std::size_t> read(int fd, std::span<std::byte> buf) {
  buf = offered(buf, kReadPoint, fd);
  auto n = retry([&] { return ::read(fd, buf.data(), buf.size()); });
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}

Result<std::size_t> write(int fd, std::span<const std::byte> buf) {
  buf = offered(buf, kWritePoint, fd);
  auto n = retry([&] { return ::write(fd, buf.data(), buf.size()); });
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}

Result<int> poll(std::span<pollfd> fds, Deadline d) {
  for (;;) {
    int r = ::poll(fds.data(), fds.size(), d.poll_ms());
    if (r >= 0) return r;
    if (errno != EINTR) return last_errno();
    ++io_counters().eintr_retries;
  }
}

Result<void> wait_for(int fd, short events, Deadline d) {
  pollfd p{fd, events, 0};
  auto r = poll(std::span(&p, 1), d);
  if (!r) return std::unexpected(r.error());
  if (*r == 0) return errno_error(ETIMEDOUT);
  return {};  // POLLERR/POLLHUP: the next read/write reports what happened
}

Result<void> write_all(int fd, std::span<const std::byte> buf, Deadline d, std::size_t* sent,
                       std::size_t chunk, bool socket, bool nonblocking) {
  std::size_t done = 0;
  auto report = [&] {
    if (sent) *sent = done;
  };
  while (done < buf.size()) {
    if (!d.is_never() && !nonblocking) {
      if (auto w = wait_for(fd, POLLOUT, d); !w) {
        report();
        return w;
      }
    }
    auto piece = buf.subspan(done, std::min(chunk, buf.size() - done));
    auto n = socket ? send(fd, piece, 0) : write(fd, piece);
    if (!n) {
      // A non-blocking fd that filled up mid-message must still finish the message, or the
      // stream is torn: wait for room. Before the first byte, EAGAIN is the caller's answer.
      if (n.error() == std::errc::resource_unavailable_try_again && done > 0) {
        if (auto w = wait_for(fd, POLLOUT, d); !w) {
          report();
          return w;
        }
        continue;
      }
      report();
      return std::unexpected(n.error());
    }
    if (*n < piece.size()) ++io_counters().short_writes;
    done += *n;
  }
  report();
  return {};
}

Result<void> read_exact(int fd, std::span<std::byte> buf, Deadline d, bool nonblocking_first) {
  std::size_t done = 0;
  while (done < buf.size()) {
    bool may_block = !(nonblocking_first && done == 0);
    if (!d.is_never() && may_block) {
      if (auto w = wait_for(fd, POLLIN, d); !w) return w;
    }
    auto n = read(fd, buf.subspan(done));
    if (!n) {
      if (n.error() == std::errc::resource_unavailable_try_again && may_block) {
        if (auto w = wait_for(fd, POLLIN, d); !w) return w;
        continue;
      }
      return std::unexpected(n.error());
    }
    if (*n == 0) {
      if (done == 0) return std::unexpected(make_error_code(channel_errc::end_of_stream));
      return errno_error(EPROTO);
    }
    if (done + *n < buf.size()) ++io_counters().short_reads;
    done += *n;
  }
  return {};
}

Result<Fd> socket(int domain, int type, int protocol) {
  int fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) return last_errno();
  return Fd(fd);
}
Result<void> bind(int fd, const sockaddr* addr, socklen_t len) {
  if (::bind(fd, addr, len) != 0) return last_errno();
  return {};
}
Result<void> listen(int fd, int backlog) {
  if (::listen(fd, backlog) != 0) return last_errno();
  return {};
}
Result<Fd> accept(int fd, int flags) {
  int c = retry([&] { return ::accept4(fd, nullptr, nullptr, flags | SOCK_CLOEXEC); });
  if (c < 0) return last_errno();
  return Fd(c);
}
Result<void> connect(int fd, const sockaddr* addr, socklen_t len) {
  // A connect interrupted by a signal goes on in the background; it must not be reissued.
  if (::connect(fd, addr, len) != 0) {
    if (errno != EINTR) return last_errno();
    ++io_counters().eintr_retries;
    if (auto w = wait_for(fd, POLLOUT, Deadline::never()); !w) return w;
    auto e = getsockopt_int(fd, SOL_SOCKET, SO_ERROR);
    if (!e) return std::unexpected(e.error());
    if (*e != 0) return errno_error(*e);
  }
  return {};
}
Result<std::size_t> send(int fd, std::span<const std::byte> buf, int flags) {
  buf = offered(buf, kWritePoint, fd);
  auto n = retry([&] { return ::send(fd, buf.data(), buf.size(), flags | MSG_NOSIGNAL); });
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}
Result<std::size_t> recv(int fd, std::span<std::byte> buf, int flags) {
  buf = offered(buf, kReadPoint, fd);
  auto n = retry([&] { return ::recv(fd, buf.data(), buf.size(), flags); });
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}
Result<void> setsockopt_int(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return last_errno();
  return {};
}
Result<int> getsockopt_int(int fd, int level, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, level, name, &v, &len) != 0) return last_errno();
  return v;
}
Result<void> getsockname(int fd, sockaddr* addr, socklen_t* len) {
  if (::getsockname(fd, addr, len) != 0) return last_errno();
  return {};
}
Result<void> shutdown(int fd, int how) {
  if (::shutdown(fd, how) != 0) return last_errno();
  return {};
}
Result<std::pair<Fd, Fd>> socketpair(int domain, int type, int protocol) {
  int sv[2];
  if (::socketpair(domain, type | SOCK_CLOEXEC, protocol, sv) != 0) return last_errno();
  return std::pair<Fd, Fd>{Fd(sv[0]), Fd(sv[1])};
}
Result<std::size_t> recvmsg(int fd, msghdr* msg, int flags) {
  auto n = retry([&] { return ::recvmsg(fd, msg, flags); });
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}

Result<int> msgget(key_t key, int flags) {
  int id = ::msgget(key, flags);
  if (id < 0) return last_errno();
  return id;
}
Result<void> msgsnd(int id, const void* msg, std::size_t size, int flags) {
  if (retry([&] { return ::msgsnd(id, msg, size, flags); }) != 0) return last_errno();
  return {};
}
Result<std::size_t> msgrcv(int id, void* msg, std::size_t size, long type, int flags) {
  auto n = retry([&] { return ::msgrcv(id, msg, size, type, flags); });
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}
Result<void> msgctl(int id, int cmd, msqid_ds* ds) {
  if (::msgctl(id, cmd, ds) != 0) return last_errno();
  return {};
}

Result<mqd_t> mq_open(const std::string& name, int flags, mode_t mode, mq_attr* attr) {
  mqd_t q = retry([&] { return ::mq_open(name.c_str(), flags | O_CLOEXEC, mode, attr); });
  if (q == static_cast<mqd_t>(-1)) return last_errno();
  return q;
}
Result<void> mq_close(mqd_t q) {
  if (::mq_close(q) != 0) return last_errno();
  return {};
}
Result<void> mq_unlink(const std::string& name) {
  if (::mq_unlink(name.c_str()) != 0) return last_errno();
  return {};
}
Result<mq_attr> mq_getattr(mqd_t q) {
  mq_attr a{};
  if (::mq_getattr(q, &a) != 0) return last_errno();
  return a;
}
Result<void> mq_send(mqd_t q, std::span<const std::byte> msg, unsigned prio, Deadline d) {
  const char* p = reinterpret_cast<const char*>(msg.data());
  int r;
  if (d.is_never()) {
    r = retry([&] { return ::mq_send(q, p, msg.size(), prio); });
  } else {
    r = retry([&] {
      timespec ts = d.absolute_realtime();
      return ::mq_timedsend(q, p, msg.size(), prio, &ts);
    });
  }
  if (r != 0) return last_errno();
  return {};
}
Result<std::size_t> mq_receive(mqd_t q, std::span<std::byte> buf, unsigned* prio, Deadline d) {
  char* p = reinterpret_cast<char*>(buf.data());
  ssize_t n;
  if (d.is_never()) {
    n = retry([&] { return ::mq_receive(q, p, buf.size(), prio); });
  } else {
    n = retry([&] {
      timespec ts = d.absolute_realtime();
      return ::mq_timedreceive(q, p, buf.size(), prio, &ts);
    });
  }
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}

Result<int> shmget(key_t key, std::size_t size, int flags) {
  int id = ::shmget(key, size, flags);
  if (id < 0) return last_errno();
  return id;
}
Result<void*> shmat(int id, int flags) {
  void* p = ::shmat(id, nullptr, flags);
  if (p == reinterpret_cast<void*>(-1)) return last_errno();
  return p;
}
Result<void> shmdt(const void* addr) {
  if (::shmdt(addr) != 0) return last_errno();
  return {};
}
Result<void> shmctl(int id, int cmd, shmid_ds* ds) {
  if (::shmctl(id, cmd, ds) != 0) return last_errno();
  return {};
}
Result<int> semget(key_t key, int nsems, int flags) {
  int id = ::semget(key, nsems, flags);
  if (id < 0) return last_errno();
  return id;
}
Result<void> semop(int id, std::span<sembuf> ops, Deadline d) {
  int r;
  if (d.is_never()) {
    r = retry([&] { return ::semop(id, ops.data(), ops.size()); });
  } else {
    r = retry([&] {
      timespec ts = d.relative();
      return ::semtimedop(id, ops.data(), ops.size(), &ts);
    });
    bool nowait = std::any_of(ops.begin(), ops.end(), [](const sembuf& o) { return o.sem_flg & IPC_NOWAIT; });
    if (r != 0 && errno == EAGAIN && !nowait) return errno_error(ETIMEDOUT);
  }
  if (r != 0) return last_errno();
  return {};
}
Result<int> semctl(int id, int num, int cmd, long arg) {
  int r = ::semctl(id, num, cmd, arg);
  if (r < 0) return last_errno();
  return r;
}

Result<Fd> shm_open(const std::string& name, int flags, mode_t mode) {
  int fd = ::shm_open(name.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return last_errno();
  return Fd(fd);
}
Result<void> shm_unlink(const std::string& name) {
  if (::shm_unlink(name.c_str()) != 0) return last_errno();
  return {};
}
Result<void*> mmap(std::size_t size, int prot, int flags, int fd) {
  void* p = ::mmap(nullptr, size, prot, flags, fd, 0);
  if (p == MAP_FAILED) return last_errno();
  return p;
}
Result<void> populate(void* addr, std::size_t size) {
  auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto start = reinterpret_cast<std::uintptr_t>(addr) & ~(page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(addr) + size + page - 1) & ~(page - 1);
  if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE) != 0) return last_errno();
  return {};
}
Result<void> munmap(void* addr, std::size_t size) {
  if (::munmap(addr, size) != 0) return last_errno();
  return {};
}

Result<void> mutex_lock(pthread_mutex_t* m, Deadline d) {
  int rc;
  if (d.is_never()) {
    rc = pthread_mutex_lock(m);
  } else {
    timespec ts = d.absolute_monotonic();
    rc = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
  }
  if (rc != 0) return pthread_error(rc);
  return {};
}
Result<void> mutex_unlock(pthread_mutex_t* m) {
  if (int rc = pthread_mutex_unlock(m); rc != 0) return pthread_error(rc);
  return {};
}
Result<void> mutex_consistent(pthread_mutex_t* m) {
  if (int rc = pthread_mutex_consistent(m); rc != 0) return pthread_error(rc);
  return {};
}
Result<void> cond_wait(pthread_cond_t* c, pthread_mutex_t* m, Deadline d) {
  int rc;
  if (d.is_never()) {
    rc = pthread_cond_wait(c, m);
  } else {
    timespec ts = d.absolute_monotonic();
    rc = pthread_cond_timedwait(c, m, &ts);
  }
  if (rc != 0) return pthread_error(rc);
  return {};
}
Result<void> cond_broadcast(pthread_cond_t* c) {
  if (int rc = pthread_cond_broadcast(c); rc != 0) return pthread_error(rc);
  return {};
}
Result<void> mutex_init_shared_robust(pthread_mutex_t* m) {
  pthread_mutexattr_t a;
  if (int rc = pthread_mutexattr_init(&a); rc != 0) return pthread_error(rc);
  int rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (rc == 0) rc = pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
  if (rc != 0) return pthread_error(rc);
  return {};
}
Result<void> mutex_init_shared(pthread_mutex_t* m, bool robust) {
  pthread_mutexattr_t a;
  if (int rc = pthread_mutexattr_init(&a); rc != 0) return pthread_error(rc);
  int rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_mutexattr_setrobust(&a, robust ? PTHREAD_MUTEX_ROBUST : PTHREAD_MUTEX_STALLED);
  if (rc == 0) rc = pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
  if (rc != 0) return pthread_error(rc);
  return {};
}
Result<void> cond_init_shared(pthread_cond_t* c) {
  pthread_condattr_t a;
  if (int rc = pthread_condattr_init(&a); rc != 0) return pthread_error(rc);
  int rc = pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  if (rc == 0) rc = pthread_cond_init(c, &a);
  pthread_condattr_destroy(&a);
  if (rc != 0) return pthread_error(rc);
  return {};
}
Result<void> futex_wait(std::uint32_t* word, std::uint32_t expected, Deadline d) {
  long r = retry([&] {
    timespec ts = d.relative();  // FUTEX_WAIT measures a relative timeout on CLOCK_MONOTONIC
    return ::syscall(SYS_futex, word, FUTEX_WAIT, expected, d.is_never() ? nullptr : &ts, nullptr, 0);
  });
  if (r != 0) return last_errno();
  return {};
}
Result<int> futex_wake_all(std::uint32_t* word) {
  long r = ::syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  if (r < 0) return last_errno();
  return static_cast<int>(r);
}

Result<pid_t> fork(bool die_with_parent) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return last_errno();
  if (pid == 0 && die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  }
  return pid;
}
Result<Fd> pidfd_open(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return last_errno();
  return Fd(fd);
}
Result<std::pair<pid_t, int>> waitpid(pid_t pid, int options) {
  int status = 0;
  pid_t r = retry([&] { return ::waitpid(pid, &status, options); });
  if (r < 0) return last_errno();
  return std::pair<pid_t, int>{r, status};
}
Result<void> kill(pid_t pid, int sig) {
  if (::kill(pid, sig) != 0) return last_errno();
  return {};
}
Result<void> setpgid(pid_t pid, pid_t pgid) {
  if (::setpgid(pid, pgid) != 0) return last_errno();
  return {};
}
Result<pid_t> setsid() {
  pid_t s = ::setsid();
  if (s < 0) return last_errno();
  return s;
}
Result<void> close_from(int first) {
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0u, 0) != 0) return last_errno();
  return {};
}
Result<void> exec(const std::string& path, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(path.c_str(), argv.data());
  return last_errno();
}
Result<void> execvp(const std::string& file, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execvp(file.c_str(), argv.data());
  return last_errno();
}
Result<void> dup_to(int from, int to, int flags) {
  if (from == to) {
    if (::fcntl(from, F_SETFD, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0) != 0) return last_errno();
    return {};
  }
  if (retry([&] { return ::dup3(from, to, flags); }) < 0) return last_errno();
  return {};
}
Result<void> become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return last_errno();
  return {};
}
Result<void> unshare_ipc() {
  if (::unshare(CLONE_NEWIPC) != 0) return last_errno();
  return {};
}
Result<Fd> open_detached_mqueue(const std::string& dir) {
  if (::mount("none", dir.c_str(), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) return last_errno();
  int fd = retry([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  int open_errno = errno;
  ::umount2(dir.c_str(), MNT_DETACH);
  if (fd < 0) return std::unexpected(std::error_code(open_errno, std::generic_category()));
  return Fd(fd);
}
Result<void> unshare_private_dev_shm() {
  if (::unshare(CLONE_NEWNS) != 0) return last_errno();
  // The new tmpfs must not propagate back to the machine: make the nearest mount above it private.
  // "/" is not a mount point in a chroot; /dev or /dev/shm then usually is.
  bool private_above = false;
  for (const char* at : {"/", "/dev", "/dev/shm"})
    if (::mount(nullptr, at, nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) {
      private_above = true;
      break;
    }
  if (!private_above) return last_errno();
  if (::mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) return last_errno();
  return {};
}
Result<void> unmount_detached(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0) return last_errno();
  return {};
}
Result<std::size_t> set_pipe_size(int fd, std::size_t bytes) {
  int r = ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes));
  if (r < 0) return last_errno();
  return static_cast<std::size_t>(r);
}
Result<void> default_signal(int sig) {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(sig, &sa, nullptr) != 0) return last_errno();
  return {};
}
Result<void> pin_to_cpu(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(pid, sizeof set, &set) != 0) return last_errno();
  return {};
}
Result<std::vector<int>> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return last_errno();
  std::vector<int> out;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) out.push_back(i);
  return out;
}
Result<void> allow_only_exit_calls() {
  // An x32 or foreign-ABI call would carry other numbers: those kill too.
#if defined(__x86_64__)
  constexpr std::uint32_t arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  constexpr std::uint32_t arch = AUDIT_ARCH_AARCH64;
#else
  constexpr std::uint32_t arch = 0;
#endif
  if constexpr (arch == 0) return errno_error(EINVAL);  // an ABI this filter does not know
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return last_errno();  // a SIGSYS kill writes no core file
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return last_errno();
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return last_errno();
  return {};
}
Result<Fd> seccomp_filter_with_listener(const void* prog) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return last_errno();
  long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
  if (fd < 0) return last_errno();
  return Fd(static_cast<int>(fd));
}
Result<Fd> pidfd_getfd(int pidfd, int fd) {
  long r = ::syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  if (r < 0) return last_errno();
  return Fd(static_cast<int>(r));
}
Result<void> seccomp_notif_recv(int listener, void* notif, std::size_t size) {
  std::memset(notif, 0, size);
  if (retry([&] { return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notif); }) != 0) return last_errno();
  return {};
}
Result<void> seccomp_notif_send(int listener, const void* resp) {
  if (retry([&] { return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp); }) != 0) return last_errno();
  return {};
}
bool seccomp_notif_id_valid(int listener, std::uint64_t id) {
  return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}
Result<std::size_t> read_memory(pid_t pid, std::uint64_t addr, std::span<std::byte> out) {
  iovec local{out.data(), out.size()}, remote{reinterpret_cast<void*>(addr), out.size()};
  ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}
Result<std::size_t> write_memory(pid_t pid, std::uint64_t addr, std::span<const std::byte> in) {
  iovec local{const_cast<std::byte*>(in.data()), in.size()}, remote{reinterpret_cast<void*>(addr), in.size()};
  ssize_t n = ::process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (n < 0) return last_errno();
  return static_cast<std::size_t>(n);
}
pid_t getpid_syscall() { return static_cast<pid_t>(::syscall(SYS_getpid)); }

Result<long> read_long(const std::string& path) {
  std::ifstream in(path);
  long v = 0;
  if (!in) return errno_error(errno ? errno : ENOENT);
  if (!(in >> v)) return errno_error(EINVAL);
  return v;
}

Result<rlimit> getrlimit(int resource) {
  rlimit r{};
  if (::getrlimit(resource, &r) != 0) return last_errno();
  return r;
}

}  // namespace ipch::sys
