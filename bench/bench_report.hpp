// What `ipc-harness bench` writes: bench.json, bench.csv, bench.svg, and the tables it prints.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "plot.hpp"
#include "suite.hpp"

namespace ipch::bench {

// {"format": 1, "machine", "settings", "calibration", "floors", "results", "envelope",
//  "targets", "notes", "seconds"}: `results` holds one entry per mechanism, sync mode and size.
nlohmann::json to_json(const Report& r);

// One row per mechanism, sync mode and size, each row carrying the machine, kernel, CPU and the
// calibration, so rows from different machines can be pooled.
std::string to_csv(const Report& r);

// The two charts of bench.svg, one line per mechanism and sync mode (spinning variants dashed):
// one-way throughput (MB/s) against message size, with memcpy of 1 MiB and of 256 MiB as
// reference lines, and round-trip p50 latency (us), with a bare system call as reference line.
// The claims report draws them too.
plot::Chart throughput_chart(const Report& r);
plot::Chart latency_chart(const Report& r);

// Two charts in one SVG: throughput (MB/s, with memcpy as a reference line) and round-trip p50
// latency (us, with a bare system call as a reference line) against message size, one line per
// mechanism and sync mode.
std::string to_svg(const Report& r);

// For a terminal: calibration, one line per mechanism (64 B round trip against its floor,
// throughput at 64 KiB and 1 MiB), then every target, met or not.
std::string summary(const Report& r);

// The same figures as a Markdown table, for the README.
std::string markdown(const Report& r);

}  // namespace ipch::bench
