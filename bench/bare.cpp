// Bare ping-pongs (see bare.hpp). This file calls the kernel directly, on purpose: a floor measured
// through our own wrappers would include them. It still retries EINTR and finishes short I/O.
#include "bare.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <new>
#include <stdexcept>
#include <thread>
#include <utility>

#include "event.hpp"
#include "objects.hpp"
#include "sys.hpp"
#include "result.hpp"

namespace ipch::bench {

namespace {

const std::vector<std::string> kMechanisms{"pipe",           "fifo",      "sysv-msg",    "posix-mq",
                                           "sysv-shm",       "posix-shm", "unix-stream", "unix-dgram",
                                           "unix-seqpacket", "tcp",       "udp"};

constexpr std::size_t kUdpMaxPayload = 65507;  // 65535 - 8 (UDP header) - 20 (IPv4 header)

// ---------------------------------------------------------------------------------------------
// Shared helpers

[[noreturn]] void fail(const std::string& call) {
  throw std::runtime_error(call + ": " + std::strerror(errno));
}
[[noreturn]] void fail_msg(const std::string& what) {
  throw std::runtime_error(what);
}

template <class F>
auto no_eintr(F f) {
  for (;;) {
    auto r = f();
    if (r != -1 || errno != EINTR) return r;
  }
}

long proc_long(const char* path) {
  std::ifstream in(path);
  long v = -1;
  in >> v;
  return in ? v : -1;
}

// The project's move-only owner of an fd; only the calls in this file are raw.
using sys::Fd;

Fd checked_fd(long fd, const char* call) {
  if (fd < 0) fail(call);
  return Fd(static_cast<int>(fd));
}

void check(long r, const char* call) {
  if (r < 0) fail(call);
}

std::pair<Fd, Fd> make_pipe() {
  int p[2];
  check(::pipe2(p, O_CLOEXEC), "pipe2");
  return {Fd(p[0]), Fd(p[1])};
}

void write_all(int fd, const void* p, std::size_t n) {
  const auto* b = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = no_eintr([&] { return ::write(fd, b, n); });
    if (w < 0) fail("write");
    b += w;
    n -= static_cast<std::size_t>(w);
  }
}

bool alive(pid_t pid) {
  siginfo_t si{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) < 0) return false;
  return si.si_pid == 0;
}

// Pins the calling thread; a CPU the machine does not have is not an error (the caller asked for
// a layout, and the nearest one is "unpinned").
void pin_self(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) < 0 && errno != EINVAL) fail("sched_setaffinity");
}

// The parent is the caller's own thread, so its mask is given back afterwards.
class Pin {
 public:
  explicit Pin(int cpu) {
    if (cpu < 0) return;
    check(::sched_getaffinity(0, sizeof old_, &old_), "sched_getaffinity");
    restore_ = true;
    pin_self(cpu);
  }
  Pin(const Pin&) = delete;
  Pin& operator=(const Pin&) = delete;
  ~Pin() {
    if (restore_) ::sched_setaffinity(0, sizeof old_, &old_);
  }

 private:
  cpu_set_t old_{};
  bool restore_ = false;
};

// A pipe write to a dead child must come back as EPIPE, not kill the caller, whatever the
// caller's SIGPIPE disposition is; a SIGPIPE raised meanwhile is consumed before unblocking.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    ours_ = sigismember(&old_, SIGPIPE) != 1 && sigismember(&pending, SIGPIPE) != 1;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    sigset_t pending;
    sigemptyset(&pending);
    if (ours_ && ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_{}, old_{};
  bool ours_ = false;
};

class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { kill_and_reap(); }
  void kill_and_reap() {
    if (reaped_) return;
    ::kill(pid_, SIGKILL);
    reap();
  }
  // How the child ended, if it already has (without reaping it); "" while it runs.
  std::string ended_how() const {
    siginfo_t si{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) return "";
    return si.si_code == CLD_EXITED ? "the child exited with status " + std::to_string(si.si_status)
                                    : "the child was killed by signal " + std::to_string(si.si_status);
  }
  // The child's last echo was read, so anything but a clean exit is its failure.
  void expect_clean_exit() {
    int st = reap();
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return;
    fail_msg(WIFSIGNALED(st) ? "child killed by signal " + std::to_string(WTERMSIG(st))
                             : "child exited with status " + std::to_string(WEXITSTATUS(st)));
  }

 private:
  int reap() {
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return st;
  }
  pid_t pid_;
  bool reaped_ = false;
};

