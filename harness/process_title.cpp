#include "process_title.hpp"

#include <sys/prctl.h>

#include <cstring>

namespace ipch::title {

namespace {
char* area = nullptr;
std::size_t area_size = 0;
std::string argv0;
}  // namespace

void init(int argc, char** argv) {
  if (argc < 1) return;
  argv0 = argv[0];
  area = argv[0];
  // argv strings are contiguous; the area ends after the last one.
  char* end = argv[argc - 1] + std::strlen(argv[argc - 1]);
  area_size = static_cast<std::size_t>(end - area);
}

void set(const std::string& t) {
  if (!area) return;
  std::size_t n = std::min(t.size(), area_size);
  std::memcpy(area, t.data(), n);
  std::memset(area + n, 0, area_size - n + 1);
  std::string comm = t.substr(t.find("worker") == std::string::npos ? 0 : t.find("worker"), 15);
  prctl(PR_SET_NAME, comm.c_str());
}

const std::string& program() { return argv0; }

}  // namespace ipch::title
