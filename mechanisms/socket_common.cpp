#include "socket_common.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstring>
#include <optional>
#include <thread>

#include "fault_point.hpp"
#include "framing.hpp"
#include "naming.hpp"
#include "sys.hpp"

namespace ipch::socket_common {

namespace {

constexpr int kBacklog = 128;
// IPv4's 16-bit total length minus the 20-byte IP header and the 8-byte UDP header.
constexpr std::size_t kUdpMax = 65507;
// The kernel refuses a unix datagram or seqpacket record longer than sk_sndbuf - 32 (EMSGSIZE).
constexpr std::size_t kUnixRecordOverhead = 32;

std::string str(std::size_t n) {
  return std::to_string(n);
}
Deadline now() {
  return Deadline::after(std::chrono::nanoseconds(0));
}

Result<void> wait_for(int fd, short events, Deadline d) {
  pollfd p{fd, events, 0};
  auto r = sys::poll(std::span(&p, 1), d);
  if (!r) return std::unexpected(r.error());
  if (*r == 0) return errno_error(ETIMEDOUT);
  return {};
}

// poll() and send() judge "room" by slightly different rules; a retry after a refused send must
// not spin on a socket that poll() keeps calling writable.
void back_off() {
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

struct BufferOption {
  int name;
  const char* sockopt;
  const char* limit_file;
  const char* sysctl;
};
constexpr BufferOption kSendBuffer{SO_SNDBUF, "SO_SNDBUF", "/proc/sys/net/core/wmem_max", "net.core.wmem_max"};
constexpr BufferOption kReceiveBuffer{SO_RCVBUF, "SO_RCVBUF", "/proc/sys/net/core/rmem_max", "net.core.rmem_max"};

// The kernel clamps a buffer size at wmem_max / rmem_max without an error (and doubles what it
// grants), so reading it back is the only way to know the user got the capacity asked for.
std::expected<void, SetupError> set_buffer(const Kind& k, int fd, const BufferOption& o, std::size_t capacity) {
  int want = static_cast<int>(std::min<std::size_t>(capacity, INT_MAX));
  std::string what = std::string("setsockopt(") + o.sockopt + "=" + str(capacity) + ")";
  if (auto r = sys::setsockopt_int(fd, SOL_SOCKET, o.name, want); !r) {
    return std::unexpected(setup_error(k.name, what, r.error(), "use a smaller capacity"));
  }
  auto got = sys::getsockopt_int(fd, SOL_SOCKET, o.name);
  if (!got) return std::unexpected(setup_error(k.name, "getsockopt(" + std::string(o.sockopt) + ")", got.error(), "?"));
  std::size_t granted = static_cast<std::size_t>(*got) / 2;
  if (granted >= capacity) return {};
  auto max = sys::read_long(o.limit_file);
  std::string limit = max ? std::to_string(*max) : "unknown";
  return std::unexpected(SetupError{
      std::make_error_code(std::errc::no_buffer_space),
      std::string(k.name) + ": capacity=" + str(capacity) + " asks for " + o.sockopt + "=" + str(capacity) +
          " but the kernel granted " + str(granted) + ": it clamps silently at " + o.limit_file + " = " + limit +
          "; raise it (sysctl -w " + o.sysctl + "=" + str(capacity) + ") or use a capacity of at most " + limit});
}

// Both the EMSGSIZE rule (sk_sndbuf - 32) and the ENOBUFS one (the largest skb the kernel will
// allocate, about 4 MiB, whatever SO_SNDBUF says) are kernel internals, so the limit is measured:
// the candidate goes through a socketpair of the same type and, if refused, the largest size
// that passes is searched for.
std::expected<MessageLimit, SetupError> unix_record_limit(const Kind& k, const Settings& s) {
  auto p = sys::socketpair(AF_UNIX, k.type);
  if (!p) return std::unexpected(setup_error(k.name, "socketpair()", p.error(), "check ulimit -n"));
  int tx = p->first.get(), rx = p->second.get();
  if (s.capacity) {
    if (auto r = set_buffer(k, tx, kSendBuffer, *s.capacity); !r) return std::unexpected(r.error());
  }
  auto sndbuf = sys::getsockopt_int(tx, SOL_SOCKET, SO_SNDBUF);
  if (!sndbuf) return std::unexpected(setup_error(k.name, "getsockopt(SO_SNDBUF)", sndbuf.error(), "?"));
  auto b = static_cast<std::size_t>(*sndbuf);
  std::size_t best = b > kUnixRecordOverhead ? b - kUnixRecordOverhead : 0;
  std::vector<std::byte> data(best);
  auto passes = [&](std::size_t n) {
    if (!sys::send(tx, std::span(data).first(n), MSG_DONTWAIT)) return false;
    (void)sys::recv(rx, data, MSG_DONTWAIT | MSG_TRUNC);
    return true;
  };
  std::string origin =
      s.capacity ? "capacity=" + str(*s.capacity) + ", doubled by the kernel" : "net.core.wmem_default";
  std::string source = "SO_SNDBUF=" + str(b) + " (" + origin + ") minus 32 B";
  if (!passes(best)) {
    std::size_t lo = 0, hi = best;  // passes(lo), not passes(hi)
    while (hi - lo > 1) {
      std::size_t mid = lo + (hi - lo) / 2;
      (passes(mid) ? lo : hi) = mid;
    }
    best = lo;
    source = "largest record the kernel allocates with SO_SNDBUF=" + str(b) + " (" + origin + "); above it ENOBUFS";
  }
  return MessageLimit{best, source};
}

// One message per send()/recv(): a datagram, or a record on a connected seqpacket socket.
class MessageChannel final : public Channel {
 public:
  MessageChannel(const Kind& k, sys::Fd fd, bool blocking, MessageLimit limit)
      : fd_(std::move(fd)),
        blocking_(blocking),
        limit_(std::move(limit)),
        points_(k.name),
        drop_(k.type == SOCK_DGRAM ? fault_point::name(k.name, "drop") : "") {}

  // No size check here: an over-limit message goes to the kernel, whose errno is the answer.
  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned) override {
    if (!fd_.valid()) return errno_error(EBADF);
    if (fault_point::fires(points_.send)) return errno_error(fault_point::error_number());
    // Lost on the way, as a full udp receive buffer loses a datagram: the sender is not told.
    if (!drop_.empty() && fault_point::fires(drop_)) return {};
    if (!blocking_ || d.is_never()) return send_once(msg, blocking_ ? 0 : MSG_DONTWAIT);
    // Try first: poll() calls a unix socket writable only while at most a quarter of SO_SNDBUF
    // is queued, while send() takes a record until it is all used.
    for (bool polled = false;; polled = true) {
      auto r = send_once(msg, MSG_DONTWAIT);
      if (r || r.error() != std::errc::resource_unavailable_try_again) return r;
      if (d.expired()) return errno_error(ETIMEDOUT);
      if (polled) back_off();
      if (auto w = wait_for(fd_.get(), POLLOUT, d); !w) return w;
    }
  }

  // The fd may be shared with other receivers (one open file description), so its O_NONBLOCK is
  // never touched: non-blocking receives use MSG_DONTWAIT.
  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override {
    if (!fd_.valid()) return errno_error(EBADF);
    if (fault_point::fires(points_.receive)) return errno_error(fault_point::error_number());
    scratch_.resize(limit_.bytes);
    for (;;) {
      int flags = MSG_TRUNC;
      if (!blocking_) {
        flags |= MSG_DONTWAIT;
      } else if (!d.is_never()) {
        if (auto w = wait_for(fd_.get(), POLLIN, d); !w) return std::unexpected(w.error());
        flags |= MSG_DONTWAIT;
      }
      auto n = sys::recv(fd_.get(), scratch_, flags);
      if (!n) {
        // Another receiver of the shared socket took the datagram poll() announced.
        if (n.error() == std::errc::resource_unavailable_try_again && blocking_) continue;
        return std::unexpected(n.error());
      }
      if (*n > scratch_.size()) return errno_error(EMSGSIZE);  // consumed: the kernel drops the tail
      buf.assign(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(*n));
      return Received{*n, 0};
    }
  }

  void close() override { fd_.reset(); }
  MessageLimit limit() const override { return limit_; }

 private:
  Result<void> send_once(std::span<const std::byte> msg, int flags) {
    auto n = sys::send(fd_.get(), msg, flags);
    if (!n) return std::unexpected(n.error());
    return {};  // a datagram or record goes whole or not at all
  }

  sys::Fd fd_;
  bool blocking_;
  MessageLimit limit_;
  fault_point::ChannelPoints points_;
  std::string drop_;                // the drop point, on datagram sockets only
  std::vector<std::byte> scratch_;  // sized to the limit once, so receiving does not zero it each time
};

// A connected stream socket moving framed messages.
class StreamSender final : public Channel {
 public:
  StreamSender(const Kind& k, sys::Fd fd, bool blocking, MessageLimit limit)
      : fd_(std::move(fd)), blocking_(blocking), limit_(std::move(limit)), points_(k.name) {}

  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned) override {
    if (!fd_.valid()) return errno_error(EBADF);
    if (fault_point::fires(points_.send)) return errno_error(fault_point::error_number());
    if (msg.size() > limit_.bytes) return errno_error(EMSGSIZE);
    // Under a finite deadline write_all waits for POLLOUT even on a non-blocking fd, and a full
    // buffer must be EAGAIN at once. So EAGAIN comes when poll() stops calling the socket
    // writable (on unix sockets: a quarter of SO_SNDBUF queued), not when send() would refuse.
    // A frame that has begun is finished, up to the deadline.
    if (!blocking_ && !d.is_never()) {
      if (auto w = wait_for(fd_.get(), POLLOUT, now()); !w) {
        return w.error() == std::errc::timed_out ? errno_error(EAGAIN) : w;
      }
    }
    std::size_t chunk = SIZE_MAX;
    if (!d.is_never()) {
      // After POLLOUT a unix stream socket has at most a quarter of SO_SNDBUF in use, so a write
      // of another quarter cannot block: no single send() outlives the deadline. TCP's rule is close.
      auto b = sys::getsockopt_int(fd_.get(), SOL_SOCKET, SO_SNDBUF);
      if (!b) return std::unexpected(b.error());
      chunk = std::max(static_cast<std::size_t>(*b) / 4, std::size_t{1});
    }
    return framing::send(framing::StreamIo{fd_.get(), true, chunk}, msg, d);
  }
  Result<Received> receive(std::vector<std::byte>&, Deadline) override { return errno_error(EBADF); }
  void close() override { fd_.reset(); }
  MessageLimit limit() const override { return limit_; }

