// Every system call ipc-harness makes, wrapped once.
//
// Contract of every wrapper: returns the call's value iff it succeeded, else the real errno.
// EINTR is retried here and nowhere else (counted in io_counters(), so a fault that delivers
// signals can see that it landed). Short reads and writes are finished here (read_exact,
// write_all) and nowhere else.
#pragma once

#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "deadline.hpp"
#include "result.hpp"

namespace ipch::sys {

// What the wrappers absorbed in this thread: retried EINTRs and finished short transfers.
struct IoCounters {
  std::uint64_t eintr_retries = 0;
  std::uint64_t short_reads = 0;
  std::uint64_t short_writes = 0;
};
IoCounters& io_counters();

// A move-only owner of a file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset();

 private:
  int fd_ = -1;
};

// --- files, pipes, fifos
Result<Fd> open(const std::string& path, int flags, mode_t mode = 0600);
Result<void> close(int fd);
Result<std::pair<Fd, Fd>> pipe(int flags);  // {read end, write end}
Result<int> fcntl(int fd, int cmd, long arg = 0);
Result<void> set_nonblocking(int fd, bool on);
Result<void> mkfifo(const std::string& path, mode_t mode = 0600);
Result<void> mkdir(const std::string& path, mode_t mode = 0700);
Result<void> unlink(const std::string& path);
Result<void> rmdir(const std::string& path);
Result<void> ftruncate(int fd, off_t size);
// Allocates the first `size` bytes now (mode 0), so a full tmpfs is ENOSPC here, not SIGBUS later.
Result<void> fallocate(int fd, off_t size);

// One read()/write(): may be short. EINTR retried. The fault points ipch/sys/read and
// ipch/sys/write (faults/points.hpp) shorten one call on a byte stream; send() and recv() too.
Result<std::size_t> read(int fd, std::span<std::byte> buf);
Result<std::size_t> write(int fd, std::span<const std::byte> buf);
// Waits for events on fds until the deadline. Returns the number of ready fds (0 = deadline).
Result<int> poll(std::span<pollfd> fds, Deadline d);

// Waits until fd has `events` (POLLIN, POLLOUT) or the deadline passes (ETIMEDOUT). POLLERR and
// POLLHUP count as ready: the next call says what happened.
Result<void> wait_for(int fd, short events, Deadline d);

// Writes every byte. With Deadline::never() the fd's own blocking behaviour applies (a blocking
// fd blocks inside write()); else it polls for POLLOUT before each write and, on a blocking
// pipe, writes at most `chunk` bytes at a time so that no single write() outlives the deadline.
// Returns {} iff all bytes were written; ETIMEDOUT when the deadline passed first; EAGAIN
// from a non-blocking fd before the first byte. `sent` reports progress either way.
// `socket`: send() with MSG_NOSIGNAL instead of write(), so a gone peer is EPIPE, not SIGPIPE.
// `nonblocking`: the fd is O_NONBLOCK; the first write is tried at once (EAGAIN if it takes
// nothing) and only a message already begun waits for room.
Result<void> write_all(int fd, std::span<const std::byte> buf, Deadline d, std::size_t* sent = nullptr,
                       std::size_t chunk = SIZE_MAX, bool socket = false, bool nonblocking = false);
// Reads exactly buf.size() bytes. Returns channel_errc::end_of_stream iff EOF came before the
// first byte, EPROTO iff EOF came in the middle (a torn message), ETIMEDOUT at the deadline.
// `nonblocking_first`: EAGAIN is returned if nothing at all is available at the start.
Result<void> read_exact(int fd, std::span<std::byte> buf, Deadline d, bool nonblocking_first = false);

// --- sockets
Result<Fd> socket(int domain, int type, int protocol = 0);
Result<void> bind(int fd, const sockaddr* addr, socklen_t len);
Result<void> listen(int fd, int backlog);
Result<Fd> accept(int fd, int flags);
Result<void> connect(int fd, const sockaddr* addr, socklen_t len);
Result<std::size_t> send(int fd, std::span<const std::byte> buf, int flags);
Result<std::size_t> recv(int fd, std::span<std::byte> buf, int flags);
Result<void> setsockopt_int(int fd, int level, int name, int value);
Result<int> getsockopt_int(int fd, int level, int name);
Result<void> getsockname(int fd, sockaddr* addr, socklen_t* len);
Result<void> shutdown(int fd, int how);
Result<std::pair<Fd, Fd>> socketpair(int domain, int type, int protocol = 0);
// One recvmsg(). The kernel fills msg->msg_flags and msg->msg_controllen; with MSG_TRUNC the
// result is the message's real length even when it did not fit.
Result<std::size_t> recvmsg(int fd, msghdr* msg, int flags);

