#include "program.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>

namespace ipch::external {

std::string program_who(const std::string& command, const std::string& name, pid_t pid) {
  return "'" + command + "' (" + name + ", pid " + std::to_string(pid) + ")";
}

std::string stderr_tail(const std::string& path, std::size_t bytes) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return "";
  auto size = static_cast<std::size_t>(f.tellg());
  std::size_t from = size > bytes ? size - bytes : 0;
  f.seekg(static_cast<std::streamoff>(from));
  std::string s(size - from, '\0');
  f.read(s.data(), static_cast<std::streamsize>(s.size()));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';  // one line in a verdict
  return (from ? "..." : "") + s;
}

std::string describe_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st) ? "exited with status " + std::to_string(WEXITSTATUS(st)) : "exited 0";
  if (WIFSIGNALED(st)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(st));
    std::string s = "was killed by SIG" + std::string(abbrev ? abbrev : std::to_string(WTERMSIG(st)).c_str());
    if (WCOREDUMP(st)) s += " (core dumped)";
    return s;
  }
  return "ended with wait status " + std::to_string(st);
}

bool ended_cleanly_after_sigterm(int st) {
  return (WIFEXITED(st) && WEXITSTATUS(st) == 0) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

std::expected<std::string, std::string> find_program(const std::string& name) {
  auto usable = [](const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (usable(name)) return name;
    std::error_code ec;
    if (!std::filesystem::exists(name, ec)) return std::unexpected("'" + name + "' does not exist; check the path");
    return std::unexpected("'" + name + "' is not an executable file; check the path, or chmod +x it");
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t at = 0; at <= dirs.size();) {
    auto colon = dirs.find(':', at);
    if (colon == std::string::npos) colon = dirs.size();
    std::string dir = dirs.substr(at, colon - at);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (usable(candidate)) return candidate;
    at = colon + 1;
  }
  return std::unexpected("'" + name + "' is not on PATH; give a path to the program (./" + name + " if it is here)");
}

std::vector<pid_t> children_of_this_process() {
  std::vector<pid_t> out;
  const pid_t self = ::getpid();
  std::error_code ec;
  for (const auto& d : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = d.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(d.path() / "stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid == self) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

}  // namespace ipch::external