// SysV queues, futex waits and datagram reads do not notice a dead peer by themselves. When the
// child dies early, this thread makes the parent's blocking call return (remove the queue, post a
// "gone" word, shut the socket down) so a failure throws instead of hanging. A clean exit is not
// early: the child's last echo is already in the kernel object, and a poison would destroy it.
class Watchdog {
 public:
  Watchdog(pid_t child, std::function<void()> poison)
      : pidfd_(checked_fd(::syscall(SYS_pidfd_open, child, 0), "pidfd_open")),
        stop_(checked_fd(::eventfd(0, EFD_CLOEXEC), "eventfd")),
        poison_(std::move(poison)),
        thread_([this] { watch(); }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    std::uint64_t one = 1;
    if (::write(stop_.get(), &one, sizeof one) < 0) {
    }
    thread_.join();
  }

 private:
  void watch() {
    pollfd fds[2] = {{pidfd_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (no_eintr([&] { return ::poll(fds, 2, -1); }) < 0 || fds[1].revents != 0 || !poison_) return;
    siginfo_t si{};
    if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        si.si_code == CLD_EXITED && si.si_status == 0)
      return;
    poison_();
  }
  Fd pidfd_, stop_;
  std::function<void()> poison_;
  std::thread thread_;
};

struct Args {
  std::size_t size;
  int count, warmup;
  bool spin;
  int cpu_parent, cpu_child;
  std::string prefix;
};

enum class Side { parent, child };

// Forks the child, opens both ends (open(side, peer pid) returns the end, with data(), send(),
// recv()), lets the child echo every message and the parent time every round trip.
template <class Open>
RoundTrips drive(const Args& a, Open&& open, std::function<void()> poison) {
  auto [err_r, err_w] = make_pipe();  // the child's error text, for the parent's exception
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    // Nothing here may return or throw: unwinding would run the parent's destructors (kill,
    // remove) in the child.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    try {
      pin_self(a.cpu_child);
      auto end = open(Side::child, parent);
      for (int i = 0; i < a.warmup + a.count; ++i) {
        end.recv();
        end.send();
      }
      ::_exit(0);
    } catch (const std::exception& e) {
      std::string m = std::string(e.what()) + " (in the child)";
      if (::write(err_w.get(), m.data(), m.size()) < 0) {
      }
      ::_exit(1);
    } catch (...) {
      ::_exit(1);
    }
  }

  Child child(pid);
  err_w.reset();
  try {
    SigpipeBlock sigpipe;
    Pin pin(a.cpu_parent);
    auto end = open(Side::parent, pid);
    Watchdog dog(pid, std::move(poison));

    // The round index goes into the first bytes, so a stale or repeated echo fails the check.
    std::vector<std::byte> expect(std::max<std::size_t>(a.size, 1));
    for (std::size_t i = 0; i < expect.size(); ++i) expect[i] = static_cast<std::byte>(i * 131 + 7);
    RoundTrips rt;
    rt.ns.reserve(static_cast<std::size_t>(a.count));
    for (int i = 0; i < a.warmup + a.count; ++i) {
      std::memcpy(expect.data(), &i, std::min(sizeof i, a.size));
      std::memcpy(end.data(), expect.data(), a.size);
      const std::int64_t t0 = static_cast<std::int64_t>(monotonic_ns());
      end.send();
      end.recv();
      const std::int64_t t1 = static_cast<std::int64_t>(monotonic_ns());
      if (std::memcmp(end.data(), expect.data(), a.size) != 0)
        fail_msg("echo differs from what was sent, round trip " + std::to_string(i));
      if (i >= a.warmup) rt.ns.push_back(static_cast<double>(t1 - t0));
    }
    dog.stop();
    child.expect_clean_exit();
    return rt;
  } catch (const std::runtime_error& e) {
    // The parent usually sees only the consequence (EOF, a removed queue); the child's own
    // failed call, when it has one, is the cause worth reporting, and otherwise how it died.
    const std::string ended = child.ended_how();
    child.kill_and_reap();
    std::string why;
    char buf[512];
    for (ssize_t n; (n = no_eintr([&] { return ::read(err_r.get(), buf, sizeof buf); })) > 0;)
      why.append(buf, static_cast<std::size_t>(n));
    if (!why.empty()) throw std::runtime_error(why);
    if (!ended.empty()) throw std::runtime_error(std::string(e.what()) + " (" + ended + ")");
    throw;
  }
}

