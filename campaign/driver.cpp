#include "driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "signal_pipe.hpp"

namespace ipch::campaign {

Driven drive(const Steps& steps) {
  SignalPipe signals;
  Driven d;
  for (const auto& f : steps.corpus) {
    if ((d.signal = signals.signal())) return d;
    if (steps.corpus_case(f) == Next::stop) {
      d.stopped = true;
      d.signal = signals.signal();
      return d;
    }
  }
  for (std::uint64_t i = 0; i < steps.cases; ++i) {
    if ((d.signal = signals.signal())) return d;
    if (!steps.shard.mine(i)) continue;
    ++d.ran;
    if (steps.generated_case(i) == Next::stop) {
      d.stopped = true;
      d.signal = signals.signal();
      return d;
    }
  }
  d.signal = signals.signal();  // one that landed during the last case, after its loop
  return d;
}

std::vector<std::filesystem::path> corpus_files(const std::optional<std::string>& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!dir || !std::filesystem::is_directory(*dir, ec)) return files;
  for (const auto& e : std::filesystem::directory_iterator(*dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string eta(double seconds) {
  if (seconds < 60) return fmt::format("{:.0f} s", seconds);
  return fmt::format("{:.0f} min {:02.0f} s", seconds / 60, std::fmod(seconds, 60));
}

}  // namespace ipch::campaign
