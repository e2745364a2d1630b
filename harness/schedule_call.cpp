#include "schedule_call.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "diagnosis.hpp"
#include "sys.hpp"

namespace ipch::schedule {

namespace {

constexpr std::size_t kMostPollFds = 1024;
constexpr std::size_t kMostSemOps = 512;

template <class T>
bool peek(pid_t tid, std::uint64_t addr, T& out) {
  auto r = sys::read_memory(tid, addr, std::as_writable_bytes(std::span(&out, 1)));
  return r && *r == sizeof(T);
}

std::string fd_object(pid_t tid, int fd) {
  char buf[256];
  std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  return "fd " + std::to_string(fd) + (n > 0 ? " = " + std::string(buf, static_cast<std::size_t>(n)) : "");
}

short poll_copy(int pidfd, int fd, short events) {
  auto copy = sys::pidfd_getfd(pidfd, fd);
  if (!copy) return POLLNVAL;
  pollfd p{copy->get(), events, 0};
  if (::poll(&p, 1, 0) < 0) return 0;
  return p.revents;
}

bool nonblocking(int pidfd, int fd) {
  auto copy = sys::pidfd_getfd(pidfd, fd);
  if (!copy) return true;  // EBADF comes back at once
  int fl = ::fcntl(copy->get(), F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK);
}

Assessment waiting(bool nonblock, bool timed, std::string why, std::string object) {
  Assessment a;
  a.readiness = nonblock ? Readiness::spins : timed ? Readiness::timed : Readiness::blocked;
  a.why = std::move(why);
  a.object = std::move(object);
  return a;
}

// A read or a write on descriptor `fd`: ready iff poll says so (an error or a hang-up returns at once too).
Assessment io(const Call& c, int pidfd, int fd, bool reading, bool dontwait) {
  short want = reading ? POLLIN : POLLOUT;
  short rev = poll_copy(pidfd, fd, want);
  if (rev & (want | POLLERR | POLLHUP | POLLNVAL)) return {};
  return waiting(dontwait || nonblocking(pidfd, fd), false, reading ? "nothing to read" : "no room to write",
                 fd_object(c.tid, fd));
}

// poll/ppoll/select/pselect6: ready iff one of the descriptors is.
Assessment any_ready(const Call& c, int pidfd, std::vector<pollfd> fds, bool timed, bool zero_timeout) {
  for (auto& p : fds) {
    if (p.fd < 0) continue;
    if (poll_copy(pidfd, p.fd, p.events) & (p.events | POLLERR | POLLHUP | POLLNVAL)) return {};
  }
  if (zero_timeout) return waiting(true, false, "none of its descriptors is ready", "");
  std::string which;
  for (std::size_t i = 0; i < fds.size() && i < 4; ++i) which += (i ? ", " : "") + fd_object(c.tid, fds[i].fd);
  if (fds.size() > 4) which += ", ...";
  return waiting(false, timed, "none of its descriptors is ready", which);
}

std::vector<pollfd> read_pollfds(const Call& c) {
  std::size_t n = std::min<std::size_t>(c.args[1], kMostPollFds);
  std::vector<pollfd> fds(n);
  if (n && !(sys::read_memory(c.tid, c.args[0], std::as_writable_bytes(std::span(fds))).value_or(0) == n * sizeof(pollfd)))
    fds.clear();
  return fds;
}

std::vector<pollfd> read_fdsets(const Call& c) {
  std::vector<pollfd> out;
  int n = static_cast<int>(std::min<std::uint64_t>(c.args[0], FD_SETSIZE));
  short ev[3] = {POLLIN, POLLOUT, POLLPRI};
  for (int k = 0; k < 3; ++k) {
    if (!c.args[1 + k]) continue;
    fd_set set;
    if (!peek(c.tid, c.args[1 + k], set)) continue;
    for (int fd = 0; fd < n; ++fd)
      if (FD_ISSET(fd, &set)) out.push_back({fd, ev[k], 0});
  }
  return out;
}

// /proc/<pid>/maps, cached per process: which object and offset an address falls in.
struct Mapping {
  std::uint64_t start, end, offset, inode;
  std::uint64_t dev;
  bool shared;
};
std::unordered_map<pid_t, std::vector<Mapping>>& maps_cache() {
  static std::unordered_map<pid_t, std::vector<Mapping>> cache;
  return cache;
}

std::vector<Mapping> read_maps(pid_t tid) {
  std::vector<Mapping> out;
  std::ifstream in("/proc/" + std::to_string(tid) + "/maps");
  std::string line;
  while (std::getline(in, line)) {
    Mapping m{};
    unsigned long long s, e, off, ino;
    unsigned maj, min;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu", &s, &e, perms, &off, &maj, &min, &ino) != 7) continue;
    m = {s, e, off, ino, (std::uint64_t(maj) << 32) | min, perms[3] == 's'};
    out.push_back(m);
  }
  return out;
}

FutexKey key_of(pid_t tid, pid_t tgid, std::uint64_t addr, bool priv) {
  if (!priv) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto& maps = maps_cache()[tgid];
      if (attempt == 1 || maps.empty()) maps = read_maps(tid);
      for (const auto& m : maps)
        if (addr >= m.start && addr < m.end) {
          if (m.shared) return {m.dev + 1, m.inode, m.offset + (addr - m.start)};
          return {0, static_cast<std::uint64_t>(tgid), addr};
        }
    }
  }
  return {0, static_cast<std::uint64_t>(tgid), addr};
}