// ---------------------------------------------------------------------------------------------
// Byte streams and records over file descriptors: pipe, fifo and every socket

enum class Io { pipe, stream_socket, record_socket };

class FdEnd {
 public:
  FdEnd(int in, int out, std::size_t size, Io io)
      : in_(in), out_(out), size_(size), io_(io), buf_(std::max<std::size_t>(size, 1)) {}
  std::byte* data() { return buf_.data(); }

  void send() {
    if (io_ == Io::pipe) return write_all(out_, buf_.data(), size_);
    std::size_t done = 0;
    do {  // at least once: a zero-byte record is still a record
      ssize_t n = no_eintr([&] { return ::send(out_, buf_.data() + done, size_ - done, MSG_NOSIGNAL); });
      if (n < 0) fail("send");
      if (io_ == Io::record_socket && static_cast<std::size_t>(n) != size_)
        fail_msg("send: " + std::to_string(n) + " of a " + std::to_string(size_) + "-byte record");
      done += static_cast<std::size_t>(n);
    } while (done < size_);
  }

  void recv() {
    if (io_ == Io::record_socket) {
      ssize_t n = no_eintr([&] { return ::recv(in_, buf_.data(), size_, 0); });
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        fail_msg("recv: no datagram within the 2 s receive timeout (lost?)");
      if (n < 0) fail("recv");
      if (static_cast<std::size_t>(n) != size_)
        fail_msg("recv: a " + std::to_string(n) + "-byte record where " + std::to_string(size_) +
                 " were sent (0: the peer is gone)");
      return;
    }
    for (std::size_t done = 0; done < size_;) {
      ssize_t n = no_eintr([&] { return ::read(in_, buf_.data() + done, size_ - done); });
      if (n < 0) fail("read");
      if (n == 0)
        fail_msg("read: the peer closed its end after " + std::to_string(done) + " of " + std::to_string(size_) +
                 " bytes");
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  int in_, out_;
  std::size_t size_;
  Io io_;
  std::vector<std::byte> buf_;
};

RoundTrips pipe_pp(const Args& a) {
  auto [pc_r, pc_w] = make_pipe();  // parent -> child
  auto [cp_r, cp_w] = make_pipe();  // child -> parent
  // Each side closes the other's ends, so the survivor of a death reads EOF.
  return drive(a,
               [&](Side s, pid_t) {
                 if (s == Side::parent) {
                   pc_r.reset();
                   cp_w.reset();
                   return FdEnd(cp_r.get(), pc_w.get(), a.size, Io::pipe);
                 }
                 pc_w.reset();
                 cp_r.reset();
                 return FdEnd(pc_r.get(), cp_w.get(), a.size, Io::pipe);
               },
               {});
}

class FifoDir {
 public:
  explicit FifoDir(const std::string& prefix) {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string((t && *t) ? t : "/tmp") + "/" + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) fail("mkdtemp");
    dir_ = tmpl;
  }
  FifoDir(const FifoDir&) = delete;
  FifoDir& operator=(const FifoDir&) = delete;
  ~FifoDir() {
    for (const auto& f : fifos_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string make(const char* name) {
    std::string path = dir_ + "/" + name;
    check(::mkfifo(path.c_str(), 0600), "mkfifo");
    fifos_.push_back(path);
    return path;
  }

 private:
  std::string dir_;
  std::vector<std::string> fifos_;
};

void clear_nonblock(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  check(fl, "fcntl(F_GETFL)");
  check(::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK), "fcntl(F_SETFL)");
}

RoundTrips fifo_pp(const Args& a) {
  FifoDir dir(a.prefix);
  const std::string pc = dir.make("pc"), cp = dir.make("cp");
  Fd in, out;  // this process's ends, opened after the fork
  return drive(a,
               [&](Side s, pid_t peer) {
                 if (s == Side::child) {
                   // cp first: once the parent sees a reader on pc, the child already holds cp's write end,
                   // so the parent's first read cannot mistake "no writer yet" for EOF.
                   out = checked_fd(no_eintr([&] { return ::open(cp.c_str(), O_WRONLY | O_CLOEXEC); }), "open");
                   in = checked_fd(no_eintr([&] { return ::open(pc.c_str(), O_RDONLY | O_CLOEXEC); }), "open");
                   return FdEnd(in.get(), out.get(), a.size, Io::pipe);
                 }
                 // Non-blocking opens, so a child that died before opening is an error, not a hang.
                 in = checked_fd(::open(cp.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC), "open");
                 for (;;) {
                   int fd = ::open(pc.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
                   if (fd >= 0) {
                     out = Fd(fd);
                     break;
                   }
                   if (errno != ENXIO && errno != EINTR) fail("open");
                   if (!alive(peer)) fail_msg("open: the child exited before opening its FIFO");
                   timespec nap{0, 50'000};
                   ::nanosleep(&nap, nullptr);
                 }
                 clear_nonblock(in.get());
                 clear_nonblock(out.get());
                 return FdEnd(in.get(), out.get(), a.size, Io::pipe);
               },
               {});
}

std::pair<Fd, Fd> make_socketpair(int type) {
  int sv[2];
  check(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), "socketpair");
  return {Fd(sv[0]), Fd(sv[1])};
}

void set_int(int fd, int level, int opt, int v, const char* call) {
  check(::setsockopt(fd, level, opt, &v, sizeof v), call);
}

// A record must cross in one piece, and the kernel refuses (EMSGSIZE) one larger than the send
// buffer: a probe finds out before the fork, raising both buffers once if needed.
void fit_records(int a, int b, std::size_t size, const std::string& mechanism) {
  std::vector<std::byte> probe(std::max<std::size_t>(size, 1));
  const long want = static_cast<long>(std::min<std::size_t>(2 * size + 65536, INT_MAX));
  for (int attempt = 0;; ++attempt) {
    ssize_t n = no_eintr([&] { return ::send(a, probe.data(), size, MSG_DONTWAIT | MSG_NOSIGNAL); });
    if (n >= 0) {
      if (no_eintr([&] { return ::recv(b, probe.data(), size, MSG_DONTWAIT); }) < 0) fail("recv");
      return;
    }
    if (errno != EMSGSIZE) fail("send");
    if (attempt == 1) {
      int got = 0;
      socklen_t len = sizeof got;
      ::getsockopt(a, SOL_SOCKET, SO_SNDBUF, &got, &len);
      fail_msg(mechanism + ": a " + std::to_string(size) + "-byte record exceeds the socket's limit (SO_SNDBUF is " +
               std::to_string(got) + " after asking for " + std::to_string(want) +
               "; net.core.wmem_max = " + std::to_string(proc_long("/proc/sys/net/core/wmem_max")) + ")");
    }
    for (int fd : {a, b}) {
      set_int(fd, SOL_SOCKET, SO_SNDBUF, static_cast<int>(want), "setsockopt(SO_SNDBUF)");
      set_int(fd, SOL_SOCKET, SO_RCVBUF, static_cast<int>(want), "setsockopt(SO_RCVBUF)");
    }
  }
}

// One connected two-way socket per side: the parent keeps `p`, the child `c`.
RoundTrips socket_pp(const Args& a, Fd& p, Fd& c, Io io) {
  const int pfd = p.get();
  return drive(
      a,
      [&](Side s, pid_t) {
        if (s == Side::parent) {
          c.reset();
          return FdEnd(p.get(), p.get(), a.size, io);
        }
        p.reset();
        return FdEnd(c.get(), c.get(), a.size, io);
      },
      [pfd] { ::shutdown(pfd, SHUT_RDWR); });  // a blocked recv returns 0
}

RoundTrips unix_pp(const Args& a, int type, const std::string& mechanism) {
  auto [p, c] = make_socketpair(type);
  if (type != SOCK_STREAM) fit_records(p.get(), c.get(), a.size, mechanism);
  return socket_pp(a, p, c, type == SOCK_STREAM ? Io::stream_socket : Io::record_socket);
}

sockaddr_in loopback_any_port() {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

sockaddr_in bound_loopback(int fd) {
  sockaddr_in sa = loopback_any_port();
  check(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), "bind");
  socklen_t len = sizeof sa;
  check(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), "getsockname");
  return sa;
}

RoundTrips tcp_pp(const Args& a) {
  Fd lst = checked_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  sockaddr_in sa = bound_loopback(lst.get());
  check(::listen(lst.get(), 1), "listen");
  Fd p = checked_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  check(::connect(p.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), "connect");
  Fd c = checked_fd(no_eintr([&] { return ::accept4(lst.get(), nullptr, nullptr, SOCK_CLOEXEC); }), "accept4");
  lst.reset();
  // Without it, Nagle holds a small reply back waiting for an ACK, and the floor measures that.
  set_int(p.get(), IPPROTO_TCP, TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)");
  set_int(c.get(), IPPROTO_TCP, TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)");
  return socket_pp(a, p, c, Io::stream_socket);
}

RoundTrips udp_pp(const Args& a) {
  if (a.size > kUdpMaxPayload)
    fail_msg("udp: a " + std::to_string(a.size) + "-byte datagram exceeds the UDP payload limit of " +
             std::to_string(kUdpMaxPayload) + " bytes");
  Fd p = checked_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket");
  Fd c = checked_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket");
  sockaddr_in pa = bound_loopback(p.get()), ca = bound_loopback(c.get());
  check(::connect(p.get(), reinterpret_cast<sockaddr*>(&ca), sizeof ca), "connect");
  check(::connect(c.get(), reinterpret_cast<sockaddr*>(&pa), sizeof pa), "connect");
  // UDP may drop even on loopback: a lost datagram must throw, not wait forever.
  timeval two{2, 0};
  for (int fd : {p.get(), c.get()})
    check(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two, sizeof two), "setsockopt(SO_RCVTIMEO)");
  return socket_pp(a, p, c, Io::record_socket);
}

// ---------------------------------------------------------------------------------------------
// SysV message queues: one queue per direction

// A queue cannot be removed before use, so it gets a journaled name (objects.hpp) rather than
// IPC_PRIVATE: if this process is killed mid-run, `ipc-harness clean` finds and removes it.
class SysvQueue {
 public:
  SysvQueue() : id_(make(record_)) {}
  SysvQueue(const SysvQueue&) = delete;
  SysvQueue& operator=(const SysvQueue&) = delete;
  ~SysvQueue() { remove(); }
  int id() const { return id_; }
  // Called by the watchdog as well; removing twice could hit a new queue that reused the id.
  void remove() noexcept {
    if (removed_.exchange(true)) return;
    if (::msgctl(id_, IPC_RMID, nullptr) == 0 || errno == EIDRM || errno == EINVAL)
      objects::removed(record_.kind, record_.name);
  }

