#include "pipe_copy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "pipe_common.hpp"
#include "registry.hpp"
#include "sys.hpp"

namespace ipch::test {

namespace {

constexpr const char* kName = "pipe-copy";

class PipeCopyLink final : public Link {
 public:
  PipeCopyLink(sys::Fd r, sys::Fd w, Settings s) : r_(std::move(r)), w_(std::move(w)), s_(s) {
    name_ = pipe_common::object_name(r_.get());
  }

  Result<std::unique_ptr<Channel>> open(Role role, Deadline) override {
    const sys::Fd& end = role == Role::sender ? w_ : r_;
    if (!end.valid()) return errno_error(EBADF);
    // A fresh open file description per channel, so O_NONBLOCK on one end is that end's alone.
    auto fd = sys::open("/proc/self/fd/" + std::to_string(end.get()), role == Role::sender ? O_WRONLY : O_RDONLY);
    if (!fd) return std::unexpected(fd.error());
    return pipe_common::make_channel(kName, std::move(*fd), s_);
  }

  void release() override {
    r_.reset();
    w_.reset();
  }
  void remove() override { release(); }
  MessageLimit limit() const override { return pipe_common::limit(); }
  std::string object() const override { return name_; }

 private:
  sys::Fd r_, w_;
  Settings s_;
  std::string name_;
};

std::expected<std::unique_ptr<Link>, SetupError> create(const Settings& s) {
  if (auto e = unsupported_setting(kName, s, true, false)) return std::unexpected(*e);
  auto p = sys::pipe(0);
  if (!p) return std::unexpected(setup_error(kName, "pipe2()", p.error(), "check the open-file limit (ulimit -n)"));
  if (s.capacity) {
    if (auto r = pipe_common::set_capacity(kName, p->second.get(), *s.capacity); !r) return std::unexpected(r.error());
  }
  return std::make_unique<PipeCopyLink>(std::move(p->first), std::move(p->second), s);
}

}  // namespace

const Mechanism& pipe_copy_mechanism() {
  static const Mechanism m{kName, "a copy of pipe, registered by a test", pipe_common::contract(false),
                           pipe_common::settings(), create, pipe_common::traits()};
  return m;
}

// The registry line.
static const registry::Registrar kRegistered{&pipe_copy_mechanism()};

}  // namespace ipch::test