Assessment futex(const Call& c, pid_t tgid) {
  const int op = static_cast<int>(c.args[1]);
  const int cmd = op & FUTEX_CMD_MASK;
  const bool priv = op & FUTEX_PRIVATE_FLAG;
  const auto key = [&](std::uint64_t addr) { return key_of(c.tid, tgid, addr, priv); };
  Assessment a;
  std::uint32_t word = 0;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_WAIT_REQUEUE_PI: {
      if (!peek(c.tid, c.args[0], word) || word != static_cast<std::uint32_t>(c.args[2])) return a;  // EFAULT or EAGAIN at once
      auto k = key(c.args[0]);
      char why[64];
      std::snprintf(why, sizeof why, "the futex word is still %u", word);
      a = waiting(false, c.args[3] != 0, why, "futex " + std::to_string(k.b) + "+" + std::to_string(k.c));
      a.waits = k;
      return a;
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      a.wakes = key(c.args[0]);
      a.wake_count = static_cast<int>(c.args[2]);
      return a;
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_CMP_REQUEUE_PI:
    case FUTEX_WAKE_OP:
      a.wakes = key(c.args[0]);
      a.wake_count = 1 << 30;  // requeued waiters are woken instead: a spurious wake is allowed
      a.wakes2 = key(c.args[4]);
      a.wake_count2 = 1 << 30;
      return a;
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2: {
      if (!peek(c.tid, c.args[0], word)) return a;
      if ((word & FUTEX_TID_MASK) == 0 || (word & FUTEX_OWNER_DIED)) return a;
      auto k = key(c.args[0]);
      a = waiting(false, c.args[3] != 0, "the PI lock is held by thread " + std::to_string(word & FUTEX_TID_MASK),
                  "futex " + std::to_string(k.b) + "+" + std::to_string(k.c));
      a.waits = k;
      return a;
    }
    case FUTEX_UNLOCK_PI:
      a.wakes = key(c.args[0]);
      a.wake_count = 1 << 30;
      return a;
    default:
      return a;
  }
}