 private:
  sys::Fd fd_;
  bool blocking_;
  MessageLimit limit_;
  fault_point::ChannelPoints points_;
};

// A receiver on a listening socket: accepts connections as they come and takes one whole
// message at a time from whichever connection is ready, in turn, so no sender starves another.
class AcceptingReceiver final : public Channel {
 public:
  AcceptingReceiver(const Kind& k, sys::Fd listener, bool blocking, MessageLimit limit)
      : listener_(std::move(listener)), type_(k.type), blocking_(blocking), limit_(std::move(limit)), points_(k.name) {}

  Result<void> send(std::span<const std::byte>, Deadline, unsigned) override { return errno_error(EBADF); }
  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override;
  void close() override {
    listener_.reset();
    conns_.clear();
  }
  MessageLimit limit() const override { return limit_; }

 private:
  Result<void> accept_pending();
  Result<std::size_t> read_one(int fd, std::vector<std::byte>& buf, Deadline d);

  sys::Fd listener_;
  std::vector<sys::Fd> conns_;
  int type_;
  bool blocking_;
  MessageLimit limit_;
  fault_point::ChannelPoints points_;
  bool accepted_any_ = false;
  std::size_t next_ = 0;  // where the next turn starts
  std::vector<pollfd> pfds_;
  std::vector<std::byte> scratch_;
};

Result<Received> AcceptingReceiver::receive(std::vector<std::byte>& buf, Deadline d) {
  if (!listener_.valid()) return errno_error(EBADF);
  if (fault_point::fires(points_.receive)) return errno_error(fault_point::error_number());
  for (;;) {
    // Once every accepted connection has closed, only a pending one can bring more: look, do not wait.
    bool drained = accepted_any_ && conns_.empty();
    pfds_.assign(1, pollfd{listener_.get(), POLLIN, 0});
    for (const auto& c : conns_) pfds_.push_back(pollfd{c.get(), POLLIN, 0});
    auto r = sys::poll(pfds_, drained || !blocking_ ? now() : d);
    if (!r) return std::unexpected(r.error());
    if (*r == 0) {
      if (drained) return std::unexpected(make_error_code(channel_errc::end_of_stream));
      return errno_error(blocking_ ? ETIMEDOUT : EAGAIN);
    }
    std::optional<Result<Received>> out;
    const std::size_t n = conns_.size();
    for (std::size_t k = 0; k < n && !out; ++k) {
      std::size_t i = (next_ + k) % n;
      if (pfds_[i + 1].revents == 0) continue;
      auto m = read_one(conns_[i].get(), buf, d);
      if (m) {
        next_ = i + 1;
        out = Received{*m, 0};
      } else if (m.error() != std::errc::resource_unavailable_try_again) {
        conns_[i].reset();  // EOF, or a stream that broke mid-frame: this connection is over
        if (m.error() != make_error_code(channel_errc::end_of_stream)) out = std::unexpected(m.error());
      }
    }
    std::erase_if(conns_, [](const sys::Fd& f) { return !f.valid(); });
    if (pfds_[0].revents != 0) {
      if (auto a = accept_pending(); !a && !out) return std::unexpected(a.error());
    }
    if (out) return *out;
  }
}

Result<void> AcceptingReceiver::accept_pending() {
  for (;;) {
    auto c = sys::accept(listener_.get(), SOCK_NONBLOCK);
    if (!c) {
      if (c.error() == std::errc::connection_aborted) continue;
      if (c.error() == std::errc::resource_unavailable_try_again) return {};  // none left, or another receiver took it
      return std::unexpected(c.error());
    }
    if (type_ == SOCK_SEQPACKET) {
      // recv() returns 0 both for an empty record and at EOF. With SO_PASSCRED every record
      // comes with credentials and EOF with none, which tells them apart.
      if (auto r = sys::setsockopt_int(c->get(), SOL_SOCKET, SO_PASSCRED, 1); !r) return r;
    }
    conns_.push_back(std::move(*c));
    accepted_any_ = true;
  }
}

Result<std::size_t> AcceptingReceiver::read_one(int fd, std::vector<std::byte>& buf, Deadline d) {
  if (type_ == SOCK_STREAM) return framing::receive(framing::StreamIo{fd, true, SIZE_MAX}, buf, d, true);
  scratch_.resize(limit_.bytes);
  iovec iov{scratch_.data(), scratch_.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  auto n = sys::recvmsg(fd, &m, MSG_DONTWAIT | MSG_TRUNC);
  if (!n) return n;
  if (*n == 0 && m.msg_controllen == 0) return std::unexpected(make_error_code(channel_errc::end_of_stream));
  if (*n > scratch_.size()) return errno_error(EMSGSIZE);  // consumed: the kernel drops the tail
  buf.assign(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(*n));
  return *n;
}

class SocketLink final : public Link {
 public:
  SocketLink(const Kind& k, const Settings& s, std::string folder) : k_(k), s_(s), folder_(std::move(folder)) {}
  ~SocketLink() override { remove(); }

  std::expected<void, SetupError> setup();

  Result<std::unique_ptr<Channel>> open(Role role, Deadline d) override {
    return role == Role::sender ? open_sender(d) : open_receiver();
  }
  // The receivers hold their own copies; this one only keeps the socket alive.
  void release() override { sock_.reset(); }
  void remove() override {
    if (::getpid() != creator_ || removed_) return;
    removed_ = true;
    release();
    if (folder_.empty()) return;
    (void)sys::unlink(object_);
    naming::remove_folder(folder_);
  }
  std::string object() const override { return object_; }
  MessageLimit limit() const override { return limit_; }

 private:
  std::expected<void, SetupError> make_address();
  Result<std::unique_ptr<Channel>> open_sender(Deadline d);
  Result<std::unique_ptr<Channel>> open_receiver();
  Result<void> connect(int fd, Deadline d);

  Kind k_;
  Settings s_;
  std::string folder_;  // AF_UNIX only
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  std::string object_;
  sys::Fd sock_;  // the listener, or the bound receiving socket
  MessageLimit limit_;
  pid_t creator_ = ::getpid();
  bool removed_ = false;
};

std::expected<void, SetupError> SocketLink::make_address() {
  if (k_.domain == AF_UNIX) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    object_ = folder_ + "/sock";
    if (object_.size() >= sizeof un.sun_path) {
      return std::unexpected(SetupError{std::make_error_code(std::errc::filename_too_long),
                                        std::string(k_.name) + ": socket path " + object_ + " is longer than the " +
                                            str(sizeof un.sun_path - 1) +
                                            " bytes sockaddr_un holds; set TMPDIR to a shorter folder"});
    }
    std::memcpy(un.sun_path, object_.c_str(), object_.size() + 1);
    std::memcpy(&addr_, &un, sizeof un);
    addr_len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + object_.size() + 1);
  } else {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::memcpy(&addr_, &in, sizeof in);
    addr_len_ = sizeof in;
  }
  return {};
}

