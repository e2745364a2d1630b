#include "cli_bench.hpp"

#include <atomic>
#include <csignal>

#include "stop_on_signal.hpp"
#include <filesystem>
#include <fstream>

#include "bench_report.hpp"
#include "registry.hpp"
#include "suite.hpp"

namespace ipch::cli {

namespace {

bool write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  return static_cast<bool>(f);
}

}  // namespace

int bench(const BenchArgs& a, std::ostream& out, std::ostream& err) {
  bench::Options o;
  o.quick = a.quick;
  if (a.mechanism != "all") {
    if (!registry::find(a.mechanism)) {
      err << "ipc-harness bench: unknown mechanism '" << a.mechanism << "'; use all or one of: " << registry::names()
          << "\n";
      return 2;
    }
    o.mechanisms = {a.mechanism};
  }
  std::filesystem::path dir = a.out ? *a.out : "ipch-runs/bench";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !write_file(dir / "bench.json", "")) {
    err << "ipc-harness bench: cannot write to " << dir.string() << (ec ? ": " + ec.message() : "")
        << "; choose another --out\n";
    return 2;
  }
  if (!a.json) {
    out << "ipc-harness bench" << (a.quick ? " --quick" : "") << ": "
        << (a.mechanism == "all" ? "every mechanism" : a.mechanism) << ", results in " << dir.string() << "\n";
  }
  o.progress = a.json ? nullptr : &out;
  o.stop = &stop_signal;
  bench::Report r;
  try {
    StopOnSignal guard;
    r = bench::run(o);
  } catch (const bench::Interrupted& i) {
    err << "ipc-harness bench: interrupted by SIG" << sigabbrev_np(i.signal) << "; every object it made is removed\n";
    return 128 + i.signal;
  } catch (const std::exception& e) {
    err << "ipc-harness bench: " << e.what() << "\n";
    return 3;
  }
  auto j = bench::to_json(r);
  bool written = write_file(dir / "bench.json", j.dump(2) + "\n") && write_file(dir / "bench.csv", bench::to_csv(r)) &&
                 write_file(dir / "bench.svg", bench::to_svg(r)) && write_file(dir / "bench.md", bench::markdown(r));
  if (!written) {
    err << "ipc-harness bench: could not write the results to " << dir.string() << "; check the free space\n";
    return 3;
  }
  if (a.json) {
    out << j.dump() << "\n";
  } else {
    out << "\n" << bench::summary(r) << "\nwrote " << (dir / "bench.json").string() << ", bench.csv, bench.svg, bench.md ("
        << static_cast<int>(r.seconds) << " s)\n";
  }
  return 0;
}

}  // namespace ipch::cli