Assessment semop(const Call& c, bool timed) {
  const int id = static_cast<int>(c.args[0]);
  std::size_t n = std::min<std::size_t>(c.args[2], kMostSemOps);
  std::vector<sembuf> ops(n);
  if (n == 0 || sys::read_memory(c.tid, c.args[1], std::as_writable_bytes(std::span(ops))).value_or(0) != n * sizeof(sembuf))
    return {};
  std::map<unsigned short, long> val;
  for (const auto& op : ops) {
    if (!val.count(op.sem_num)) {
      auto v = sys::semctl(id, op.sem_num, GETVAL);
      if (!v) return {};  // EINVAL/EIDRM/EFBIG: it fails at once
      val[op.sem_num] = *v;
    }
    long& v = val[op.sem_num];
    bool stuck = op.sem_op < 0 ? v < -op.sem_op : op.sem_op == 0 && v != 0;
    if (stuck) {
      return waiting(op.sem_flg & IPC_NOWAIT, timed,
                     "semaphore " + std::to_string(op.sem_num) + " is " + std::to_string(v) +
                         (op.sem_op < 0 ? ", the call takes " + std::to_string(-op.sem_op) : ", the call waits for 0"),
                     "sysv-sem " + std::to_string(id));
    }
    v += op.sem_op;
  }
  return {};
}

Assessment msg(const Call& c, bool sending) {
  const int id = static_cast<int>(c.args[0]);
  msqid_ds ds{};
  if (!sys::msgctl(id, IPC_STAT, &ds)) return {};
  const int flags = static_cast<int>(sending ? c.args[3] : c.args[4]);
  const std::string object = "sysv-msg " + std::to_string(id);
  if (sending) {
    std::uint64_t size = c.args[2];
    if (ds.msg_qbytes >= size + ds.__msg_cbytes && ds.msg_qnum + 1 <= ds.msg_qbytes) return {};
    return waiting(flags & IPC_NOWAIT, false, "the queue is full (" + std::to_string(ds.__msg_cbytes) + " of " +
                                                  std::to_string(ds.msg_qbytes) + " B)", object);
  }
  if (ds.msg_qnum > 0) return {};  // a typed receive may still wait: seen when it runs
  return waiting(flags & IPC_NOWAIT, false, "the queue is empty", object);
}

Assessment mq(const Call& c, int pidfd, bool sending) {
  auto copy = sys::pidfd_getfd(pidfd, static_cast<int>(c.args[0]));
  if (!copy) return {};
  auto attr = sys::mq_getattr(static_cast<mqd_t>(copy->get()));
  if (!attr) return {};
  bool stuck = sending ? attr->mq_curmsgs >= attr->mq_maxmsg : attr->mq_curmsgs == 0;
  if (!stuck) return {};
  return waiting(attr->mq_flags & O_NONBLOCK, c.args[4] != 0, sending ? "the queue is full" : "the queue is empty",
                 fd_object(c.tid, static_cast<int>(c.args[0])));
}

}  // namespace