std::expected<void, SetupError> SocketLink::setup() {
  if (auto r = make_address(); !r) return r;
  auto fail = [&](const std::string& what, std::error_code ec, const std::string& fix) {
    return std::unexpected(setup_error(k_.name, what, ec, fix));
  };
  auto fd = sys::socket(k_.domain, k_.type);
  if (!fd) return fail("socket()", fd.error(), "check the open-file limit (ulimit -n)");
  // Unix sockets charge queued data to the sender only, so SO_RCVBUF would be a setting that does nothing.
  if (s_.capacity && k_.domain == AF_INET) {
    if (auto r = set_buffer(k_, fd->get(), kReceiveBuffer, *s_.capacity); !r) return r;
  }
  if (auto r = sys::bind(fd->get(), reinterpret_cast<const sockaddr*>(&addr_), addr_len_); !r) {
    std::string fix = k_.domain == AF_UNIX ? "check $TMPDIR is writable" : "check that loopback (lo) is up";
    return fail("bind(" + (k_.domain == AF_UNIX ? object_ : "127.0.0.1:0") + ")", r.error(), fix);
  }
  if (k_.domain == AF_INET) {
    addr_len_ = sizeof addr_;
    if (auto r = sys::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&addr_), &addr_len_); !r) {
      return fail("getsockname()", r.error(), "?");
    }
    auto port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr_)->sin_port);
    object_ = std::string(k_.type == SOCK_STREAM ? "tcp" : "udp") + " 127.0.0.1:" + std::to_string(port);
  }
  if (k_.type != SOCK_DGRAM) {
    if (auto r = sys::listen(fd->get(), kBacklog); !r) return fail("listen()", r.error(), "?");
    // Every receiver shares this open file description and accepts only after poll() said
    // ready; non-blocking, a connection another receiver took first is EAGAIN, not a hang.
    if (auto r = sys::set_nonblocking(fd->get(), true); !r) return fail("fcntl(O_NONBLOCK)", r.error(), "?");
  }
  sock_ = std::move(*fd);

  if (k_.domain == AF_UNIX && k_.type != SOCK_STREAM) {
    auto l = unix_record_limit(k_, s_);  // also refuses a clamped SO_SNDBUF
    if (!l) return std::unexpected(l.error());
    limit_ = std::move(*l);
    return {};
  }
  limit_ = k_.type == SOCK_STREAM ? MessageLimit{framing::kMaxBody, "ipc-harness framing limit (64 MiB)"}
                                  : MessageLimit{kUdpMax, "IPv4 UDP payload limit 65507"};
  if (s_.capacity) {  // refuse a clamped SO_SNDBUF now rather than at every sender's open()
    auto probe = sys::socket(k_.domain, k_.type);
    if (!probe) return fail("socket()", probe.error(), "check the open-file limit (ulimit -n)");
    if (auto r = set_buffer(k_, probe->get(), kSendBuffer, *s_.capacity); !r) return r;
  }
  return {};
}

