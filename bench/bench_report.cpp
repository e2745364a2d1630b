#include "bench_report.hpp"

#include <fmt/format.h>

#include <map>

#include "plot.hpp"

namespace ipch::bench {

namespace {

std::string label(const std::string& mechanism, Sync s) {
  return s == Sync::blocking ? mechanism : mechanism + " (spinning)";
}

const Figure* figure(const Report& r, const std::string& m, Sync s, std::size_t size) {
  for (const auto& f : r.figures)
    if (f.mechanism == m && f.sync == s && f.size == size) return &f;
  return nullptr;
}

// Mechanism and sync pairs in the order they were measured.
std::vector<std::pair<std::string, Sync>> lines(const Report& r) {
  std::vector<std::pair<std::string, Sync>> out;
  for (const auto& f : r.figures) {
    std::pair<std::string, Sync> k{f.mechanism, f.sync};
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

// The settings a figure was measured with, as `--setting` would spell them.
std::string settings_of(const std::string& mechanism, Sync sync) {
  Settings s = bench_settings(mechanism, sync);
  std::string out;
  if (s.capacity) out += "capacity=" + std::to_string(*s.capacity);
  if (!s.blocking) out += std::string(out.empty() ? "" : " ") + "blocking=false";
  return out.empty() ? "defaults" : out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string or_dash(const Figure* f, double (*get)(const Figure&), const char* format) {
  return f ? fmt::format(fmt::runtime(format), get(*f)) : "-";
}

}  // namespace

nlohmann::json to_json(const Report& r) {
  auto floors = nlohmann::json::array();
  for (const auto& f : r.floors) {
    floors.push_back({{"mechanism", f.mechanism}, {"sync", to_string(f.sync)}, {"size", 64},
                      {"rtt_p50_us", f.p50_us}, {"rtt_p99_us", f.p99_us}});
  }
  auto results = nlohmann::json::array();
  for (const auto& f : r.figures) {
    results.push_back({{"mechanism", f.mechanism},
                       {"sync", to_string(f.sync)},
                       {"size", f.size},
                       {"settings", settings_of(f.mechanism, f.sync)},
                       {"throughput_mb_per_s", f.mb_per_s},
                       {"messages_per_s", f.msgs_per_s},
                       {"rtt_p50_us", f.rtt_p50_us},
                       {"rtt_p99_us", f.rtt_p99_us},
                       {"sent", f.sent},
                       {"received", f.received},
                       {"round_trips_lost", f.round_trips_lost}});
  }
  auto envelope = nlohmann::json::array();
  for (const auto& e : r.envelope) {
    envelope.push_back({{"mechanism", e.mechanism}, {"size", 65536}, {"raw_mb_per_s", e.raw_mb_per_s},
                        {"enveloped_mb_per_s", e.enveloped_mb_per_s}, {"cost", e.cost}});
  }
  auto targets = nlohmann::json::array();
  for (const auto& t : r.targets) {
    targets.push_back({{"target", t.name}, {"subject", t.subject}, {"ratio", t.value}, {"limit", t.limit},
                       {"bound", t.at_most ? "at most" : "at least"}, {"met", t.met()}});
  }
  return {{"format", 1},
          {"machine", r.machine},
          {"settings", r.settings},
          {"calibration",
           {{"memcpy_mb_per_s", r.memcpy_mb_per_s},
            {"memcpy_256mib_mb_per_s", r.memory_mb_per_s},
            {"syscall_ns", r.syscall_ns},
            {"spawn_pairs_per_s", r.spawn_pairs_per_s},
            {"harness_cases_per_s", r.harness_cases_per_s},
            {"schedule", {{"messages", r.schedule.messages}, {"os_seconds", r.schedule.os_s},
                          {"random_seconds", r.schedule.random_s}, {"ratio", r.schedule.ratio()},
                          {"decisions", r.schedule.decisions}, {"ns_per_decision", r.schedule.ns_per_decision}}},
            {"bare_ping_pong", floors}}},
          {"results", results},
          {"envelope", envelope},
          {"targets", targets},
          {"notes", r.notes},
          {"seconds", r.seconds}};
}

std::string to_csv(const Report& r) {
  std::string out =
      "mechanism,sync,size,settings,throughput_mb_per_s,throughput_mb_per_s_min,throughput_mb_per_s_max,messages_per_s,"
      "rtt_p50_us,rtt_p50_us_min,rtt_p50_us_max,rtt_p99_us,sent,received,bare_rtt_p50_us,memcpy_mb_per_s,"
      "syscall_ns,kernel,cpu,cpus,quick\n";
  std::string kernel = r.machine.value("kernel", ""), cpu = r.machine.value("cpu", "");
  for (const auto& f : r.figures) {
    const Floor* fl = floor_of(r, f.mechanism, f.sync);
    out += fmt::format("{},{},{},{},{:.2f},{:.2f},{:.2f},{:.0f},{:.2f},{:.2f},{:.2f},{:.2f},{},{},{},{:.0f},{:.1f},{},{},{},{}\n",
                       f.mechanism, to_string(f.sync), f.size, settings_of(f.mechanism, f.sync), f.mb_per_s.median, f.mb_per_s.min, f.mb_per_s.max,
                       f.msgs_per_s.median, f.rtt_p50_us.median, f.rtt_p50_us.min, f.rtt_p50_us.max,
                       f.rtt_p99_us.median, f.sent, f.received,
                       fl ? fmt::format("{:.2f}", fl->p50_us.median) : std::string(), r.memcpy_mb_per_s.median,
                       r.syscall_ns.median, csv_field(kernel), csv_field(cpu),
                       r.machine.value("cpus", 0), r.settings.value("quick", false));
  }
  return out;
}

plot::Chart throughput_chart(const Report& r) {
  plot::Chart c{"One-way throughput by message size", "message size (B)", "throughput (MB/s)", true, true, {}, {}};
  for (const auto& [m, sync] : lines(r)) {
    plot::Series s{label(m, sync), {}, sync == Sync::spinning};
    for (const auto& f : r.figures)
      if (f.mechanism == m && f.sync == sync) s.points.push_back({double(f.size), f.mb_per_s.median});
    c.series.push_back(std::move(s));
  }
  c.references.push_back({"memcpy 1 MiB", r.memcpy_mb_per_s.median});
  c.references.push_back({"memcpy 256 MiB", r.memory_mb_per_s.median});
  return c;
}

plot::Chart latency_chart(const Report& r) {
  plot::Chart c{"Round-trip latency (p50) by message size", "message size (B)", "round trip (us)", true, true, {}, {}};
  for (const auto& [m, sync] : lines(r)) {
    plot::Series s{label(m, sync), {}, sync == Sync::spinning};
    for (const auto& f : r.figures)
      if (f.mechanism == m && f.sync == sync) s.points.push_back({double(f.size), f.rtt_p50_us.median});
    c.series.push_back(std::move(s));
  }
  c.references.push_back({"bare system call", r.syscall_ns.median / 1e3});
  return c;
}

std::string to_svg(const Report& r) {
  plot::Chart tp = throughput_chart(r), lat = latency_chart(r);
  int w = std::max(tp.width, lat.width), h1 = tp.height, h2 = lat.height;
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n"
      "<g>{2}</g>\n<g transform=\"translate(0,{3})\">{4}</g>\n</svg>\n",
      w, h1 + h2, plot::svg(tp), h1, plot::svg(lat));
}

std::string summary(const Report& r) {
  std::string out = fmt::format(
      "calibration: memcpy {:.0f} MB/s (1 MiB), {:.0f} MB/s (256 MiB), getpid() {:.0f} ns, spawn and reap 2 "
      "processes {:.0f} /s, harness {:.1f} cases/s\n\n",
      r.memcpy_mb_per_s.median, r.memory_mb_per_s.median, r.syscall_ns.median, r.spawn_pairs_per_s.median, r.harness_cases_per_s.median);
  out += fmt::format("{:<26}{:>11}{:>11}{:>8}{:>12}{:>12}{:>12}\n", "mechanism", "rtt 64 B", "bare", "ratio",
                     "MB/s 64K", "MB/s 1M", "msg/s 64 B");
  for (const auto& [m, sync] : lines(r)) {
    const Figure* small = figure(r, m, sync, 64);
    const Floor* fl = floor_of(r, m, sync);
    double ratio = small && fl && fl->p50_us.median > 0 ? small->rtt_p50_us.median / fl->p50_us.median : 0;
    out += fmt::format("{:<26}{:>11}{:>11}{:>8}{:>12}{:>12}{:>12}\n", label(m, sync),
                       or_dash(small, [](const Figure& f) { return f.rtt_p50_us.median; }, "{:.1f} us"),
                       fl ? fmt::format("{:.1f} us", fl->p50_us.median) : "-",
                       ratio > 0 ? fmt::format("{:.2f}", ratio) : "-",
                       or_dash(figure(r, m, sync, 65536), [](const Figure& f) { return f.mb_per_s.median; }, "{:.0f}"),
                       or_dash(figure(r, m, sync, 1048576), [](const Figure& f) { return f.mb_per_s.median; }, "{:.0f}"),
                       or_dash(small, [](const Figure& f) { return f.msgs_per_s.median; }, "{:.0f}"));
  }
  out += "\ntargets (ratios measured in this run):\n";
  for (const auto& t : r.targets) {
    out += fmt::format("  {:<4} {:<16} {} : {:.2f} ({} {:.2f})\n", t.met() ? "met" : "MISS", t.subject, t.name, t.value,
                       t.at_most ? "<=" : ">=", t.limit);
  }
  out += fmt::format("schedule: a {}-message pipe run takes {:.3f} s under os, {:.3f} s under --schedule random ({:.1f}x); "
                     "{} scheduling points, {:.1f} us each\n",
                     r.schedule.messages, r.schedule.os_s, r.schedule.random_s, r.schedule.ratio(), r.schedule.decisions,
                     r.schedule.ns_per_decision / 1000);
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  return out;
}

std::string markdown(const Report& r) {
  std::string out = fmt::format(
      "Machine: {}, {} CPUs, kernel {}. memcpy {:.0f} MB/s of 1 MiB (in cache), {:.0f} MB/s of 256 MiB; getpid() {:.0f} "
      "ns; spawn and reap 2 processes {:.0f}/s.\n\n",
      r.machine.value("cpu", "?"), r.machine.value("cpus", 0), r.machine.value("kernel", "?"), r.memcpy_mb_per_s.median,
      r.memory_mb_per_s.median,
      r.syscall_ns.median, r.spawn_pairs_per_s.median);
  out += "| mechanism | rtt p50 at 64 B | bare ping-pong | ratio (aim <= 1.3) | MB/s at 64 KiB | MB/s at 1 MiB | 1 MiB / memcpy (aim >= 0.5) | 1 MiB / memcpy 256 MiB | envelope cost at 64 KiB (aim < 10%) |\n";
  out += "|---|---|---|---|---|---|---|---|---|\n";
  std::map<std::string, double> cost;
  for (const auto& e : r.envelope) cost[e.mechanism] = e.cost;
  for (const auto& [m, sync] : lines(r)) {
    const Figure* small = figure(r, m, sync, 64);
    const Figure* big = figure(r, m, sync, 1048576);
    const Floor* fl = floor_of(r, m, sync);
    double ratio = small && fl && fl->p50_us.median > 0 ? small->rtt_p50_us.median / fl->p50_us.median : 0;
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", label(m, sync),
        or_dash(small, [](const Figure& f) { return f.rtt_p50_us.median; }, "{:.1f} us"),
        fl ? fmt::format("{:.1f} us", fl->p50_us.median) : "-", ratio > 0 ? fmt::format("{:.2f}", ratio) : "-",
        or_dash(figure(r, m, sync, 65536), [](const Figure& f) { return f.mb_per_s.median; }, "{:.0f}"),
        or_dash(big, [](const Figure& f) { return f.mb_per_s.median; }, "{:.0f}"),
        big && r.memcpy_mb_per_s.median > 0 ? fmt::format("{:.2f}", big->mb_per_s.median / r.memcpy_mb_per_s.median)
                                             : "-",
        big && r.memory_mb_per_s.median > 0 ? fmt::format("{:.2f}", big->mb_per_s.median / r.memory_mb_per_s.median)
                                             : "-",
        sync == Sync::blocking && cost.count(m) ? fmt::format("{:.0f}%", cost[m] * 100) : "-");
  }
  for (const auto& t : r.targets) {
    if (t.subject == "harness") {
      out += fmt::format("\nHarness: {:.1f} cases/s against a spawn floor of {:.0f}/s: ratio {:.3f} (aim >= 0.5).\n",
                         r.harness_cases_per_s.median, r.spawn_pairs_per_s.median, t.value);
    }
  }
  out += fmt::format("\nSchedule: a {}-message pipe run takes {:.3f} s under os and {:.3f} s under `--schedule random` "
                     "({:.1f}x): {} scheduling points at {:.1f} us each.\n",
                     r.schedule.messages, r.schedule.os_s, r.schedule.random_s, r.schedule.ratio(), r.schedule.decisions,
                     r.schedule.ns_per_decision / 1000);
  return out;
}

}  // namespace ipch::bench