Assessment assess(const Call& c, int pidfd, pid_t tgid) {
  const int fd = static_cast<int>(c.args[0]);
  switch (c.nr) {
    case SYS_read:
    case SYS_readv: return io(c, pidfd, fd, true, false);
    case SYS_write:
    case SYS_writev: return io(c, pidfd, fd, false, false);
    case SYS_recvfrom:
    case SYS_recvmmsg: return io(c, pidfd, fd, true, c.args[3] & MSG_DONTWAIT);
    case SYS_recvmsg: return io(c, pidfd, fd, true, c.args[2] & MSG_DONTWAIT);
    case SYS_sendto:
    case SYS_sendmmsg: return io(c, pidfd, fd, false, c.args[3] & MSG_DONTWAIT);
    case SYS_sendmsg: return io(c, pidfd, fd, false, c.args[2] & MSG_DONTWAIT);
    case SYS_accept:
    case SYS_accept4: return io(c, pidfd, fd, true, false);
    case SYS_poll: {
      int t = static_cast<int>(c.args[2]);
      return any_ready(c, pidfd, read_pollfds(c), t > 0, t == 0);
    }
    case SYS_ppoll: {
      timespec ts{};
      bool has = c.args[2] != 0 && peek(c.tid, c.args[2], ts);
      return any_ready(c, pidfd, read_pollfds(c), has, has && ts.tv_sec == 0 && ts.tv_nsec == 0);
    }
    case SYS_select: {
      timeval tv{};
      bool has = c.args[4] != 0 && peek(c.tid, c.args[4], tv);
      return any_ready(c, pidfd, read_fdsets(c), has, has && tv.tv_sec == 0 && tv.tv_usec == 0);
    }
    case SYS_pselect6: {
      timespec ts{};
      bool has = c.args[4] != 0 && peek(c.tid, c.args[4], ts);
      return any_ready(c, pidfd, read_fdsets(c), has, has && ts.tv_sec == 0 && ts.tv_nsec == 0);
    }
    case SYS_epoll_wait:
    case SYS_epoll_pwait: {
      int t = static_cast<int>(c.args[3]);
      return any_ready(c, pidfd, {{fd, POLLIN, 0}}, t > 0, t == 0);
    }
    case SYS_epoll_pwait2: {
      timespec ts{};
      bool has = c.args[3] != 0 && peek(c.tid, c.args[3], ts);
      return any_ready(c, pidfd, {{fd, POLLIN, 0}}, has, has && ts.tv_sec == 0 && ts.tv_nsec == 0);
    }
    case SYS_msgsnd: return msg(c, true);
    case SYS_msgrcv: return msg(c, false);
    case SYS_mq_timedsend: return mq(c, pidfd, true);
    case SYS_mq_timedreceive: return mq(c, pidfd, false);
    case SYS_semop: return semop(c, false);
    case SYS_semtimedop: return semop(c, c.args[3] != 0);
    case SYS_futex: return futex(c, tgid);
    case SYS_sched_yield:
    case SYS_nanosleep:
    case SYS_clock_nanosleep: {
      Assessment a;
      a.readiness = Readiness::spins;
      a.why = c.nr == SYS_sched_yield ? "it yields" : "it sleeps (answered at once: a sleep is a yield here)";
      return a;
    }
    case SYS_kill:
    case SYS_tgkill:
    case SYS_tkill: {
      Assessment a;
      a.signals = true;
      return a;
    }
    case SYS_exit_group: {
      Assessment a;
      a.exits = true;
      return a;
    }
    default: return {};
  }
}

std::int64_t take_timeout(const Call& c) {
  switch (c.nr) {
    case SYS_poll:
    case SYS_ppoll: {
      auto fds = read_pollfds(c);
      for (auto& p : fds) p.revents = 0;
      if (!fds.empty()) (void)sys::write_memory(c.tid, c.args[0], std::as_bytes(std::span(fds)));
      return 0;
    }
    case SYS_select:
    case SYS_pselect6: {
      fd_set none;
      FD_ZERO(&none);
      std::size_t bytes = std::min<std::size_t>(sizeof none, (c.args[0] + 63) / 64 * 8);
      for (int k = 0; k < 3; ++k)
        if (c.args[1 + k]) (void)sys::write_memory(c.tid, c.args[1 + k], std::as_bytes(std::span(&none, 1)).first(bytes));
      return 0;
    }
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
    case SYS_epoll_pwait2: return 0;
    case SYS_semtimedop: return -EAGAIN;
    default: return -ETIMEDOUT;  // futex, mq_timedsend, mq_timedreceive
  }
}

void forget_process(pid_t tgid) { maps_cache().erase(tgid); }

std::string show(const Call& c) {
  std::string name = syscall_name(c.nr);
  switch (c.nr) {
    case SYS_read: case SYS_readv: case SYS_write: case SYS_writev: case SYS_recvfrom: case SYS_recvmsg:
    case SYS_recvmmsg: case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg: case SYS_accept: case SYS_accept4:
    case SYS_connect: case SYS_mq_timedsend: case SYS_mq_timedreceive: case SYS_epoll_wait: case SYS_epoll_pwait:
    case SYS_epoll_pwait2:
      return name + "(fd " + std::to_string(static_cast<int>(c.args[0])) + ")";
    case SYS_msgsnd: case SYS_msgrcv: case SYS_semop: case SYS_semtimedop:
      return name + "(id " + std::to_string(static_cast<int>(c.args[0])) + ")";
    case SYS_kill: case SYS_tkill: {
      const char* sig = sigabbrev_np(static_cast<int>(c.args[1]));
      return name + "(" + std::to_string(static_cast<int>(c.args[0])) + ", " + (sig ? "SIG" + std::string(sig) : "0") + ")";
    }
    default: return name;
  }
}

}  // namespace ipch::schedule
