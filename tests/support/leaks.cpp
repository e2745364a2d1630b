#include "leaks.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "objects.hpp"
#include "sys.hpp"

namespace ipch::test {

namespace {
void scan_dir(const std::string& dir, const std::string& prefix, std::vector<std::string>& out) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path().string());
  }
}
bool sysv_key_exists(objects::Kind k, key_t key) {
  const char* file = k == objects::Kind::sysv_msg   ? "/proc/sysvipc/msg"
                     : k == objects::Kind::sysv_shm ? "/proc/sysvipc/shm"
                                                    : "/proc/sysvipc/sem";
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    long long v = 0;
    if (ls >> v && static_cast<key_t>(v) == key) return true;
  }
  return false;
}
// Asks the kernel, not our bookkeeping: /dev/mqueue may not even be mounted.
bool exists(const objects::Record& r) {
  switch (r.kind) {
    case objects::Kind::posix_mq: {
      auto q = sys::mq_open(r.name, O_RDONLY | O_NONBLOCK);
      if (q) (void)sys::mq_close(*q);
      return q || q.error() != std::errc::no_such_file_or_directory;
    }
    case objects::Kind::posix_shm:
      return sys::shm_open(r.name, O_RDONLY).has_value();
    case objects::Kind::folder:
      return std::filesystem::exists(r.name);
    default:
      return sysv_key_exists(r.kind, r.key);
  }
}
}  // namespace

std::vector<std::string> leftovers() {
  std::vector<std::string> out;
  std::string prefix = "ipch-" + std::to_string(::getpid()) + "-";
  const char* t = std::getenv("TMPDIR");
  scan_dir((t && *t) ? t : "/tmp", prefix, out);
  scan_dir("/dev/shm", prefix, out);
  scan_dir("/dev/mqueue", prefix, out);
  for (const auto& r : objects::made()) {
    if (r.kind != objects::Kind::folder && exists(r)) out.push_back(std::string(objects::to_string(r.kind)) + " " + r.name);
  }
  for (const auto& r : objects::live()) out.push_back("still recorded live: " + std::string(objects::to_string(r.kind)) + " " + r.name);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ipch::test