// --- System V message queues
Result<int> msgget(key_t key, int flags);
Result<void> msgsnd(int id, const void* msg, std::size_t size, int flags);
Result<std::size_t> msgrcv(int id, void* msg, std::size_t size, long type, int flags);
Result<void> msgctl(int id, int cmd, msqid_ds* ds);

// --- POSIX message queues
Result<mqd_t> mq_open(const std::string& name, int flags, mode_t mode = 0, mq_attr* attr = nullptr);
Result<void> mq_close(mqd_t q);
Result<void> mq_unlink(const std::string& name);
Result<mq_attr> mq_getattr(mqd_t q);
// With Deadline::never(), mq_send/mq_receive; else the timed variants (ETIMEDOUT at the deadline).
Result<void> mq_send(mqd_t q, std::span<const std::byte> msg, unsigned prio, Deadline d);
Result<std::size_t> mq_receive(mqd_t q, std::span<std::byte> buf, unsigned* prio, Deadline d);

// --- System V shared memory and semaphores
Result<int> shmget(key_t key, std::size_t size, int flags);
Result<void*> shmat(int id, int flags);
Result<void> shmdt(const void* addr);
Result<void> shmctl(int id, int cmd, shmid_ds* ds);
Result<int> semget(key_t key, int nsems, int flags);
// With Deadline::never(), semop; else semtimedop, whose timeout EAGAIN becomes ETIMEDOUT here so
// that EAGAIN keeps meaning "IPC_NOWAIT and it would block".
Result<void> semop(int id, std::span<sembuf> ops, Deadline d);
Result<int> semctl(int id, int num, int cmd, long arg = 0);

// --- POSIX shared memory
Result<Fd> shm_open(const std::string& name, int flags, mode_t mode = 0600);
Result<void> shm_unlink(const std::string& name);
Result<void*> mmap(std::size_t size, int prot, int flags, int fd);
// Faults in, writable, every page of [addr, addr + size) of a mapping (MADV_POPULATE_WRITE,
// Linux 5.14): EINVAL on older kernels. The range is widened to whole pages.
Result<void> populate(void* addr, std::size_t size);
Result<void> munmap(void* addr, std::size_t size);

// --- process-shared pthread objects (they return the error instead of setting errno)
Result<void> mutex_lock(pthread_mutex_t* m, Deadline d);  // EOWNERDEAD is returned as data
Result<void> mutex_unlock(pthread_mutex_t* m);
Result<void> mutex_consistent(pthread_mutex_t* m);
// ETIMEDOUT at the deadline; EOWNERDEAD when the mutex came back from a dead owner.
Result<void> cond_wait(pthread_cond_t* c, pthread_mutex_t* m, Deadline d);
Result<void> cond_broadcast(pthread_cond_t* c);
// For objects in shared memory: a PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST mutex, and a
// PTHREAD_PROCESS_SHARED condition variable on CLOCK_MONOTONIC (what cond_wait's deadline uses).
Result<void> mutex_init_shared_robust(pthread_mutex_t* m);
// The same PTHREAD_PROCESS_SHARED mutex, robust iff `robust`: a plain one stays locked for ever
// once its holder dies, which is what the claims report shows next to the robust one.
Result<void> mutex_init_shared(pthread_mutex_t* m, bool robust);
Result<void> cond_init_shared(pthread_cond_t* c);
// A futex word in shared memory (never FUTEX_PRIVATE: other processes map it). futex_wait sleeps
// while *word == expected: {} when woken (maybe spuriously), EAGAIN when *word differed already,
// ETIMEDOUT at the deadline. Unlike a process-shared pthread_cond_t, it keeps no state per waiter
// in user memory, so a waiter killed in it cannot wedge the next wake. futex_wake_all wakes all.
Result<void> futex_wait(std::uint32_t* word, std::uint32_t expected, Deadline d);
Result<int> futex_wake_all(std::uint32_t* word);

