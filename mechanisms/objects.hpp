// The kernel objects this process created and has not removed yet.
//
// In memory for every kind (tests assert it is empty afterwards). SysV objects, whose ids carry
// no name, are also appended to a journal file $TMPDIR/ipch-<pid>.journal, so that
// `ipc-harness clean` can find them after this process was SIGKILLed. POSIX objects and folders
// need no journal: their names start with ipch-<pid>-.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ipch::objects {

enum class Kind { sysv_msg, sysv_shm, sysv_sem, posix_mq, posix_shm, folder };
std::string_view to_string(Kind k);

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
void removed(Kind kind, const std::string& name);
std::vector<Record> live();
// Every SysV key this process has used, removed or not: tests look each up in /proc/sysvipc.
std::vector<key_t> sysv_keys_made();

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