 private:
  static int make(objects::Record& out) {
    auto r = objects::create_sysv(objects::Kind::sysv_msg, [](key_t key) -> Result<int> {
      int id = ::msgget(key, IPC_CREAT | IPC_EXCL | 0600);
      if (id < 0) return errno_error(errno);
      return id;
    });
    if (!r) {
      errno = r.error().value();
      fail("msgget");
    }
    out = *r;
    return r->id;
  }

  objects::Record record_{objects::Kind::sysv_msg, "", -1, 0};
  const int id_;
  std::atomic<bool> removed_{false};
};

class SysvMsgEnd {
 public:
  SysvMsgEnd(int in, int out, std::size_t size)
      : in_(in), out_(out), size_(size), words_(1 + (size + sizeof(long) - 1) / sizeof(long)) {}
  std::byte* data() { return reinterpret_cast<std::byte*>(words_.data() + 1); }  // after mtype
  void send() {
    words_[0] = 1;
    if (no_eintr([&] { return ::msgsnd(out_, words_.data(), size_, 0); }) < 0) fail("msgsnd");
  }
  void recv() {
    ssize_t n = no_eintr([&] { return ::msgrcv(in_, words_.data(), size_, 0, 0); });
    if (n < 0) fail("msgrcv");
    if (static_cast<std::size_t>(n) != size_) fail_msg("msgrcv: a " + std::to_string(n) + "-byte message");
  }

