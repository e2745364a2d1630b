#include "leaks.hpp"

#include <dirent.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "naming.hpp"
#include "objects.hpp"

namespace ipch::external {

namespace {

using objects::Kind;
const std::string_view kinds[] = {objects::to_string(Kind::sysv_msg), objects::to_string(Kind::sysv_shm),
                                  objects::to_string(Kind::sysv_sem)};
constexpr const char* tables[] = {"/proc/sysvipc/msg", "/proc/sysvipc/shm", "/proc/sysvipc/sem"};

void add_sysv(std::set<std::string>& out) {
  for (std::size_t k = 0; k < 3; ++k) {
    std::ifstream f(tables[k]);
    std::string line;
    std::getline(f, line);  // the header
    while (std::getline(f, line)) {
      std::istringstream in(line);
      long long key = 0;
      long id = 0;
      if (!(in >> key >> id)) continue;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s key 0x%08llx id %ld", std::string(kinds[k]).c_str(),
                    static_cast<unsigned long long>(static_cast<std::uint32_t>(key)), id);
      out.insert(buf);
    }
  }
}

void add_dir(std::set<std::string>& out, const std::string& kind, DIR* d) {
  if (!d) return;
  rewinddir(d);
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    out.insert(kind + " /" + n);
  }
}

// Another ipc-harness process's object (ipch-<pid>-... with a live pid that is not ours):
// never this case's leak.
bool another_harness_owns(const std::string& name) {
  auto slash = name.find(" /ipch-");
  if (slash == std::string::npos) return false;
  long pid = std::atol(name.c_str() + slash + 7);
  return pid > 0 && pid != ::getpid() && sys::kill(static_cast<pid_t>(pid), 0).has_value();
}

}  // namespace

ObjectWatch::ObjectWatch(ObjectWatch&& o) noexcept
    : endpoint_(std::move(o.endpoint_)),
      isolated_(o.isolated_),
      private_shm_(std::exchange(o.private_shm_, false)),
      mqueue_(std::move(o.mqueue_)),
      before_(std::move(o.before_)) {}

void ObjectWatch::end() {
  if (private_shm_) (void)sys::unmount_detached("/dev/shm");
  private_shm_ = false;
}

ObjectWatch ObjectWatch::begin(const std::string& scratch, const std::string& endpoint) {
  ObjectWatch w;
  w.endpoint_ = endpoint;
  w.isolated_ = static_cast<bool>(sys::unshare_ipc());
  // A case folder under /dev/shm (TMPDIR=/dev/shm) would vanish under a private /dev/shm.
  w.private_shm_ = w.isolated_ && scratch.rfind("/dev/shm", 0) != 0 && sys::unshare_private_dev_shm();
  if (w.isolated_) {
    if (auto fd = sys::open_detached_mqueue(scratch)) w.mqueue_ = std::make_shared<sys::Fd>(std::move(*fd));
  } else if (auto fd = sys::open("/dev/mqueue", O_RDONLY | O_DIRECTORY)) {
    w.mqueue_ = std::make_shared<sys::Fd>(std::move(*fd));
  }
  w.before_ = w.snapshot();
  return w;
}

std::set<std::string> ObjectWatch::snapshot() const {
  std::set<std::string> s;
  add_sysv(s);
  if (DIR* d = opendir("/dev/shm")) {
    add_dir(s, std::string(objects::to_string(Kind::posix_shm)), d);
    closedir(d);
  }
  if (mqueue_ && mqueue_->valid()) {
    // fdopendir takes the descriptor over: list a duplicate so ours stays open.
    auto dup = sys::fcntl(mqueue_->get(), F_DUPFD_CLOEXEC, 0);
    if (dup) {
      if (DIR* d = fdopendir(*dup)) {
        add_dir(s, std::string(objects::to_string(Kind::posix_mq)), d);
        closedir(d);
      } else {
        (void)sys::close(*dup);
      }
    }
  }
  return s;
}

std::vector<std::string> ObjectWatch::leaked() const {
  std::vector<std::string> out;
  for (const auto& n : snapshot()) {
    if (before_.count(n)) continue;
    if (n == "posix-mq " + endpoint_ || n == "posix-shm " + endpoint_) continue;
    if (!private_shm_ && another_harness_owns(n)) continue;
    // /dev/shm also holds POSIX semaphores (sem.NAME): shared memory of theirs all the same.
    out.push_back(n);
  }
  return out;
}

std::vector<std::string> ObjectWatch::remove_all() const {
  std::vector<std::string> failed;
  (void)sys::mq_unlink(endpoint_);
  (void)sys::shm_unlink(endpoint_);
  for (const auto& n : leaked()) {
    Result<void> r;
    if (n.rfind("posix-mq /", 0) == 0) {
      if (isolated_) r = sys::mq_unlink(n.substr(9));
    } else if (n.rfind("posix-shm /", 0) == 0) {
      // In a /dev/shm shared with the machine the name may be someone else's: reported, kept.
      if (private_shm_) r = sys::shm_unlink(n.substr(10));
    } else if (!isolated_) {
      continue;  // a SysV id on the machine's table may be someone else's: reported, kept
    } else {
      auto at = n.find(" id ");
      int id = std::atoi(n.c_str() + at + 4);
      if (n.starts_with(objects::to_string(Kind::sysv_msg))) r = sys::msgctl(id, IPC_RMID, nullptr);
      else if (n.starts_with(objects::to_string(Kind::sysv_shm))) r = sys::shmctl(id, IPC_RMID, nullptr);
      else if (auto sem = sys::semctl(id, 0, IPC_RMID); !sem) r = std::unexpected(sem.error());
    }
    if (!r && r.error() != std::errc::no_such_file_or_directory && r.error() != std::errc::invalid_argument)
      failed.push_back(n + ": " + r.error().message());
  }
  return failed;
}

bool ObjectWatch::removes(const std::string& object) const {
  if (object.rfind("posix-shm ", 0) == 0) return private_shm_;
  return isolated_;
}

std::string ObjectWatch::note() const {
  if (isolated_ && private_shm_)
    return "each case ran in its own IPC namespace and with its own /dev/shm: objects left by the programs are "
           "listed exactly and removed";
  if (isolated_)
    return "each case ran in its own IPC namespace: SysV objects and POSIX queues left by the programs are listed "
           "exactly and removed; /dev/shm could not be made private, so it is compared by name and what is new "
           "is reported but not removed (it may be another process's)";
  return std::string("not allowed to make an IPC namespace (needs CAP_SYS_ADMIN): leaks are judged by comparing "
                     "the machine's objects before and after each case, and reported but not removed (they may be "
                     "another process's)") +
         (mqueue_ ? "" : "; POSIX queues are not listed, because /dev/mqueue is not mounted");
}

}  // namespace ipch::external
