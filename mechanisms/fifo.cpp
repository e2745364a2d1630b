#include "fifo.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "naming.hpp"
#include "pipe_common.hpp"
#include "sys.hpp"

namespace ipch {

namespace {

class FifoLink final : public Link {
 public:
  FifoLink(std::string folder, Settings s) : folder_(std::move(folder)), path_(folder_ + "/fifo"), s_(s) {}
  ~FifoLink() override { remove(); }

  // As the kernel does it: under Deadline::never() the open blocks until the other side opens
  // (the classic two-FIFO open-order deadlock shows up as a process stuck in openat()). Under a
  // finite deadline the open is non-blocking and a writer retries ENXIO until a reader comes.
  Result<std::unique_ptr<Channel>> open(Role role, Deadline d) override {
    int mode = role == Role::sender ? O_WRONLY : O_RDONLY;
    Result<sys::Fd> fd = errno_error(ETIMEDOUT);
    if (d.is_never()) {
      fd = sys::open(path_, mode);
    } else {
      for (;;) {
        fd = sys::open(path_, mode | O_NONBLOCK);
        if (fd || fd.error() != std::errc::no_such_device_or_address) break;
        if (d.expired()) return errno_error(ETIMEDOUT);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    if (!fd) return std::unexpected(fd.error());
    if (s_.capacity) {
      if (auto r = pipe_common::set_capacity("fifo", fd->get(), *s_.capacity); !r) return std::unexpected(r.error().code);
    }
    return pipe_common::make_channel("fifo", std::move(*fd), s_);
  }

  void remove() override {
    if (::getpid() != creator_ || removed_) return;
    removed_ = true;
    (void)sys::unlink(path_);
    naming::remove_folder(folder_);
  }
  MessageLimit limit() const override { return pipe_common::limit(); }
  std::string object() const override { return path_; }

 private:
  std::string folder_, path_;
  Settings s_;
  pid_t creator_ = ::getpid();
  bool removed_ = false;
};

std::expected<std::unique_ptr<Link>, SetupError> create(const Settings& s) {
  if (auto e = unsupported_setting("fifo", s, true, false)) return std::unexpected(*e);
  auto folder = naming::make_folder();
  if (!folder) return std::unexpected(setup_error("fifo", "mkdir of the run folder", folder.error(), "check $TMPDIR"));
  auto link = std::make_unique<FifoLink>(*folder, s);
  if (auto r = sys::mkfifo(link->object()); !r) {
    return std::unexpected(setup_error("fifo", "mkfifo(" + link->object() + ")", r.error(), "check $TMPDIR is writable"));
  }
  if (s.capacity) {
    // Try the size once now (O_RDWR on a FIFO never blocks on Linux), so that a refused
    // capacity is an error at create(), not at the first open.
    auto probe = sys::open(link->object(), O_RDWR | O_NONBLOCK);
    if (!probe) return std::unexpected(setup_error("fifo", "open of the FIFO", probe.error(), "check $TMPDIR"));
    if (auto r = pipe_common::set_capacity("fifo", probe->get(), *s.capacity); !r) return std::unexpected(r.error());
  }
  return link;
}

}  // namespace

const Mechanism& fifo_mechanism() {
  static const Mechanism m{"fifo", "named pipe (mkfifo) opened by path", pipe_common::contract(true),
                           pipe_common::settings(), create, pipe_common::traits()};
  return m;
}

}  // namespace ipch