 private:
  int in_, out_;
  std::size_t size_;
  std::vector<long> words_;  // struct msgbuf: a long mtype, then the text
};

RoundTrips sysv_msg_pp(const Args& a) {
  const long msgmax = proc_long("/proc/sys/kernel/msgmax"), msgmnb = proc_long("/proc/sys/kernel/msgmnb");
  if (msgmax >= 0 && a.size > static_cast<std::size_t>(msgmax))
    fail_msg("sysv-msg: a " + std::to_string(a.size) + "-byte message exceeds msgmax = " + std::to_string(msgmax) +
             " (/proc/sys/kernel/msgmax)");
  // A message larger than the queue's byte limit would make msgsnd wait forever.
  if (msgmnb >= 0 && a.size > static_cast<std::size_t>(msgmnb))
    fail_msg("sysv-msg: a " + std::to_string(a.size) + "-byte message exceeds msgmnb = " + std::to_string(msgmnb) +
             " (/proc/sys/kernel/msgmnb)");
  SysvQueue pc, cp;
  return drive(
      a,
      [&](Side s, pid_t) {
        return s == Side::parent ? SysvMsgEnd(cp.id(), pc.id(), a.size) : SysvMsgEnd(pc.id(), cp.id(), a.size);
      },
      [&] {  // msgrcv then fails with EIDRM
        pc.remove();
        cp.remove();
      });
}

// ---------------------------------------------------------------------------------------------
// POSIX message queues: one queue per direction

class Mq {
 public:
  Mq(const std::string& name, std::size_t size) {
    mq_attr attr{};
    attr.mq_maxmsg = 10;  // the unprivileged ceiling (fs.mqueue.msg_max); one message is ever in flight
    attr.mq_msgsize = static_cast<long>(std::max<std::size_t>(size, 1));
    d_ = ::mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
    if (d_ == static_cast<mqd_t>(-1)) fail("mq_open " + name);
    // Descriptors survive fork, so the name is not needed past this point; unlinking now means a
    // crash cannot leave it behind.
    if (::mq_unlink(name.c_str()) < 0) {
      int e = errno;
      ::mq_close(d_);
      errno = e;
      fail("mq_unlink " + name);
    }
  }
  Mq(const Mq&) = delete;
  Mq& operator=(const Mq&) = delete;
  ~Mq() { ::mq_close(d_); }
  mqd_t get() const { return d_; }

