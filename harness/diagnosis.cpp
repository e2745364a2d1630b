#include "diagnosis.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <boost/process/v2.hpp>
#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace ipch {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_link(const std::string& path) {
  std::error_code ec;
  auto t = std::filesystem::read_symlink(path, ec);
  return ec ? std::string() : t.string();
}

std::string state_of(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');  // comm may hold spaces and parentheses
  if (close == std::string::npos || close + 2 >= stat.size()) return "?";
  char c = stat[close + 2];
  switch (c) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'D': return "D (disk sleep)";
    case 'T': return "T (stopped)";
    case 't': return "t (tracing stop)";
    case 'Z': return "Z (zombie)";
    default: return std::string(1, c);
  }
}

// Calls whose first argument is an fd we can name through /proc/<pid>/fd.
bool first_arg_is_fd(long nr) {
  switch (nr) {
    case SYS_read: case SYS_write: case SYS_readv: case SYS_writev: case SYS_pread64: case SYS_pwrite64:
    case SYS_sendto: case SYS_recvfrom: case SYS_sendmsg: case SYS_recvmsg: case SYS_accept: case SYS_accept4:
    case SYS_connect: case SYS_mq_timedsend: case SYS_mq_timedreceive: case SYS_fcntl: case SYS_flock:
      return true;
    default:
      return false;
  }
}

std::string access_of(pid_t pid, int fd) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd)));
  std::string key;
  while (in >> key) {
    if (key == "flags:") {
      std::string v;
      in >> v;
      int flags = std::stoi(v, nullptr, 8) & 3;
      return flags == 0 ? "read" : flags == 1 ? "write" : "read-write";
    }
  }
  return "?";
}

std::string gdb_backtrace(pid_t pid) {
  namespace bp = boost::process::v2;
  boost::asio::io_context ctx;
  boost::asio::readable_pipe out(ctx);
  std::string text;
  try {
    auto gdb = bp::environment::find_executable("gdb");
    if (gdb.empty()) return "(no gdb on PATH: install gdb for --backtrace)";
    bp::process proc(ctx, gdb, {"-batch", "-nx", "-p", std::to_string(pid), "-ex", "thread apply all bt"},
                     bp::process_stdio{nullptr, out, nullptr});
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      std::size_t n = out.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      text.append(buf, n);
    }
    proc.wait();
  } catch (const std::exception& e) {
    return std::string("(gdb failed: ") + e.what() + ")";
  }
  // Keep the frames, drop gdb's chatter.
  std::istringstream in(text);
  std::string line, frames;
  while (std::getline(in, line))
    if (line.starts_with("#") || line.starts_with("Thread")) frames += line + "\n";
  return frames.empty() ? text : frames;
}

}  // namespace

std::string syscall_name(long nr) {
  static const std::map<long, const char*> names{
      {SYS_read, "read"}, {SYS_write, "write"}, {SYS_readv, "readv"}, {SYS_writev, "writev"},
      {SYS_open, "open"}, {SYS_openat, "openat"}, {SYS_close, "close"}, {SYS_poll, "poll"}, {SYS_ppoll, "ppoll"},
      {SYS_select, "select"}, {SYS_pselect6, "pselect6"}, {SYS_epoll_wait, "epoll_wait"},
      {SYS_epoll_pwait, "epoll_pwait"}, {SYS_nanosleep, "nanosleep"}, {SYS_clock_nanosleep, "clock_nanosleep"},
      {SYS_futex, "futex"}, {SYS_msgsnd, "msgsnd"}, {SYS_msgrcv, "msgrcv"}, {SYS_semop, "semop"},
      {SYS_semtimedop, "semtimedop"}, {SYS_mq_timedsend, "mq_timedsend"}, {SYS_mq_timedreceive, "mq_timedreceive"},
      {SYS_sendto, "sendto"}, {SYS_recvfrom, "recvfrom"}, {SYS_sendmsg, "sendmsg"}, {SYS_recvmsg, "recvmsg"},
      {SYS_accept, "accept"}, {SYS_accept4, "accept4"}, {SYS_connect, "connect"}, {SYS_wait4, "wait4"},
      {SYS_pause, "pause"}, {SYS_rt_sigtimedwait, "rt_sigtimedwait"}, {SYS_flock, "flock"}, {SYS_fcntl, "fcntl"},
      {SYS_pread64, "pread64"}, {SYS_pwrite64, "pwrite64"},
  };
  auto it = names.find(nr);
  return it == names.end() ? "syscall " + std::to_string(nr) : it->second;
}