// Under Deadline::never() the raw blocking connect(): a unix listener with a full backlog keeps
// the sender in connect(), visibly. Under a finite deadline a non-blocking connect, then waiting.
Result<void> SocketLink::connect(int fd, Deadline d) {
  const auto* addr = reinterpret_cast<const sockaddr*>(&addr_);
  if (d.is_never()) return sys::connect(fd, addr, addr_len_);
  if (auto r = sys::set_nonblocking(fd, true); !r) return r;
  for (;;) {
    auto r = sys::connect(fd, addr, addr_len_);
    if (r) return {};
    if (r.error() == std::errc::operation_in_progress) {  // TCP: the handshake goes on
      if (auto w = wait_for(fd, POLLOUT, d); !w) return w;
      auto e = sys::getsockopt_int(fd, SOL_SOCKET, SO_ERROR);
      if (!e) return std::unexpected(e.error());
      if (*e != 0) return errno_error(*e);
      return {};
    }
    if (r.error() != std::errc::resource_unavailable_try_again) return r;  // EAGAIN: a unix backlog is full
    if (d.expired()) return errno_error(ETIMEDOUT);
    back_off();
  }
}

Result<std::unique_ptr<Channel>> SocketLink::open_sender(Deadline d) {
  auto fd = sys::socket(k_.domain, k_.type);
  if (!fd) return std::unexpected(fd.error());
  if (s_.capacity) {
    if (auto r = set_buffer(k_, fd->get(), kSendBuffer, *s_.capacity); !r) return std::unexpected(r.error().code);
  }
  if (auto r = connect(fd->get(), d); !r) return std::unexpected(r.error());
  if (auto r = sys::set_nonblocking(fd->get(), !s_.blocking); !r) return std::unexpected(r.error());
  if (k_.type == SOCK_STREAM) return std::make_unique<StreamSender>(k_, std::move(*fd), s_.blocking, limit_);
  return std::make_unique<MessageChannel>(k_, std::move(*fd), s_.blocking, limit_);
}