 private:
  mqd_t d_;
};

constexpr unsigned kGonePriority = 1;  // data travels at 0, so the watchdog's note jumps the queue

class MqEnd {
 public:
  MqEnd(mqd_t in, mqd_t out, std::size_t size)
      : in_(in), out_(out), size_(size), buf_(std::max<std::size_t>(size, 1)) {}
  std::byte* data() { return buf_.data(); }
  void send() {
    if (no_eintr([&] { return ::mq_send(out_, reinterpret_cast<const char*>(buf_.data()), size_, 0); }) < 0)
      fail("mq_send");
  }
  void recv() {
    unsigned prio = 0;
    ssize_t n = no_eintr([&] { return ::mq_receive(in_, reinterpret_cast<char*>(buf_.data()), buf_.size(), &prio); });
    if (n < 0) fail("mq_receive");
    if (prio == kGonePriority) fail_msg("mq_receive: the peer is gone");
    if (static_cast<std::size_t>(n) != size_) fail_msg("mq_receive: a " + std::to_string(n) + "-byte message");
  }

 private:
  mqd_t in_, out_;
  std::size_t size_;
  std::vector<std::byte> buf_;
};

RoundTrips posix_mq_pp(const Args& a) {
  const long limit = proc_long("/proc/sys/fs/mqueue/msgsize_max");
  if (limit >= 0 && a.size > static_cast<std::size_t>(limit))
    fail_msg("posix-mq: a " + std::to_string(a.size) + "-byte message exceeds msgsize_max = " + std::to_string(limit) +
             " (/proc/sys/fs/mqueue/msgsize_max)");
  Mq pc("/" + a.prefix + "-a", a.size), cp("/" + a.prefix + "-b", a.size);
  const mqd_t to_parent = cp.get();
  return drive(
      a,
      [&](Side s, pid_t) {
        return s == Side::parent ? MqEnd(cp.get(), pc.get(), a.size) : MqEnd(pc.get(), cp.get(), a.size);
      },
      [to_parent] {
        char none = 0;
        ::mq_send(to_parent, &none, 0, kGonePriority);
      });
}

// ---------------------------------------------------------------------------------------------
// Shared memory: two mailboxes (one per direction), each a state word and a buffer

using Word = std::atomic<std::uint32_t>;
static_assert(Word::is_always_lock_free && sizeof(Word) == sizeof(std::uint32_t), "a futex is a plain 32-bit word");

constexpr std::uint32_t kEmpty = 0, kFull = 1, kGone = 2;
constexpr std::size_t kLine = 64;  // the state word alone on its cache line, the buffer after it

std::size_t box_stride(std::size_t size) {
  return kLine + (std::max<std::size_t>(size, 1) + kLine - 1) / kLine * kLine;
}

// Not FUTEX_PRIVATE_FLAG: the waiter and the waker are different processes.
long futex(Word* w, int op, std::uint32_t val) {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(w), op, val, nullptr, nullptr, 0);
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class ShmEnd {
 public:
  ShmEnd(std::byte* in_box, std::byte* out_box, std::size_t size, bool spin)
      : in_(std::launder(reinterpret_cast<Word*>(in_box))),
        out_(std::launder(reinterpret_cast<Word*>(out_box))),
        in_buf_(in_box + kLine),
        out_buf_(out_box + kLine),
        size_(size),
        spin_(spin),
        buf_(std::max<std::size_t>(size, 1)) {}
  std::byte* data() { return buf_.data(); }

  void send() {
    std::memcpy(out_buf_, buf_.data(), size_);
    out_->store(kFull, std::memory_order_release);
    if (!spin_ && futex(out_, FUTEX_WAKE, 1) < 0) fail("futex(FUTEX_WAKE)");
  }

  void recv() {
    std::uint32_t s;
    for (unsigned spins = 0; (s = in_->load(std::memory_order_acquire)) == kEmpty;) {
      if (!spin_) {
        if (futex(in_, FUTEX_WAIT, kEmpty) < 0 && errno != EAGAIN && errno != EINTR) fail("futex(FUTEX_WAIT)");
      } else if (++spins % 4096 == 0) {
        ::sched_yield();  // when both processes share a CPU, spinning out a whole time slice is the only alternative
      } else {
        cpu_relax();
      }
    }
    if (s == kGone) fail_msg("shm: the peer is gone");
    std::memcpy(buf_.data(), in_buf_, size_);
    // A CAS, not a store: a "gone" the watchdog posted meanwhile must survive.
    std::uint32_t full = kFull;
    in_->compare_exchange_strong(full, kEmpty, std::memory_order_release, std::memory_order_relaxed);
  }

 private:
  Word* in_;
  Word* out_;
  std::byte* in_buf_;
  std::byte* out_buf_;
  std::size_t size_;
  bool spin_;
  std::vector<std::byte> buf_;
};

// Mailbox 0 carries parent -> child, mailbox 1 child -> parent.
RoundTrips shm_pp(const Args& a, std::byte* base) {
  const std::size_t stride = box_stride(a.size);
  std::byte* pc = base;
  std::byte* cp = base + stride;
  for (std::byte* box : {pc, cp}) new (box) Word(kEmpty);
  return drive(
      a,
      [&](Side s, pid_t) {
        return s == Side::parent ? ShmEnd(cp, pc, a.size, a.spin) : ShmEnd(pc, cp, a.size, a.spin);
      },
      [cp] {
        Word* w = std::launder(reinterpret_cast<Word*>(cp));
        w->store(kGone, std::memory_order_release);
        futex(w, FUTEX_WAKE, INT_MAX);
      });
}

class SysvShm {
 public:
  explicit SysvShm(std::size_t bytes) {
    id_ = ::shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
    if (id_ < 0) fail("shmget");
    void* p = ::shmat(id_, nullptr, 0);
    if (p == reinterpret_cast<void*>(-1)) {
      int e = errno;
      ::shmctl(id_, IPC_RMID, nullptr);
      errno = e;
      fail("shmat");
    }
    base_ = static_cast<std::byte*>(p);
    // The segment lives on while attached (the child inherits the attachment); marking it for
    // removal now means a crash cannot leave it behind.
    if (::shmctl(id_, IPC_RMID, nullptr) < 0) {
      int e = errno;
      ::shmdt(base_);
      errno = e;
      fail("shmctl(IPC_RMID)");
    }
  }
  SysvShm(const SysvShm&) = delete;
  SysvShm& operator=(const SysvShm&) = delete;
  ~SysvShm() { ::shmdt(base_); }
  std::byte* base() const { return base_; }

