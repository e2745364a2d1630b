#include "objects.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>

#include "naming.hpp"
#include "sys.hpp"

namespace ipch::objects {

namespace {
std::mutex mu;
std::vector<key_t>& keys() {
  static std::vector<key_t> k;
  return k;
}
std::vector<Record>& records() {
  static std::vector<Record> r;
  return r;
}
std::string tmpdir() {
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? t : "/tmp";
}
std::string journal_path(pid_t pid) { return tmpdir() + "/ipch-" + std::to_string(pid) + ".journal"; }
bool sysv(Kind k) { return k == Kind::sysv_msg || k == Kind::sysv_shm || k == Kind::sysv_sem; }

void append(const std::string& line) {
  auto fd = sys::open(journal_path(::getpid()), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (!fd) return;  // a journal is for crash clean-up; failing to write it must not fail the run
  std::string l = line + "\n";
  (void)sys::write_all(fd->get(), std::as_bytes(std::span(l)), Deadline::never());
}

bool alive(pid_t pid) {
  auto r = sys::kill(pid, 0);
  return r || r.error() == std::errc::operation_not_permitted;
}

// The key the kernel now has for SysV id `id` of kind `k`, read from /proc/sysvipc.
std::optional<key_t> current_key(Kind k, int id) {
  const char* file = k == Kind::sysv_msg ? "/proc/sysvipc/msg" : k == Kind::sysv_shm ? "/proc/sysvipc/shm" : "/proc/sysvipc/sem";
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    long long key = 0;
    int sid = -1;
    if (ls >> key >> sid && sid == id) return static_cast<key_t>(key);
  }
  return std::nullopt;
}

Result<void> remove_sysv(Kind k, int id) {
  switch (k) {
    case Kind::sysv_msg: return sys::msgctl(id, IPC_RMID, nullptr);
    case Kind::sysv_shm: return sys::shmctl(id, IPC_RMID, nullptr);
    default: {
      auto r = sys::semctl(id, 0, IPC_RMID);
      if (!r) return std::unexpected(r.error());
      return {};
    }
  }
}
}  // namespace

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::sysv_msg: return "sysv-msg";
    case Kind::sysv_shm: return "sysv-shm";
    case Kind::sysv_sem: return "sysv-sem";
    case Kind::posix_mq: return "posix-mq";
    case Kind::posix_shm: return "posix-shm";
    case Kind::folder: return "folder";
  }
  return "?";
}

key_t sysv_key(const std::string& name) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return static_cast<key_t>(h == 0 ? 1 : h);
}

void created(Record r) {
  std::lock_guard lock(mu);
  if (sysv(r.kind)) {
    keys().push_back(r.key);
    append("+ " + std::string(to_string(r.kind)) + " " + std::to_string(r.id) + " " + std::to_string(r.key) + " " +
           r.name);
  }
  records().push_back(std::move(r));
}

void removed(Kind kind, const std::string& name) {
  std::lock_guard lock(mu);
  auto& rs = records();
  auto it = std::find_if(rs.begin(), rs.end(), [&](const Record& r) { return r.kind == kind && r.name == name; });
  if (it == rs.end()) return;
  bool was_sysv = sysv(kind);
  rs.erase(it);
  if (!was_sysv) return;
  append("- " + std::string(to_string(kind)) + " " + name);
  if (std::none_of(rs.begin(), rs.end(), [](const Record& r) { return sysv(r.kind); })) {
    (void)sys::unlink(journal_path(::getpid()));
  }
}

std::vector<Record> live() {
  std::lock_guard lock(mu);
  return records();
}

std::vector<key_t> sysv_keys_made() {
  std::lock_guard lock(mu);
  return keys();
}

CleanReport clean_dead() {
  CleanReport rep;
  namespace fs = std::filesystem;
  static const std::regex owned(R"(ipch-(\d+)(-\d+|\.journal))");
  auto scan = [&](const std::string& dir, auto&& on_match) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::smatch m;
      std::string n = e.path().filename().string();
      if (!std::regex_match(n, m, owned)) continue;
      pid_t pid = static_cast<pid_t>(std::stol(m[1]));
      if (alive(pid)) continue;
      on_match(e.path().string(), n, m[2].str() == ".journal");
    }
  };
  // Journals first: they name SysV objects.
  scan(tmpdir(), [&](const std::string& path, const std::string&, bool journal) {
    if (!journal) return;
    std::ifstream in(path);
    std::string op, kind, name;
    struct Entry { Kind k; int id; key_t key; };
    std::vector<std::pair<std::string, Entry>> open;
    int id;
    long long key;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      ls >> op >> kind;
      Kind k = kind == "sysv-msg" ? Kind::sysv_msg : kind == "sysv-shm" ? Kind::sysv_shm : Kind::sysv_sem;
      if (op == "+" && ls >> id >> key >> name) open.push_back({name + kind, {k, id, static_cast<key_t>(key)}});
      if (op == "-" && ls >> name) std::erase_if(open, [&](auto& p) { return p.first == name + kind; });
    }
    for (auto& [n, e] : open) {
      std::string what = std::string(to_string(e.k)) + " id " + std::to_string(e.id);
      if (current_key(e.k, e.id) != e.key) continue;  // gone, or the id now belongs to someone else
      if (auto r = remove_sysv(e.k, e.id); r) rep.removed.push_back(what);
      else rep.failed.push_back(what + ": " + describe(r.error()));
    }
    (void)sys::unlink(path);
  });
  scan(tmpdir(), [&](const std::string& path, const std::string&, bool journal) {
    if (journal) return;
    naming::remove_folder(path);
    rep.removed.push_back("folder " + path);
  });
  scan("/dev/shm", [&](const std::string&, const std::string& n, bool) {
    if (auto r = sys::shm_unlink("/" + n); r) rep.removed.push_back("posix-shm /" + n);
    else rep.failed.push_back("posix-shm /" + n + ": " + describe(r.error()));
  });
  scan("/dev/mqueue", [&](const std::string&, const std::string& n, bool) {
    if (auto r = sys::mq_unlink("/" + n); r) rep.removed.push_back("posix-mq /" + n);
    else rep.failed.push_back("posix-mq /" + n + ": " + describe(r.error()));
  });
  return rep;
}

}  // namespace ipch::objects