Result<std::unique_ptr<Channel>> SocketLink::open_receiver() {
  if (!sock_.valid()) return errno_error(EBADF);
  // A copy of the Link's socket, not a new one: every receiver serves the one bound address.
  auto dup = sys::fcntl(sock_.get(), F_DUPFD_CLOEXEC, 0);
  if (!dup) return std::unexpected(dup.error());
  sys::Fd fd(*dup);
  if (k_.type == SOCK_DGRAM) return std::make_unique<MessageChannel>(k_, std::move(fd), s_.blocking, limit_);
  return std::make_unique<AcceptingReceiver>(k_, std::move(fd), s_.blocking, limit_);
}

}  // namespace

std::expected<std::unique_ptr<Link>, SetupError> create(const Kind& k, const Settings& s) {
  if (auto e = unsupported_setting(k.name, s, true, false)) return std::unexpected(*e);
  std::string folder;
  if (k.domain == AF_UNIX) {
    auto f = naming::make_folder();
    if (!f) return std::unexpected(setup_error(k.name, "mkdir of the run folder", f.error(), "check $TMPDIR"));
    folder = std::move(*f);
  }
  auto link = std::make_unique<SocketLink>(k, s, std::move(folder));
  if (auto r = link->setup(); !r) return std::unexpected(r.error());
  return link;
}

