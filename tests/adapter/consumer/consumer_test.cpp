// A user of ipc-harness, as one meets it after `cmake --install`: a mechanism of the user's own
// (length-prefixed frames over a pipe, written here with raw system calls, nothing of ours),
// checked by one IPCH_MECHANISM_SUITE line; and the same mechanism with a bug (every 7th message
// is reported sent and never written), whose suite must fail naming `lost`.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <ipch/gtest.hpp>

namespace mine {

using ipch::Deadline;
using ipch::Result;

std::unexpected<std::error_code> os_error(int e = errno) {
  return std::unexpected(std::error_code(e, std::generic_category()));
}

// Waits until `fd` is ready for `events`, or the deadline passes (ETIMEDOUT). Never: no wait, the
// call itself blocks, as the harness wants a stuck process to show the real write() or read().
Result<void> wait_ready(int fd, short events, Deadline d) {
  if (d.is_never()) return {};
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, d.poll_ms());
    if (n > 0) return {};
    if (n == 0) return os_error(ETIMEDOUT);
    if (errno != EINTR) return os_error();
  }
}

// One frame: a 4-byte little-endian length, then the message.
constexpr std::size_t kHeader = 4;
constexpr std::size_t kMaxMessage = 64 * 1024;

class PipeChannel final : public ipch::Channel {
 public:
  PipeChannel(int fd, bool drops_every_7th) : fd_(fd), drops_(drops_every_7th) {}
  ~PipeChannel() override { close(); }

  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned) override {
    if (msg.size() > kMaxMessage) return os_error(EMSGSIZE);
    if (drops_ && ++sends_ % 7 == 0) return {};  // the bug: "sent", never written
    frame_.resize(kHeader + msg.size());
    for (std::size_t i = 0; i < kHeader; ++i) frame_[i] = std::byte((msg.size() >> (8 * i)) & 0xff);
    if (!msg.empty()) std::memcpy(frame_.data() + kHeader, msg.data(), msg.size());
    // One write() for a frame up to PIPE_BUF (atomic among writers); the rest of a longer one, a
    // short count or an EINTR, finished here.
    std::size_t done = 0;
    while (done < frame_.size()) {
      if (auto w = wait_ready(fd_, POLLOUT, d); !w) return w;
      ssize_t n = ::write(fd_, frame_.data() + done, frame_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return os_error();
      done += static_cast<std::size_t>(n);
    }
    return {};
  }

  Result<ipch::Received> receive(std::vector<std::byte>& buf, Deadline d) override {
    std::byte header[kHeader];
    auto got = read_exact(header, kHeader, d);
    if (!got) return std::unexpected(got.error());
    if (*got == 0) return std::unexpected(ipch::make_error_code(ipch::channel_errc::end_of_stream));
    if (*got < kHeader) return os_error(EPROTO);  // the writer died inside a frame
    std::size_t size = 0;
    for (std::size_t i = 0; i < kHeader; ++i) size |= std::size_t(std::to_integer<unsigned>(header[i])) << (8 * i);
    if (size > kMaxMessage) return os_error(EPROTO);
    buf.resize(size);
    got = read_exact(buf.data(), size, d);
    if (!got) return std::unexpected(got.error());
    if (*got < size) return os_error(EPROTO);
    return ipch::Received{size, 0};
  }

  void close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  ipch::MessageLimit limit() const override { return {kMaxMessage, "my-pipe frames (kMaxMessage)"}; }

 private:
  // Reads `n` bytes unless end of file comes first; returns how many arrived.
  Result<std::size_t> read_exact(std::byte* p, std::size_t n, Deadline d) {
    std::size_t done = 0;
    while (done < n) {
      if (auto w = wait_ready(fd_, POLLIN, d); !w) return std::unexpected(w.error());
      ssize_t r = ::read(fd_, p + done, n - done);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return os_error();
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
    }
    return done;
  }

  int fd_;
  bool drops_;
  std::uint64_t sends_ = 0;
  std::vector<std::byte> frame_;
};

class PipeLink final : public ipch::Link {
 public:
  PipeLink(int r, int w, bool drops) : r_(r), w_(w), drops_(drops) {
    struct stat st {};
    if (::fstat(r_, &st) == 0) name_ = "pipe:[" + std::to_string(st.st_ino) + "]";
  }
  ~PipeLink() override { release(); }

  Result<std::unique_ptr<ipch::Channel>> open(ipch::Role role, Deadline) override {
    int end = role == ipch::Role::sender ? w_ : r_;
    if (end < 0) return os_error(EBADF);
    int fd = ::fcntl(end, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return os_error();
    return std::make_unique<PipeChannel>(fd, drops_);
  }
  // Without this, the inherited ends keep the pipe open: no EOF for the reader, no EPIPE.
  void release() override {
    if (r_ >= 0) ::close(r_);
    if (w_ >= 0) ::close(w_);
    r_ = w_ = -1;
  }
  void remove() override { release(); }  // no name: the pipe goes with its last end
  std::string object() const override { return name_; }
  ipch::MessageLimit limit() const override { return {kMaxMessage, "my-pipe frames (kMaxMessage)"}; }

 private:
  int r_, w_;
  bool drops_;
  std::string name_;
};

ipch::Mechanism pipe_mechanism(std::string name, bool drops_every_7th) {
  ipch::Contract c;
  c.delivery = ipch::Delivery::reliable;
  c.ordering = ipch::Ordering::fifo;
  c.boundaries = false;  // a byte stream: the frames keep the messages apart
  c.atomic_write_limit = PIPE_BUF;
  c.end_of_stream = ipch::EndOfStream::after_close_or_death;
  c.persistence = "gone when the last process holding an end closes it";
  c.many_senders = true;
  c.many_receivers = false;
  c.sharing_note = "writers may share while a frame is at most PIPE_BUF; a second reader would split frames";
  auto create = [name, drops_every_7th](const ipch::Settings& s) -> std::expected<std::unique_ptr<ipch::Link>, ipch::SetupError> {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
      return std::unexpected(ipch::SetupError{std::error_code(errno, std::generic_category()),
                                              name + ": pipe2() failed; check the open-file limit (ulimit -n)"});
    }
    auto link = std::make_unique<PipeLink>(p[0], p[1], drops_every_7th);
    if (s.capacity && ::fcntl(p[1], F_SETPIPE_SZ, static_cast<int>(*s.capacity)) < 0) {
      return std::unexpected(ipch::SetupError{std::error_code(errno, std::generic_category()),
                                              name + ": F_SETPIPE_SZ(" + std::to_string(*s.capacity) +
                                                  ") failed; use a capacity up to /proc/sys/fs/pipe-max-size"});
    }
    return link;
  };
  return ipch::Mechanism{
      .name = name,
      .summary = "length-prefixed frames over pipe2()",
      .contract = c,
      .settings = {{"capacity", "pipe buffer in bytes, F_SETPIPE_SZ (default 65536)"}},
      .create = create,
  };
}

}  // namespace mine

IPCH_MECHANISM_SUITE(GoodPipe, mine::pipe_mechanism("my-pipe", false));

// A fixed seed: the bug is found in the same case on every run.
IPCH_MECHANISM_SUITE_WITH(BrokenPipe, mine::pipe_mechanism("my-pipe-drops-7th", true),
                          ipch::adapter::Options{.cases = 10, .seed = 7});
