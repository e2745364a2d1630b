#include "leaks.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "objects.hpp"

namespace ipch::test {

namespace {
void scan_dir(const std::string& dir, const std::string& prefix, std::vector<std::string>& out) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path().string());
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
  std::vector<objects::Record> made = objects::made();
  std::erase_if(made, [](const objects::Record& r) { return r.kind == objects::Kind::folder; });  // scanned above
  for (auto& s : objects::still_present(made)) out.push_back(std::move(s));
  for (const auto& r : objects::live()) out.push_back("still recorded live: " + std::string(objects::to_string(r.kind)) + " " + r.name);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ipch::test
