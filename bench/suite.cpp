#include "suite.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <ostream>

#include <fmt/format.h>

#include "bare.hpp"
#include "calibration.hpp"
#include "event.hpp"
#include "registry.hpp"
#include "sys.hpp"

namespace ipch::bench {

namespace {

bool is_shared_memory(const std::string& mechanism) {
  const Mechanism* m = registry::find(mechanism);
  return m && m->traits.shared_memory;
}

using std::chrono::milliseconds;

// Sizes for the targets the issue names.
constexpr std::size_t kLatencySize = 64;
constexpr std::size_t kEnvelopeSize64K = 64 * 1024;
constexpr std::size_t kBulkSize = 1024 * 1024;
// A copy this large cannot stay in any cache: what memory itself moves.
constexpr std::size_t kBeyondCaches = 256u << 20;

struct Budget {
  int repeats;
  std::uint64_t throughput_bytes, min_messages, max_messages;
  std::uint64_t latency_bytes;
  int min_round_trips, max_round_trips;
  milliseconds calibration;
};

Budget budget(bool quick) {
  if (quick) return {3, 16u << 20, 16, 4000, 4u << 20, 20, 400, milliseconds(250)};
  return {5, 128u << 20, 64, 40000, 32u << 20, 50, 3000, milliseconds(1000)};
}

std::uint64_t messages_for(const Budget& b, std::size_t size) {
  return std::clamp<std::uint64_t>(b.throughput_bytes / size, b.min_messages, b.max_messages);
}
int round_trips_for(const Budget& b, std::size_t size) {
  return static_cast<int>(
      std::clamp<std::uint64_t>(b.latency_bytes / size, static_cast<std::uint64_t>(b.min_round_trips),
                                static_cast<std::uint64_t>(b.max_round_trips)));
}

std::string first_line_of(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (key.empty()) return line;
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

nlohmann::json machine(const Placement& where) {
  auto j = machine_facts();
  j["pinned"] = where.parent_cpu >= 0 ? nlohmann::json{{"sender", where.parent_cpu}, {"receiver", where.child_cpu}}
                                      : nlohmann::json("no: fewer than 2 usable CPUs");
  return j;
}

class Runner {
 public:
  explicit Runner(const Options& o) : o_(o), b_(budget(o.quick)) {
    if (auto cpus = sys::usable_cpus(); cpus && cpus->size() >= 2) where_ = {(*cpus)[0], (*cpus)[1]};
  }

  Report run() {
    std::uint64_t t0 = monotonic_ns();
    r_.machine = machine(where_);
    calibrate();
    for (const auto& m : mechanisms()) measure(m);
    harness_speed();
    targets();
    r_.settings = {{"quick", o_.quick},
                   {"repeats", b_.repeats},
                   {"sizes", sizes()},
                   {"latency_size", kLatencySize},
                   {"throughput_bytes_per_repeat", b_.throughput_bytes},
                   {"round_trip_bytes_per_repeat", b_.latency_bytes},
                   {"settings", "each mechanism's defaults; spinning = non-blocking calls retried at once"}};
    r_.seconds = double(monotonic_ns() - t0) / 1e9;
    return std::move(r_);
  }

 private:
  void check_stop() const {
    if (o_.stop && o_.stop->load()) throw Interrupted{o_.stop->load()};
  }
  void say(const std::string& line) const {
    if (o_.progress) *o_.progress << line << "\n" << std::flush;
  }

  std::vector<std::string> mechanisms() const {
    if (!o_.mechanisms.empty()) return o_.mechanisms;
    std::vector<std::string> out;
    for (const Mechanism* m : registry::all()) out.push_back(m->name);
    return out;
  }

  std::vector<Sync> syncs(const std::string& m) {
    std::vector<Sync> out{Sync::blocking};
    if (measured_with(m, Sync::spinning)) {
      if (where_.parent_cpu >= 0) out.push_back(Sync::spinning);
      else r_.notes.push_back(m + ": not measured spinning: one usable CPU would spin against itself");
    }
    return out;
  }

  template <class F>
  Spread repeat(F f) {
    std::vector<double> v;
    for (int i = 0; i < b_.repeats; ++i) {
      check_stop();
      v.push_back(f());
    }
    return spread(v);
  }

  void calibrate() {
    say("calibrating: memcpy, a bare system call, spawning processes");
    r_.memcpy_mb_per_s = repeat([&] { return memcpy_mb_per_s(kBulkSize, b_.calibration / 2); });
    r_.memory_mb_per_s = repeat([&] { return memcpy_mb_per_s(kBeyondCaches, b_.calibration / 2); });
    r_.syscall_ns = repeat([&] { return syscall_ns(b_.calibration / 2); });
    r_.spawn_pairs_per_s = repeat([&] { return spawn_pairs_per_s(b_.calibration); });
  }

  void bare(const std::string& m, Sync sync) {
    std::vector<double> p50, p99;
    std::string prefix = fmt::format("ipch-{}-bare", ::getpid());
    for (int i = 0; i < b_.repeats; ++i) {
      check_stop();
      auto rt = bare_ping_pong(m, kLatencySize, round_trips_for(b_, kLatencySize), 20, sync == Sync::spinning,
                               where_.parent_cpu, where_.child_cpu, prefix);
      if (!rt) {
        r_.notes.push_back(m + ": no bare ping-pong to compare with");
        return;
      }
      p50.push_back(quantile(rt->ns, 0.5) / 1e3);
      p99.push_back(quantile(rt->ns, 0.99) / 1e3);
    }
    r_.floors.push_back({m, sync, spread(p50), spread(p99)});
  }

  void measure(const std::string& m) {
    std::size_t largest = largest_message(m);
    for (Sync sync : syncs(m)) {
      bare(m, sync);
      for (std::size_t size : sizes()) {
        if (size > largest) {
          if (sync == Sync::blocking) {
            r_.notes.push_back(fmt::format("{}: {} B not measured: its largest message is {} B", m, size, largest));
          }
          continue;
        }
        say(fmt::format("{} {} {} B", m, to_string(sync), size));
        Figure f{m, sync, size, {}, {}, {}, {}, 0, 0, 0};
        std::vector<double> mb, msgs, p50, p99;
        for (int i = 0; i < b_.repeats; ++i) {
          check_stop();
          auto t = throughput(m, size, messages_for(b_, size), sync, false, where_);
          mb.push_back(t.mb_per_s());
          msgs.push_back(t.msgs_per_s());
          f.sent += t.sent;
          f.received += t.received;
          auto rt = round_trips(m, size, round_trips_for(b_, size), std::max(5, round_trips_for(b_, size) / 10), sync,
                                where_);
          p50.push_back(quantile(rt.ns, 0.5) / 1e3);
          p99.push_back(quantile(rt.ns, 0.99) / 1e3);
          f.round_trips_lost += rt.lost;
        }
        f.mb_per_s = spread(mb);
        f.msgs_per_s = spread(msgs);
        f.rtt_p50_us = spread(p50);
        f.rtt_p99_us = spread(p99);
        r_.figures.push_back(f);
        if (size == kEnvelopeSize64K && sync == Sync::blocking) envelope(m);
      }
    }
  }

  // The same 64 KiB stream with and without sealing and opening every message. Alternating the
  // two within each repeat keeps a drifting machine from favouring either.
  // The cost is the median of the pairs' ratios: run-to-run drift on a shared machine is larger
  // than the envelope, and a pair run back to back sees the same drift.
  void envelope(const std::string& m) {
    std::vector<double> raw, sealed, ratio;
    std::uint64_t n = messages_for(b_, kEnvelopeSize64K);
    for (int i = 0; i < 2 * b_.repeats; ++i) {
      check_stop();
      double r = throughput(m, kEnvelopeSize64K, n, Sync::blocking, false, where_).mb_per_s();
      double s = throughput(m, kEnvelopeSize64K, n, Sync::blocking, true, where_).mb_per_s();
      raw.push_back(r);
      sealed.push_back(s);
      if (r > 0) ratio.push_back(s / r);
    }
    r_.envelope.push_back({m, spread(raw), spread(sealed), 1 - spread(ratio).median});
  }

  void harness_speed() {
    say("the harness: 2-process, 100-message pipe cases");
    r_.harness_cases_per_s = repeat([&] { return harness_cases_per_s(b_.calibration * 2); });
    const std::uint64_t n = o_.quick ? 2000 : 10000;
    say(fmt::format("the schedule's price: a {}-message pipe run under --schedule random against os", n));
    check_stop();
    r_.schedule = schedule_cost(n);
  }

  void targets() {
    for (const auto& f : r_.figures) {
      if (f.size == kLatencySize) {
        if (const Floor* fl = floor_of(r_, f.mechanism, f.sync); fl && fl->p50_us.median > 0) {
          r_.targets.push_back({fmt::format("round trip at 64 B ({}) within 1.3x of the bare ping-pong", to_string(f.sync)),
                                f.mechanism, f.rtt_p50_us.median / fl->p50_us.median, 1.3, true});
        }
      }
      if (f.size == kBulkSize && is_shared_memory(f.mechanism) && r_.memcpy_mb_per_s.median > 0) {
        r_.targets.push_back({fmt::format("1 MiB throughput ({}) at least 0.5x memcpy", to_string(f.sync)),
                              f.mechanism, f.mb_per_s.median / r_.memcpy_mb_per_s.median, 0.5, false});
      }
    }
    for (const auto& e : r_.envelope) {
      r_.targets.push_back({"the envelope costs under 10% of throughput at 64 KiB", e.mechanism, e.cost, 0.10, true});
    }
    if (r_.spawn_pairs_per_s.median > 0) {
      r_.targets.push_back({"harness cases per second at least 0.5x the spawn floor", "harness",
                            r_.harness_cases_per_s.median / r_.spawn_pairs_per_s.median, 0.5, false});
    }
  }

  const Options& o_;
  Budget b_;
  Placement where_;
  Report r_;
};

}  // namespace

nlohmann::json machine_facts() {
  auto cpus = sys::usable_cpus();
  return {
      {"kernel", first_line_of("/proc/sys/kernel/osrelease", "")},
      {"cpu", first_line_of("/proc/cpuinfo", "model name")},
      {"cpus", cpus ? cpus->size() : 0},
      {"memory", first_line_of("/proc/meminfo", "MemTotal")},
  };
}

const Floor* floor_of(const Report& r, const std::string& mechanism, Sync sync) {
  for (const auto& f : r.floors)
    if (f.mechanism == mechanism && f.sync == sync) return &f;
  return nullptr;
}

std::vector<std::size_t> sizes() { return {8, 64, 512, 4096, 65536, 1048576}; }

Report run(const Options& o) { return Runner(o).run(); }

}  // namespace ipch::bench