std::string Blocked::summary() const {
  std::string s = role + " (pid " + std::to_string(pid) + ")";
  if (syscall == "running") return s + " is running, not blocked (state " + state + ")";
  s += (state == "parked by the schedule" ? " parked in " : " blocked in ") + syscall + "(";
  if (fd >= 0) s += "fd " + std::to_string(fd) + (object.empty() ? "" : " = " + object);
  else if (!object.empty()) s += object;
  s += ")";
  if (!waits.empty()) s += ": " + waits;
  else if (!wchan.empty() && wchan != "0") s += " in " + wchan;
  for (const auto& h : others) s += "; " + h.role + " (pid " + std::to_string(h.pid) + ") holds it for " + h.access;
  return s;
}

std::vector<Blocked> diagnose(const std::vector<Process>& processes, bool backtrace) {
  std::vector<Blocked> out;
  for (const auto& p : processes) {
    std::string proc = "/proc/" + std::to_string(p.pid);
    Blocked b;
    b.pid = p.pid;
    b.role = p.role;
    b.state = state_of(p.pid);
    b.wchan = read_file(proc + "/wchan");
    std::istringstream sc(read_file(proc + "/syscall"));
    std::string first;
    sc >> first;
    if (first == "running" || first.empty()) {
      b.syscall = "running";
    } else {
      long nr = std::stol(first);
      std::string a0s;
      sc >> a0s;
      long a0 = a0s.empty() ? -1 : std::stol(a0s, nullptr, 16);
      b.syscall = nr < 0 ? "running" : syscall_name(nr);
      if (first_arg_is_fd(nr)) {
        b.fd = static_cast<int>(a0);
        b.object = read_link(proc + "/fd/" + std::to_string(b.fd));
      } else if (nr == SYS_msgsnd || nr == SYS_msgrcv) {
        b.object = "sysv-msg id " + std::to_string(a0);
      } else if (nr == SYS_semop || nr == SYS_semtimedop) {
        b.object = "sysv-sem id " + std::to_string(a0);
      } else if (nr == SYS_futex) {
        b.object = "futex at 0x" + a0s.substr(a0s.starts_with("0x") ? 2 : 0);
      }
    }
    // Who else holds the object: the other end of a pipe, a second reader, a bystander.
    if (!b.object.empty() && b.fd >= 0) {
      for (const auto& q : processes) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(q.pid) + "/fd", ec)) {
          int fd = std::atoi(e.path().filename().c_str());
          if (q.pid == p.pid && fd == b.fd) continue;
          if (read_link(e.path().string()) == b.object) b.others.push_back({q.pid, q.role, fd, access_of(q.pid, fd)});
        }
      }
    }
    if (backtrace) b.backtrace = gdb_backtrace(p.pid);
    out.push_back(std::move(b));
  }
  return out;
}

nlohmann::json to_json(const Blocked& b) {
  nlohmann::json others = nlohmann::json::array();
  for (const auto& h : b.others) others.push_back({{"pid", h.pid}, {"role", h.role}, {"fd", h.fd}, {"access", h.access}});
  nlohmann::json j{{"pid", b.pid},       {"role", b.role},     {"state", b.state}, {"wchan", b.wchan},
                   {"syscall", b.syscall}, {"object", b.object}, {"held_by", others}, {"summary", b.summary()}};
  if (b.fd >= 0) j["fd"] = b.fd;
  if (!b.backtrace.empty()) j["backtrace"] = b.backtrace;
  if (!b.waits.empty()) j["waits"] = b.waits;
  return j;
}

}  // namespace ipch
