#include "leaks.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "objects.hpp"

namespace ipch::test {

namespace {
void scan_dir(const std::string& dir, const std::string& prefix, std::vector<std::string>& out) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path().string());
  }
}
void scan_sysv(const char* file, const char* kind, const std::vector<key_t>& keys, std::vector<std::string>& out) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    long long key = 0;
    if (ls >> key && std::find(keys.begin(), keys.end(), static_cast<key_t>(key)) != keys.end()) {
      std::ostringstream o;
      o << kind << " key 0x" << std::hex << static_cast<unsigned>(key);
      out.push_back(o.str());
    }
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
  auto keys = objects::sysv_keys_made();
  scan_sysv("/proc/sysvipc/msg", "sysv-msg", keys, out);
  scan_sysv("/proc/sysvipc/shm", "sysv-shm", keys, out);
  scan_sysv("/proc/sysvipc/sem", "sysv-sem", keys, out);
  for (const auto& r : objects::live()) out.push_back("still recorded live: " + std::string(objects::to_string(r.kind)) + " " + r.name);
  return out;
}

}  // namespace ipch::test
