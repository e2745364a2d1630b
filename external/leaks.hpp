// The kernel objects a case's programs made and left behind.
//
// Where the harness may (CAP_SYS_ADMIN, as root), every case runs in an IPC namespace of its
// own, and with a /dev/shm of its own (a fresh tmpfs in a mount namespace): each SysV object,
// POSIX queue and POSIX shm object there was made by that case's programs, so it is listed
// exactly, whatever else runs on the machine, and it cannot outlive the case. Without the
// privilege, the machine's objects are compared before and after the case: another process's
// object made meanwhile could then be reported, so such objects are reported and never removed.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sys.hpp"

namespace ipch::external {

class ObjectWatch {
 public:
  // Enters a fresh IPC namespace iff allowed, and takes the "before" snapshot. `scratch`: an
  // empty folder of the case (a queue listing is mounted there and detached at once).
  // `endpoint`: the case's IPCH_ENDPOINT, whose objects are the harness's to remove, not leaks.
  static ObjectWatch begin(const std::string& scratch, const std::string& endpoint);
  // Leaves the case's private /dev/shm (if any). Idempotent; the destructor does it too.
  void end();
  ~ObjectWatch() { end(); }
  ObjectWatch(ObjectWatch&&) noexcept;
  ObjectWatch& operator=(ObjectWatch&&) = delete;
  ObjectWatch(const ObjectWatch&) = delete;

  // Objects present now and not at begin(), but those named `endpoint`, one line each:
  // "sysv-msg key 0x0000abcd id 3", "posix-mq /orders", "posix-shm /ring".
  std::vector<std::string> leaked() const;
  // Removes the endpoint's queue and shared memory (if any) and every leaked object. Returns
  // one line per object that could not be removed, with the reason.
  std::vector<std::string> remove_all() const;

  // True iff remove_all() removes `object` (a line of leaked()): only where it is certainly the
  // programs' (a namespace or /dev/shm of the case's own).
  bool removes(const std::string& object) const;
  bool isolated() const { return isolated_; }
  // How leaks were judged, for the run's notes.
  std::string note() const;

 private:
  std::set<std::string> snapshot() const;
  std::string endpoint_;
  ObjectWatch() = default;
  bool isolated_ = false;      // own IPC namespace
  bool private_shm_ = false;   // own /dev/shm, mounted until end()
  std::shared_ptr<sys::Fd> mqueue_;  // a detached mqueue listing of this IPC namespace, if any
  std::set<std::string> before_;
};

}  // namespace ipch::external
