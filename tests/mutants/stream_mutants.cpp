// Three broken senders/receivers on one connected unix stream socketpair (see mutants.hpp).
// A socketpair, not the real unix-stream listener: the bug needs the raw fd, which the real
// channels keep private. One sender and one receiver, as on one connection.
#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "framing.hpp"
#include "mutants_internal.hpp"
#include "registry.hpp"
#include "sys.hpp"

namespace ipch::mutants {

namespace {

enum class Bug { unframed, short_write, resend };

// What a short write() moves here: the mutant plays the kernel's part, so the bug fires on every
// message above it, on every run, instead of when a socket buffer happens to fill.
constexpr std::size_t kPiece = 1024;

class BrokenStream final : public Channel {
 public:
  BrokenStream(Bug bug, sys::Fd fd) : bug_(bug), fd_(std::move(fd)) {}

  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned) override {
    if (bug_ == Bug::unframed) return sys::write_all(fd_.get(), msg, d, nullptr, SIZE_MAX, true);
    frame_.resize(framing::kHeader + msg.size());
    for (std::size_t i = 0; i < framing::kHeader; ++i) frame_[i] = std::byte((msg.size() >> (8 * i)) & 0xff);
    if (!msg.empty()) std::memcpy(frame_.data() + framing::kHeader, msg.data(), msg.size());
    auto first = std::span<const std::byte>(frame_).first(std::min(kPiece, frame_.size()));
    auto n = sys::send(fd_.get(), first, MSG_NOSIGNAL);
    if (!n) return std::unexpected(n.error());
    if (bug_ == Bug::short_write || *n == frame_.size()) return {};        // the bug: the short count is ignored
    return sys::write_all(fd_.get(), frame_, d, nullptr, SIZE_MAX, true);  // the bug: the whole frame again
  }

  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override {
    if (bug_ != Bug::unframed) {
      auto n = reader_.receive(framing::StreamIo{fd_.get(), true, SIZE_MAX, false}, buf, d, false);
      if (!n) return std::unexpected(n.error());
      return Received{*n, 0};
    }
    buf.resize(64 * 1024);  // the bug: whatever one read brings is "a message"
    auto n = sys::recv(fd_.get(), buf, 0);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return std::unexpected(make_error_code(channel_errc::end_of_stream));
    buf.resize(*n);
    return Received{*n, 0};
  }

  void close() override { fd_.reset(); }
  MessageLimit limit() const override { return {framing::kMaxBody, "mutant"}; }

 private:
  Bug bug_;
  sys::Fd fd_;
  framing::Reader reader_;
  std::vector<std::byte> frame_;
};

class PairLink final : public Link {
 public:
  PairLink(Bug bug, sys::Fd tx, sys::Fd rx) : bug_(bug), tx_(std::move(tx)), rx_(std::move(rx)) {}
  Result<std::unique_ptr<Channel>> open(Role role, Deadline) override {
    const sys::Fd& end = role == Role::sender ? tx_ : rx_;
    if (!end.valid()) return errno_error(EBADF);
    auto dup = sys::fcntl(end.get(), F_DUPFD_CLOEXEC, 0);
    if (!dup) return std::unexpected(dup.error());
    return std::make_unique<BrokenStream>(bug_, sys::Fd(*dup));
  }
  void release() override {
    tx_.reset();
    rx_.reset();
  }
  void remove() override { release(); }  // no name: it goes with its last fd
  std::string object() const override { return "unix stream socketpair (mutant)"; }
  MessageLimit limit() const override { return {framing::kMaxBody, "mutant"}; }

 private:
  Bug bug_;
  sys::Fd tx_, rx_;
};

Mechanism make(const char* name, const char* summary, Bug bug) {
  const Mechanism& real = *registry::find("unix-stream");
  Contract c = real.contract;
  c.many_senders = c.many_receivers = false;  // one connection
  return {name, summary, c, {}, [bug, name](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
            auto p = sys::socketpair(AF_UNIX, SOCK_STREAM);
            if (!p) return std::unexpected(setup_error(name, "socketpair()", p.error(), "check ulimit -n"));
            return std::make_unique<PairLink>(bug, std::move(p->first), std::move(p->second));
          },
          real.traits};
}

}  // namespace

std::vector<const Mechanism*> stream_mutants() {
  static const Mechanism unframed =
      make("mutant-unframed-unix-stream", "mutant: unix stream without framing", Bug::unframed);
  static const Mechanism short_write =
      make("mutant-short-write-unix-stream", "mutant: a send ignores a short write", Bug::short_write);
  static const Mechanism resend =
      make("mutant-resend-unix-stream", "mutant: after a short write the whole frame is sent again", Bug::resend);
  return {&unframed, &short_write, &resend};
}

}  // namespace ipch::mutants