// --- processes
// fork(); in the child returns 0. `die_with_parent`: the child gets SIGKILL when the thread
// that forked it ends, so no child outlives a killed parent.
Result<pid_t> fork(bool die_with_parent);
Result<Fd> pidfd_open(pid_t pid);
// waitpid(); returns the raw wait status. With WNOHANG, {0, 0} means "still running".
Result<std::pair<pid_t, int>> waitpid(pid_t pid, int options);
Result<void> kill(pid_t pid, int sig);
// setpgid(); EACCES once the child has exec'd, ESRCH once it is gone.
Result<void> setpgid(pid_t pid, pid_t pgid);
// setsid(): this process leads a new session (and process group). Returns the session id.
Result<pid_t> setsid();
// Closes every descriptor >= `first` (close_range), so an exec'd program inherits only 0..first-1.
Result<void> close_from(int first);
// execv(): replaces this process with `path`, argv = `args` (args[0] included). Returns only on
// failure, with the errno.
Result<void> exec(const std::string& path, const std::vector<std::string>& args);
// execvp(): as exec(), but a `file` without a '/' is looked up in PATH, as a shell would.
Result<void> execvp(const std::string& file, const std::vector<std::string>& args);
// dup3(): `from` also as `to` (closing what `to` was); `flags` 0 or O_CLOEXEC. from == to is
// allowed and only clears FD_CLOEXEC, so a pipe end that already sits at 0, 1 or 2 survives exec.
Result<void> dup_to(int from, int to, int flags = 0);
// prctl(PR_SET_CHILD_SUBREAPER): orphans of our children (a program's own children) become
// ours, so they can be found and killed after a case rather than left running.
Result<void> become_subreaper();
// unshare(CLONE_NEWIPC): this process (and children started after) moves to a fresh IPC
// namespace, whose SysV objects and POSIX queues no other process sees and the kernel destroys
// with it. EPERM without CAP_SYS_ADMIN.
Result<void> unshare_ipc();
// mount -t mqueue none `dir`, then open it and detach the mount at once (MNT_DETACH): the
// returned descriptor still lists this IPC namespace's queues, and no mount is left behind
// even if we are SIGKILLed.
Result<Fd> open_detached_mqueue(const std::string& dir);
// unshare(CLONE_NEWNS), every mount made private to this namespace, then a fresh tmpfs on
// /dev/shm: this process and the children it starts after see an empty /dev/shm of their own,
// which nobody else sees and which vanishes with its mount. EPERM without CAP_SYS_ADMIN.
Result<void> unshare_private_dev_shm();
// umount2(path, MNT_DETACH): the mount goes at once, its files with its last user.
Result<void> unmount_detached(const std::string& path);
// F_SETPIPE_SZ: a pipe's buffer; returns the size the kernel chose (a page at least).
Result<std::size_t> set_pipe_size(int fd, std::size_t bytes);
// Puts `sig` back to its default action (a forked worker must not run the runner's handler).
Result<void> default_signal(int sig);
// Runs `pid` (0: this process) on CPU `cpu` only. EINVAL iff that CPU is not usable here.
Result<void> pin_to_cpu(pid_t pid, int cpu);
// The CPUs this process may run on (sched_getaffinity), ascending.
Result<std::vector<int>> usable_cpus();
// From here on, any system call of this process but exit and exit_group kills it with SIGSYS
// (seccomp filter, after PR_SET_NO_NEW_PRIVS; made not dumpable, so the kill leaves no core
// file). For an experiment's child that must prove it makes no system call: it may not even
// allocate. EINVAL iff the kernel has no seccomp filters.
Result<void> allow_only_exit_calls();

// --- the schedule's supervisor (seccomp user notification, seccomp_unotify(2))
// In the calling process, after PR_SET_NO_NEW_PRIVS: installs `filter` (classic BPF, one
// seccomp_data per call) with a listener. Returns the listener, O_CLOEXEC. EINVAL iff the
// kernel has no user notification; EBUSY iff another listener already holds this process.
Result<Fd> seccomp_filter_with_listener(const void* sock_fprog_ptr);
// pidfd_getfd(): a copy of descriptor `fd` of the process behind `pidfd`, O_CLOEXEC here.
// EBADF iff it has no such descriptor; EPERM iff ptrace access to it is denied.
Result<Fd> pidfd_getfd(int pidfd, int fd);
// SECCOMP_IOCTL_NOTIF_RECV into `notif` (a seccomp_notif, zeroed here first). ENOENT iff the
// notifying call was interrupted (a signal, the caller's death) before it was received.
Result<void> seccomp_notif_recv(int listener, void* notif, std::size_t size);
// SECCOMP_IOCTL_NOTIF_SEND of `resp` (a seccomp_notif_resp). ENOENT iff that call is no longer
// waiting (interrupted by a signal or its process died): nothing was answered.
Result<void> seccomp_notif_send(int listener, const void* resp);
// SECCOMP_IOCTL_NOTIF_ID_VALID: true iff call `id` still waits (memory read before this
// belonged to the process that made it, not to a recycled pid).
bool seccomp_notif_id_valid(int listener, std::uint64_t id);
// process_vm_readv / process_vm_writev of one range of `pid`'s memory; returns the bytes moved.
Result<std::size_t> read_memory(pid_t pid, std::uint64_t addr, std::span<std::byte> out);
Result<std::size_t> write_memory(pid_t pid, std::uint64_t addr, std::span<const std::byte> in);
// getpid() as a real system call every time (the benchmark's "bare system call").
pid_t getpid_syscall();

// --- /proc/sys and friends
// The first integer in a file such as /proc/sys/fs/mqueue/msg_max.
Result<long> read_long(const std::string& path);
// A resource limit of this process (RLIMIT_MSGQUEUE, RLIMIT_NOFILE), for setup error messages.
Result<rlimit> getrlimit(int resource);

}  // namespace ipch::sys
