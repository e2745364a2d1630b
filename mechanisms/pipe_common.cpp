#include "pipe_common.hpp"

#include <fcntl.h>
#include <climits>
#include <limits.h>
#include <sys/stat.h>

#include "stream_channel.hpp"

namespace ipch::pipe_common {

namespace {
constexpr const char* kMaxSizeFile = "/proc/sys/fs/pipe-max-size";
}

std::expected<void, SetupError> set_capacity(const char* mechanism, int fd, std::size_t capacity) {
  // F_SETPIPE_SZ takes an int: a larger value would wrap to a small one and be "granted".
  auto r = capacity > INT_MAX ? errno_error(EINVAL) : sys::fcntl(fd, F_SETPIPE_SZ, static_cast<long>(capacity));
  if (r) return {};
  auto max = sys::read_long(kMaxSizeFile);
  std::string limit = max ? std::to_string(*max) : "unknown";
  return std::unexpected(SetupError{
      r.error(), std::string(mechanism) + ": capacity=" + std::to_string(capacity) +
                     " refused by F_SETPIPE_SZ: " + describe(r.error()) + "; the limit is " + kMaxSizeFile +
                     " = " + limit + " (and RLIMIT/user pipe quotas); use a capacity of at most " + limit});
}

Result<std::unique_ptr<Channel>> make_channel(const char* mechanism, sys::Fd fd, const Settings& s) {
  if (auto r = sys::set_nonblocking(fd.get(), !s.blocking); !r) return std::unexpected(r.error());
  // Under a finite deadline, writes go PIPE_BUF at a time: a pipe with any free slot takes
  // PIPE_BUF bytes without blocking, so no single write() outlives the deadline.
  return std::make_unique<StreamChannel>(mechanism, std::move(fd), s.blocking, false, PIPE_BUF, limit());
}

MessageLimit limit() { return {framing::kMaxBody, "ipc-harness framing limit (64 MiB)"}; }

std::string object_name(int fd) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return "pipe:[?]";
  return "pipe:[" + std::to_string(st.st_ino) + "]";
}

Traits traits() {
  Traits t;
  t.capacity_unit = CapacityUnit::bytes;
  t.capacities = {4096, 8192, 16384};  // one page is F_SETPIPE_SZ's least
  t.points = {.calls = true, .short_io = true};
  t.inherited_ends = true;
  t.full_buffer_capacity = [](std::size_t) -> std::size_t { return 4096; };
  t.bench_capacity = [] { return std::optional<std::size_t>{}; };
  return t;
}

Contract contract(bool named) {
  Contract c;
  c.delivery = Delivery::reliable;
  c.ordering = Ordering::fifo;
  c.boundaries = false;
  c.atomic_write_limit = PIPE_BUF;
  c.direction = Direction::one_way;
  c.outlives_creator = named;
  c.persistence = named ? "the FIFO file stays until unlinked; its data goes when the last end closes"
                        : "gone when the last process holding an end closes it";
  c.many_senders = true;
  c.many_receivers = false;
  c.end_of_stream = EndOfStream::after_close_or_death;
  c.sharing_note =
      "writers may share only while each frame (message + 4 B header) is at most PIPE_BUF = " +
      std::to_string(PIPE_BUF) + " B; a second reader would split frames";
  return c;
}

std::vector<SettingInfo> settings() {
  return {
      {"capacity", "pipe buffer in bytes, set with F_SETPIPE_SZ (default 65536; at most /proc/sys/fs/pipe-max-size)"},
      {"blocking", "false sets O_NONBLOCK on each end: a full pipe gives EAGAIN, an empty one EAGAIN"},
  };
}

}  // namespace ipch::pipe_common
