// The kernel objects a case's programs made and left behind.
//
// Where the harness may (CAP_SYS_ADMIN, as root), every case runs in an IPC namespace of its
// own: each SysV object and POSIX queue in it was made by that case's programs, so it is listed
// exactly, whatever else runs on the machine, and removed for certain. POSIX shared memory lives
// in /dev/shm, outside IPC namespaces, and is judged by a before/after diff of names. Without
// the privilege, SysV objects and (when /dev/mqueue is mounted) queues are diffed too, and the
// note says that another process's objects made during the case could be counted.
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

  // Objects present now and not at begin(), but those named `endpoint`, one line each:
  // "sysv-msg key 0x0000abcd id 3", "posix-mq /orders", "posix-shm /ring".
  std::vector<std::string> leaked() const;
  // Removes the endpoint's queue and shared memory (if any) and every leaked object. Returns
  // one line per object that could not be removed, with the reason.
  std::vector<std::string> remove_all() const;

  bool isolated() const { return isolated_; }
  // How leaks were judged, for the run's notes.
  std::string note() const;

 private:
  std::set<std::string> snapshot() const;
  std::string endpoint_;
  bool isolated_ = false;
  std::shared_ptr<sys::Fd> mqueue_;  // a detached mqueue listing of this IPC namespace, if any
  std::set<std::string> before_;
};

}  // namespace ipch::external
