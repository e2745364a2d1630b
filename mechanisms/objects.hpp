// The kernel objects this process created and has not removed yet.
//
// In memory for every kind (tests assert it is empty afterwards), and, but for folders, in a
// journal file $TMPDIR/ipch-<pid>.journal, so that `ipc-harness clean` can find them after this
// process was SIGKILLed: SysV ids carry no name, and /dev/mqueue is not mounted everywhere.
// Folders need no journal: their names start with ipch-<pid>-.
#pragma once

#include <sys/types.h>

#include "result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ipch::objects {

enum class Kind { sysv_msg, sysv_shm, sysv_sem, posix_mq, posix_shm, folder };
std::string_view to_string(Kind k);
std::optional<Kind> kind_of(std::string_view s);

struct Record {
  Kind kind;
  std::string name;  // ipch-<pid>-<n> (posix: with the leading '/'; folder: its path)
  int id = -1;       // SysV id
  key_t key = 0;     // SysV key (derived from name, so clean can tell a reused id from ours)
};

// The SysV key for an object named `name`: never IPC_PRIVATE, so `ipcs` and clean can tell
// ours (listed in a journal with this key) from an unrelated object that reused the id.
key_t sysv_key(const std::string& name);

void created(Record r);
// Makes a SysV object under the key of a fresh name, tries another name while the key is taken
// (EEXIST), and records it. `get(key)` is the msgget/shmget/semget call with IPC_CREAT|IPC_EXCL.
Result<Record> create_sysv(Kind kind, const std::function<Result<int>(key_t)>& get);
void removed(Kind kind, const std::string& name);
std::vector<Record> live();
// Every object this process made, removed or not: tests ask the kernel whether each is gone.
std::vector<Record> made();
// Which of `records` the kernel still has, asked of the kernel rather than of our bookkeeping
// (/dev/mqueue may not even be mounted): one line each, "<kind> <name>" ("posix-mq /ipch-12-3").
std::vector<std::string> still_present(const std::vector<Record>& records);

// What clean() did: one line per object removed or found gone.
struct CleanReport {
  std::vector<std::string> removed;
  std::vector<std::string> failed;
};
// Removes every object and folder left by ipch processes that are no longer alive: SysV objects
// named in their journals (only while the id still carries the journaled key), /dev/shm and
// /dev/mqueue entries and $TMPDIR folders named ipch-<pid>-*. Live processes are left alone.
CleanReport clean_dead();

}  // namespace ipch::objects