std::vector<SettingInfo> settings(const Kind& k) {
  std::string capacity, blocking;
  if (k.domain == AF_UNIX) {
    capacity =
        "SO_SNDBUF of each sender in bytes (the kernel doubles it; default net.core.wmem_default, at most "
        "net.core.wmem_max). Queued unix-socket data is charged to its sender, so this is the whole buffer; "
        "SO_RCVBUF does nothing on unix sockets and is not set";
    if (k.type != SOCK_STREAM) capacity += "; the largest message is SO_SNDBUF - 32 B";
    if (k.type == SOCK_DGRAM) {
      capacity +=
          "; the receive queue also holds at most /proc/sys/net/unix/max_dgram_qlen datagrams, whatever their size";
    }
  } else {
    capacity =
        "SO_SNDBUF of each sender and SO_RCVBUF of the receiving socket in bytes (the kernel doubles them; at most "
        "net.core.wmem_max / net.core.rmem_max)";
    if (k.type == SOCK_DGRAM) capacity += "; a datagram that finds the receive buffer full is dropped";
  }
  if (k.type != SOCK_DGRAM) {
    blocking =
        "false sets O_NONBLOCK on each sender's socket (a full buffer gives EAGAIN, nothing sent) and makes receive "
        "give EAGAIN when no connection has a message";
  } else {
    blocking = "false: send and receive use MSG_DONTWAIT: a full queue gives EAGAIN, an empty one EAGAIN";
    if (k.domain == AF_INET)
      blocking += " (loopback UDP never makes a sender wait: a full receiver drops the datagram)";
  }
  return {{"capacity", capacity}, {"blocking", blocking}};
}

