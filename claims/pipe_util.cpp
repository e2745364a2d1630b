#include "pipe_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "naming.hpp"

namespace ipch::claims::pipe_util {

std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "errno " + std::to_string(e);
}

Folder::Folder() {
  auto f = naming::make_folder();
  if (!f) throw std::runtime_error("mkdir of a private folder failed: " + describe(f.error()));
  path_ = *f;
}

Folder::~Folder() {
  naming::remove_folder(path_);
}

std::string Folder::fifo(const std::string& name) const {
  std::string p = path_ + "/" + name;
  if (auto r = sys::mkfifo(p, 0600); !r) throw std::runtime_error("mkfifo " + p + " failed: " + describe(r.error()));
  return p;
}

Gate::Gate() {
  auto p = sys::pipe(O_CLOEXEC);
  if (!p) throw std::runtime_error("pipe for a gate failed: " + describe(p.error()));
  r_ = std::move(p->first);
  w_ = std::move(p->second);
}

bool Gate::release(std::size_t waiters) {
  std::vector<std::byte> bytes(waiters, std::byte{1});
  return sys::write_all(w_.get(), bytes, Deadline::after(std::chrono::seconds(5))).has_value();
}

bool Gate::pass() {
  std::byte b{};
  return sys::read_exact(r_.get(), std::span(&b, 1), Deadline::never()).has_value();
}

bool Gate::collect(std::size_t n, std::chrono::milliseconds guard) {
  std::vector<std::byte> bytes(n);
  return sys::read_exact(r_.get(), bytes, Deadline::after(guard)).has_value();
}

long session_of(long pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/stat") : "/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::string state;
  long ppid = 0, pgrp = 0, session = -1;
  std::istringstream rest(line.substr(close + 1));
  if (!(rest >> state >> ppid >> pgrp >> session)) return -1;
  return session;
}

}  // namespace ipch::claims::pipe_util
