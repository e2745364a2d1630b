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
std::vector<Record>& all_made() {
  static std::vector<Record> m;
  return m;
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
bool journaled(Kind k) { return k != Kind::folder; }

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

// Whether the kernel has a SysV object of kind `k` under `key` (the key, not the id: an id may be reused).
bool sysv_key_exists(Kind k, key_t key) {
  std::ifstream in(k == Kind::sysv_msg   ? "/proc/sysvipc/msg"
                   : k == Kind::sysv_shm ? "/proc/sysvipc/shm"
                                         : "/proc/sysvipc/sem");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    long long v = 0;
    if (ls >> v && static_cast<key_t>(v) == key) return true;
  }
  return false;
}

// Asks the kernel, not our bookkeeping: /dev/mqueue may not even be mounted.
bool exists(const Record& r) {
  switch (r.kind) {
    case Kind::posix_mq: {
      auto q = sys::mq_open(r.name, O_RDONLY | O_NONBLOCK);
      if (q) (void)sys::mq_close(*q);
      return q || q.error() != std::errc::no_such_file_or_directory;
    }
    case Kind::posix_shm:
      return sys::shm_open(r.name, O_RDONLY).has_value();
    case Kind::folder:
      return std::filesystem::exists(r.name);
    default:
      return sysv_key_exists(r.kind, r.key);
  }
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

std::optional<Kind> kind_of(std::string_view s) {
  for (Kind k : {Kind::sysv_msg, Kind::sysv_shm, Kind::sysv_sem, Kind::posix_mq, Kind::posix_shm, Kind::folder})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

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
  all_made().push_back(r);
  if (journaled(r.kind)) {
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
  rs.erase(it);
  if (!journaled(kind)) return;
  append("- " + std::string(to_string(kind)) + " " + name);
  if (std::none_of(rs.begin(), rs.end(), [](const Record& r) { return journaled(r.kind); })) {
    (void)sys::unlink(journal_path(::getpid()));
  }
}

Result<Record> create_sysv(Kind kind, const std::function<Result<int>(key_t)>& get) {
  for (int attempt = 0;; ++attempt) {
    Record r{kind, naming::next_name()};
    r.key = sysv_key(r.name);
    auto id = get(r.key);
    if (!id) {
      if (id.error() == std::errc::file_exists && attempt < 16) continue;
      return std::unexpected(id.error());
    }
    r.id = *id;
    created(r);
    return r;
  }
}

std::vector<Record> live() {
  std::lock_guard lock(mu);
  return records();
}

std::vector<Record> made() {
  std::lock_guard lock(mu);
  return all_made();
}

std::vector<std::string> still_present(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records)
    if (exists(r)) out.push_back(std::string(to_string(r.kind)) + " " + r.name);
  return out;
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
    struct Entry { Kind k; int id; key_t key; std::string name; };
    std::vector<std::pair<std::string, Entry>> open;
    int id;
    long long key;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      ls >> op >> kind;
      auto k = kind_of(kind);
      if (!k) continue;
      if (op == "+" && ls >> id >> key >> name) open.push_back({name + kind, {*k, id, static_cast<key_t>(key), name}});
      if (op == "-" && ls >> name) std::erase_if(open, [&](auto& p) { return p.first == name + kind; });
    }
    for (auto& [n, e] : open) {
      if (e.k == Kind::posix_mq || e.k == Kind::posix_shm) {
        auto r = e.k == Kind::posix_mq ? sys::mq_unlink(e.name) : sys::shm_unlink(e.name);
        std::string what = std::string(to_string(e.k)) + " " + e.name;
        if (r) rep.removed.push_back(what);
        else if (r.error() != std::errc::no_such_file_or_directory) rep.failed.push_back(what + ": " + describe(r.error()));
        continue;
      }
      std::string what = std::string(to_string(e.k)) + " id " + std::to_string(e.id);
      if (current_key(e.k, e.id) != e.key) continue;  // gone, or the id now belongs to someone else
      // EINVAL / EIDRM: gone since current_key() looked, e.g. removed by a clean running beside this one.
      if (auto r = remove_sysv(e.k, e.id); r) rep.removed.push_back(what);
      else if (r.error() != std::errc::invalid_argument && r.error() != std::errc::identifier_removed)
        rep.failed.push_back(what + ": " + describe(r.error()));
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