Traits traits(const Kind& k) {
  Traits t;
  t.capacity_unit = CapacityUnit::bytes;
  t.capacities = {4096, 16384};  // SO_SNDBUF (and SO_RCVBUF): the kernel doubles it and keeps a floor
  t.points = {.calls = true, .drop = k.type == SOCK_DGRAM, .short_io = k.type == SOCK_STREAM};
  t.full_buffer_capacity = [](std::size_t) -> std::size_t { return 4096; };
  if (k.domain == AF_UNIX && k.type != SOCK_STREAM) {
    // A record must fit the send buffer whole; the kernel doubles SO_SNDBUF and caps it at wmem_max.
    t.bench_capacity = [] {
      auto wmem_max = sys::read_long("/proc/sys/net/core/wmem_max");
      return wmem_max && *wmem_max >= (2l << 20) ? std::optional<std::size_t>{2u << 20} : std::nullopt;
    };
  } else {
    t.bench_capacity = [] { return std::optional<std::size_t>{}; };
  }
  return t;
}

Contract connected_contract(bool boundaries, std::string persistence) {
  Contract c;
  c.delivery = Delivery::reliable;
  c.ordering = Ordering::fifo;
  c.boundaries = boundaries;
  c.atomic_write_limit = 0;  // streams: each sender owns its connection; seqpacket: every record is whole
  c.direction = Direction::two_way;
  c.outlives_creator = false;
  c.persistence = std::move(persistence);
  c.many_senders = true;
  c.many_receivers = true;
  c.end_of_stream = EndOfStream::after_close_or_death;
  c.sharing_note = std::string("each sender has its own connection") +
                   (boundaries ? "" : "; a shared connection would interleave writes") +
                   ". Each receiver accepts its own connections: all of one sender's messages go to whichever "
                   "receiver accepted it";
  return c;
}

}  // namespace ipch::socket_common
