#include "message_probe.hpp"

#include <sys/mman.h>

#include <csignal>
#include <cstring>
#include <thread>

#include "seed.hpp"
#include "sys.hpp"

namespace ipch::claims::probe {

namespace {

std::byte body_byte(std::uint64_t seed, std::uint32_t seq, std::size_t i) {
  // One splitmix64 value per 8 bytes: cheap, and a shifted or foreign byte is found.
  std::uint64_t state = seed ^ (static_cast<std::uint64_t>(seq) << 32) ^ (i / 8);
  std::uint64_t v = splitmix64(state);
  return static_cast<std::byte>(v >> (8 * (i % 8)));
}

void put32(std::span<std::byte> at, std::uint32_t v) {
  std::memcpy(at.data(), &v, 4);
}
std::uint32_t get32(std::span<const std::byte> at) {
  std::uint32_t v = 0;
  std::memcpy(&v, at.data(), 4);
  return v;
}

}  // namespace

void fill(std::uint64_t seed, std::uint32_t seq, std::span<std::byte> msg) {
  if (msg.size() < kHeader) throw std::logic_error("probe::fill: a message needs at least 8 bytes");
  put32(msg, seq);
  put32(msg.subspan(4), static_cast<std::uint32_t>(msg.size()));
  for (std::size_t i = kHeader; i < msg.size(); ++i) msg[i] = body_byte(seed, seq, i);
}

std::optional<std::uint32_t> intact(std::uint64_t seed, std::span<const std::byte> msg) {
  if (msg.size() < kHeader) return std::nullopt;
  std::uint32_t seq = get32(msg);
  if (get32(msg.subspan(4)) != msg.size()) return std::nullopt;
  for (std::size_t i = kHeader; i < msg.size(); ++i)
    if (msg[i] != body_byte(seed, seq, i)) return std::nullopt;
  return seq;
}

std::optional<std::uint32_t> seq_of(std::span<const std::byte> msg) {
  if (msg.size() < 4) return std::nullopt;
  return get32(msg);
}

std::optional<std::uint32_t> size_of(std::span<const std::byte> msg) {
  if (msg.size() < kHeader) return std::nullopt;
  return get32(msg.subspan(4));
}

std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "errno " + std::to_string(e);
}

void* map(std::size_t size) {
  auto p = sys::mmap(size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
  if (!p) throw std::runtime_error("mmap(MAP_SHARED|MAP_ANONYMOUS): " + describe(p.error()));
  return *p;
}

void unmap(void* p, std::size_t size) {
  (void)sys::munmap(p, size);
}

double ms_since(std::chrono::steady_clock::time_point origin) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - origin).count();
}

std::optional<std::vector<std::string>> await_blocked(const std::vector<const Child*>& cs,
                                                      const std::atomic<std::uint64_t>& progress,
                                                      std::chrono::milliseconds guard) {
  auto d = Deadline::after(guard);
  std::uint64_t last = progress.load();
  int still = 0;
  while (!d.expired()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::vector<std::string> wchans;
    bool asleep = true;
    for (const Child* c : cs) {
      std::string s = c->state();
      if (s.empty() || s[0] == 'Z') return std::nullopt;  // one ended: they never all blocked for good
      asleep = asleep && (s[0] == 'S' || s[0] == 'D') && s.size() > 2;
      wchans.push_back(s.size() > 2 ? s.substr(2) : "");
    }
    std::uint64_t now = progress.load();
    still = (asleep && now == last) ? still + 1 : 0;
    last = now;
    if (still >= 4) return wchans;
  }
  return std::nullopt;
}

std::optional<std::string> await_blocked(const Child& c, const std::atomic<std::uint64_t>& progress,
                                         std::chrono::milliseconds guard) {
  auto w = await_blocked(std::vector<const Child*>{&c}, progress, guard);
  if (!w) return std::nullopt;
  return w->front();
}

Ended kill_and_reap(Child& c) {
  (void)c.kill(SIGKILL);
  auto e = c.wait(std::chrono::seconds(10));
  if (!e) throw std::runtime_error("waitpid: child " + std::to_string(c.pid()) + " did not die of SIGKILL");
  return *e;
}

Ended end_of(Child& c, std::chrono::milliseconds guard) {
  if (auto e = c.wait(guard)) return *e;
  return kill_and_reap(c);
}

Child spawn(std::function<int()> body) {
  auto c = Child::fork(std::move(body));
  if (!c) throw std::runtime_error("fork: " + describe(c.error()));
  return std::move(*c);
}

std::function<int()> reporting(Failure& f, std::function<int()> body) {
  return [&f, body = std::move(body)]() -> int {
    try {
      return body();
    } catch (const std::exception& e) {
      if (!f.set.exchange(true)) std::strncpy(f.text, e.what(), sizeof f.text - 1);
      return 125;
    }
  };
}

void expect_clean(const Ended& e, const std::string& who, const Failure& f) {
  if (e.signal == 0 && e.code == 0) return;
  std::string why = f.set.load() ? std::string(f.text) : e.describe();
  throw std::runtime_error(who + ": " + why);
}

Timeline traffic(std::string title, std::vector<std::string> lanes, const std::vector<Trace>& messages,
                 std::vector<Mark> extra, std::string caption, std::size_t max) {
  Timeline t;
  t.title = std::move(title);
  t.lanes = std::move(lanes);
  std::size_t drawn = std::min(max, messages.size());
  for (std::size_t i = 0; i < drawn; ++i) {
    const Trace& m = messages[i];
    std::string label = m.label.empty() ? "#" + std::to_string(m.seq) : m.label;
    bool lost = !m.to_lane.has_value();
    t.marks.push_back({m.from_lane, m.sent_ms, Mark::Kind::send, label, m.bad && lost});
    if (lost) continue;
    t.marks.push_back({*m.to_lane, m.received_ms, Mark::Kind::receive, label, m.bad});
    t.links.push_back({m.from_lane, *m.to_lane, m.sent_ms, m.received_ms, m.bad});
  }
  for (auto& x : extra) t.marks.push_back(std::move(x));
  t.caption = std::move(caption);
  if (drawn < messages.size()) t.caption += ", " + std::to_string(messages.size() - drawn) + " more not drawn";
  return t;
}

}  // namespace ipch::claims::probe
