// The one interface every mechanism sits behind.
//
//   Mechanism --create(settings)--> Link (owns the kernel objects)
//   Link --open(role)--> Channel (one open end inside one process)
//
// A Link is made in one process and opened in others after fork(); the kernel objects are
// removed by the Link's destructor in the creating process only, so forked children can
// never remove what their parent made.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "contract.hpp"
#include "deadline.hpp"
#include "result.hpp"
#include "traits.hpp"

namespace ipch {

// Per-mechanism settings. Each mechanism says which it honours and what they mean there
// (Mechanism::settings); the rest are refused at create() rather than silently ignored.
struct Settings {
  std::optional<std::size_t> capacity;      // kernel buffer, queue depth or ring size
  std::optional<std::size_t> message_size;  // largest message, where the object has one (mq_msgsize)
  bool blocking = true;                     // false: O_NONBLOCK / IPC_NOWAIT / MSG_DONTWAIT
};

// Why a mechanism could not be created: the errno and one line naming the setting, the
// limit and the fix.
struct SetupError {
  std::error_code code;
  std::string message;
};

// The largest message a channel can move, and where that number comes from.
struct MessageLimit {
  std::size_t bytes = 0;
  std::string source;  // e.g. "mq_msgsize=8192 (/proc/sys/fs/mqueue/msgsize_max)"
};

struct Received {
  std::size_t size = 0;
  unsigned priority = 0;  // mq priority, or SysV type - 1; 0 where the object has none
};

class Channel {
 public:
  virtual ~Channel() = default;

  // Sends one whole message. Returns {} iff the kernel object accepted all of it.
  // Errors: EAGAIN (non-blocking and full, nothing sent), ETIMEDOUT (the deadline passed),
  // EPIPE / ECONNRESET / ECONNREFUSED / EIDRM... as the kernel reports a missing peer,
  // EMSGSIZE or EINVAL for a message over limit() (limit() says which number).
  // `priority` is the mq priority or the SysV type - 1; ignored where the object has neither.
  virtual Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned priority = 0) = 0;

  // Receives one whole message into `buf` (resized to fit). Returns its size iff one arrived.
  // Errors: channel_errc::end_of_stream (every sender closed, nothing left), EAGAIN
  // (non-blocking and empty), ETIMEDOUT, and what the kernel says.
  virtual Result<Received> receive(std::vector<std::byte>& buf, Deadline d) = 0;

  // Closes this end. Idempotent; the destructor closes too.
  virtual void close() = 0;

  virtual MessageLimit limit() const = 0;
};

enum class Role { sender, receiver };
std::string_view to_string(Role r);

class Link {
 public:
  virtual ~Link() = default;

  // Opens this process's end. Blocks as the kernel does for the mechanism (a FIFO open waits
  // for the other side) until the deadline. Errors as the kernel reports them.
  virtual Result<std::unique_ptr<Channel>> open(Role role, Deadline d) = 0;

  // Drops this process's references to the object that are not an opened channel (the two
  // inherited pipe ends, a copy of a listening socket). Without it EOF and EPIPE never come.
  virtual void release() {}

  // Removes the kernel objects (unlink, IPC_RMID, the run folder). Idempotent. Does nothing
  // outside the creating process.
  virtual void remove() = 0;

  // What the kernel object is, as /proc or ipcs name it: "pipe:[1234]", "/dev/mqueue/ipch-1-2".
  virtual std::string object() const = 0;

  // The largest message a channel of this link can move, known without opening an end (an open
  // has effects: a FIFO open waits for its peer, a ring counts its ends).
  virtual MessageLimit limit() const = 0;
};

struct SettingInfo {
  std::string name;     // capacity, message_size, blocking
  std::string meaning;  // what it sets on this mechanism, and its default
};

struct Mechanism {
  std::string name;
  std::string summary;
  Contract contract;
  std::vector<SettingInfo> settings;
  std::function<std::expected<std::unique_ptr<Link>, SetupError>(const Settings&)> create;
  // What the harness can do with it (traits.hpp). Required: the registry refuses a mechanism whose
  // traits are incomplete rather than guess them.
  Traits traits = {};
};

}  // namespace ipch

namespace ipch {
// A SetupError iff `s` sets something the mechanism does not honour: a setting that would be
// silently ignored is a lie in a test report.
std::optional<SetupError> unsupported_setting(const std::string& mechanism, const Settings& s, bool capacity,
                                              bool message_size);
// A SetupError from a failed call during create(): "<mechanism>: <what> failed: <errno>; <fix>".
SetupError setup_error(const std::string& mechanism, const std::string& what, std::error_code ec,
                       const std::string& fix);
// One line for a send of `size` bytes that failed with `ec`; names the limit when the size is
// over it: "EMSGSIZE (Message too long): 8193 B is over the limit of 8192 B: msgmax=8192 (...)".
std::string explain_send_error(std::error_code ec, std::size_t size, const MessageLimit& limit);
}  // namespace ipch
