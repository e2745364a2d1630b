#include "registry.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "fifo.hpp"
#include "pipe.hpp"
#include "posix_mq.hpp"
#include "posix_shm.hpp"
#include "sysv_msg.hpp"
#include "sysv_shm.hpp"
#include "tcp.hpp"
#include "udp.hpp"
#include "unix_dgram.hpp"
#include "unix_seqpacket.hpp"
#include "unix_stream.hpp"

namespace ipch::registry {

namespace {
// A mechanism without its traits would be judged by guesses: refused, with what is missing.
void check(const Mechanism* m) {
  if (auto why = incomplete(m->traits); !why.empty())
    throw std::invalid_argument("mechanism " + m->name + ": " + why + " (mechanisms/traits.hpp)");
}

std::vector<const Mechanism*>& listed() {
  static std::vector<const Mechanism*> list = [] {
    std::vector<const Mechanism*> l{
        &pipe_mechanism(),        &fifo_mechanism(),       &sysv_msg_mechanism(),   &posix_mq_mechanism(),
        &sysv_shm_mechanism(),    &posix_shm_mechanism(),  &unix_stream_mechanism(), &unix_dgram_mechanism(),
        &unix_seqpacket_mechanism(), &tcp_mechanism(),     &udp_mechanism(),
    };
    for (const Mechanism* m : l) check(m);
    return l;
  }();
  return list;
}

std::vector<const Mechanism*>& added() {
  static std::vector<const Mechanism*> a;
  return a;
}
}  // namespace

std::span<const Mechanism* const> all() { return listed(); }

const Mechanism* find(std::string_view name) {
  for (const Mechanism* m : listed())
    if (m->name == name) return m;
  for (const Mechanism* m : added())
    if (m->name == name) return m;
  return nullptr;
}

void add(const Mechanism* m) {
  check(m);
  if (find(m->name)) throw std::invalid_argument("mechanism " + m->name + " is registered already");
  added().push_back(m);
}

Registrar::Registrar(const Mechanism* m) {
  check(m);
  if (find(m->name)) throw std::invalid_argument("mechanism " + m->name + " is registered already");
  listed().push_back(m);
}

std::string names() {
  std::string out;
  for (const Mechanism* m : all()) {
    if (!out.empty()) out += ", ";
    out += m->name;
  }
  return out;
}

namespace {
std::optional<std::size_t> parse_size(std::string_view v) {
  std::size_t mult = 1;
  if (!v.empty() && (v.back() == 'K' || v.back() == 'k')) mult = 1024, v.remove_suffix(1);
  else if (!v.empty() && (v.back() == 'M' || v.back() == 'm')) mult = 1024 * 1024, v.remove_suffix(1);
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return std::nullopt;
  // 17592186044417M would wrap to 1M and be taken silently.
  if (n > SIZE_MAX / mult) return std::nullopt;
  return n * mult;
}
}  // namespace

std::expected<Settings, std::string> parse_settings(std::string_view text) {
  Settings s;
  constexpr const char* kForm = "expected key=value[,key=value...] with keys capacity, message_size, blocking";
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::unexpected("setting '" + std::string(item) + "': " + kForm);
    auto key = item.substr(0, eq), val = item.substr(eq + 1);
    if (key == "capacity" || key == "message_size") {
      auto n = parse_size(val);
      if (!n || *n == 0) return std::unexpected("setting " + std::string(key) + "='" + std::string(val) +
                                                "': expected a positive size in bytes (K and M suffixes allowed)");
      (key == "capacity" ? s.capacity : s.message_size) = *n;
    } else if (key == "blocking") {
      if (val == "true" || val == "1") s.blocking = true;
      else if (val == "false" || val == "0") s.blocking = false;
      else return std::unexpected("setting blocking='" + std::string(val) + "': expected true or false");
    } else {
      return std::unexpected("unknown setting '" + std::string(key) + "': " + kForm);
    }
  }
  return s;
}

}  // namespace ipch::registry
