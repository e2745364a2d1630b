#include "naming.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "objects.hpp"
#include "sys.hpp"

namespace ipch::naming {

std::string next_name() {
  static std::atomic<unsigned> counter{0};
  return std::string(kPrefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

Result<std::string> make_folder() {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp && *tmp) ? tmp : "/tmp";
  std::string path = base + "/" + next_name();
  if (auto r = sys::mkdir(path, 0700); !r) return std::unexpected(r.error());
  objects::created({objects::Kind::folder, path});
  return path;
}

void remove_folder(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  objects::removed(objects::Kind::folder, path);
}

}  // namespace ipch::naming