 private:
  int id_ = -1;
  std::byte* base_ = nullptr;
};

class PosixShm {
 public:
  PosixShm(const std::string& name, std::size_t bytes) : bytes_(bytes) {
    Fd fd =
        checked_fd(::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600), ("shm_open " + name).c_str());
    // The mapping survives fork, so the name is not needed past this point (see SysvShm).
    if (::shm_unlink(name.c_str()) < 0) fail("shm_unlink " + name);
    check(::ftruncate(fd.get(), static_cast<off_t>(bytes)), "ftruncate");
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED) fail("mmap");
    base_ = static_cast<std::byte*>(p);
  }
  PosixShm(const PosixShm&) = delete;
  PosixShm& operator=(const PosixShm&) = delete;
  ~PosixShm() { ::munmap(base_, bytes_); }
  std::byte* base() const { return base_; }

 private:
  std::size_t bytes_;
  std::byte* base_ = nullptr;
};

}  // namespace

std::optional<RoundTrips> bare_ping_pong(const std::string& mechanism, std::size_t size, int count, int warmup,
                                         bool spin, int cpu_parent, int cpu_child, const std::string& prefix) {
  if (std::find(kMechanisms.begin(), kMechanisms.end(), mechanism) == kMechanisms.end()) return std::nullopt;
  if (count < 0 || warmup < 0) throw std::invalid_argument("bare_ping_pong: count and warmup must be >= 0");
  const Args a{size, count, warmup, spin, cpu_parent, cpu_child, prefix};
  if (mechanism == "pipe") return pipe_pp(a);
  if (mechanism == "fifo") return fifo_pp(a);
  if (mechanism == "sysv-msg") return sysv_msg_pp(a);
  if (mechanism == "posix-mq") return posix_mq_pp(a);
  if (mechanism == "sysv-shm") {
    SysvShm shm(2 * box_stride(size));
    return shm_pp(a, shm.base());
  }
  if (mechanism == "posix-shm") {
    PosixShm shm("/" + prefix + "-shm", 2 * box_stride(size));
    return shm_pp(a, shm.base());
  }
  if (mechanism == "unix-stream") return unix_pp(a, SOCK_STREAM, mechanism);
  if (mechanism == "unix-dgram") return unix_pp(a, SOCK_DGRAM, mechanism);
  if (mechanism == "unix-seqpacket") return unix_pp(a, SOCK_SEQPACKET, mechanism);
  if (mechanism == "tcp") return tcp_pp(a);
  return udp_pp(a);
}

std::vector<std::string> bare_mechanisms() {
  return kMechanisms;
}

}  // namespace ipch::bench
