#include "pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "pipe_common.hpp"
#include "sys.hpp"

namespace ipch {

namespace {

class PipeLink final : public Link {
 public:
  PipeLink(sys::Fd r, sys::Fd w, Settings s) : r_(std::move(r)), w_(std::move(w)), s_(s) {
    name_ = pipe_common::object_name(r_.get());
  }

  Result<std::unique_ptr<Channel>> open(Role role, Deadline) override {
    const sys::Fd& end = role == Role::sender ? w_ : r_;
    if (!end.valid()) return errno_error(EBADF);
    // A fresh open file description per channel, so O_NONBLOCK on one end is that end's alone.
    auto fd = sys::open("/proc/self/fd/" + std::to_string(end.get()),
                        role == Role::sender ? O_WRONLY : O_RDONLY);
    if (!fd) return std::unexpected(fd.error());
    return pipe_common::make_channel("pipe", std::move(*fd), s_);
  }

  void release() override {
    r_.reset();
    w_.reset();
  }
  void remove() override { release(); }  // a pipe has no name: it goes with its last end
  MessageLimit limit() const override { return pipe_common::limit(); }
  std::string object() const override { return name_; }

 private:
  sys::Fd r_, w_;
  Settings s_;
  std::string name_;
};

std::expected<std::unique_ptr<Link>, SetupError> create(const Settings& s) {
  if (auto e = unsupported_setting("pipe", s, true, false)) return std::unexpected(*e);
  auto p = sys::pipe(0);
  if (!p) return std::unexpected(setup_error("pipe", "pipe2()", p.error(), "check the open-file limit (ulimit -n)"));
  if (s.capacity) {
    if (auto r = pipe_common::set_capacity("pipe", p->second.get(), *s.capacity); !r) return std::unexpected(r.error());
  }
  return std::make_unique<PipeLink>(std::move(p->first), std::move(p->second), s);
}

}  // namespace

const Mechanism& pipe_mechanism() {
  static const Mechanism m{"pipe", "anonymous pipe(2) between related processes", pipe_common::contract(false),
                           pipe_common::settings(), create, pipe_common::traits()};
  return m;
}

}  // namespace ipch
