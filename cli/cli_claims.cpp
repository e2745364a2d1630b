#include "cli_claims.hpp"

#include <atomic>
#include <csignal>

#include "stop_on_signal.hpp"
#include <cstring>
#include <filesystem>
#include <fstream>

#include "claims_catalogue.hpp"
#include "report.hpp"
#include "run_claims.hpp"

namespace ipch::cli {

namespace {

std::string self_path() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "ipc-harness" : self.string();
}

}  // namespace

int claims(const ClaimsArgs& a, std::ostream& out, std::ostream& err) {
  for (const auto& id : a.only) {
    if (!claims::find(id)) {
      err << "ipc-harness claims: unknown claim '" << id << "'; use one of: " << claims::ids()
          << " (ipc-harness list claims)\n";
      return 2;
    }
  }
  std::filesystem::path dir = a.out ? *a.out : "ipch-runs/claims";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  {
    std::ofstream probe(dir / "report.json");
    if (ec || !probe) {
      err << "ipc-harness claims: cannot write to " << dir.string() << (ec ? ": " + ec.message() : "")
          << "; choose another --out\n";
      return 2;
    }
  }
  dir = std::filesystem::absolute(dir);
  claims::Options o;
  o.quick = a.quick;
  o.seed = a.seed;
  o.only = a.only;
  o.out_dir = dir.string();
  o.program = self_path();
  o.progress = a.json ? nullptr : &out;
  o.stop = &stop_signal;
  if (!a.json) {
    out << "ipc-harness claims" << (a.quick ? " --quick" : "") << " --seed " << a.seed << ": "
        << (a.only.empty() ? std::to_string(claims::catalogue().size()) : std::to_string(a.only.size()))
        << " claims, report in " << dir.string() << "\n";
  }
  claims::Run r;
  try {
    StopOnSignal guard;
    r = claims::run(o);
  } catch (const claims::Interrupted& i) {
    err << "ipc-harness claims: interrupted by SIG" << sigabbrev_np(i.signal)
        << "; every process and object it made is removed, no report written\n";
    return 128 + i.signal;
  } catch (const std::exception& e) {
    err << "ipc-harness claims: " << e.what() << "\n";
    return 3;
  }
  r.input.command = a.command;
  try {
    claims::write_report(dir.string(), r.input);
  } catch (const std::exception& e) {
    err << "ipc-harness claims: " << e.what() << "; check the free space or choose another --out\n";
    return 3;
  }
  if (a.json) {
    out << claims::to_json(r.input).dump() << "\n";
  } else {
    out << "\n";
    claims::print_summary(out, r.input);
    out << "\nwrote " << (dir / "report.html").string() << ", report.md, report.json ("
        << static_cast<int>(r.input.seconds) << " s)\n";
  }
  if (r.failed_to_run > 0) {
    err << "ipc-harness claims: " << r.failed_to_run
        << " claim(s) could not be checked; their reason is in the report (not-checked)\n";
    return 3;
  }
  return 0;
}

int list_claims(std::ostream& out, bool json) {
  if (json) {
    auto arr = nlohmann::json::array();
    for (const auto& c : claims::catalogue()) {
      arr.push_back({{"id", c.id}, {"claim", c.sentence}, {"quoted", c.quoted}, {"source", c.source},
                     {"mechanisms", c.mechanisms}, {"needs_bench", c.needs_bench}});
    }
    out << nlohmann::json{{"claims", arr}}.dump() << "\n";
    return 0;
  }
  for (const auto& c : claims::catalogue()) {
    std::string mechs;
    for (const auto& m : c.mechanisms) mechs += (mechs.empty() ? "" : ",") + m;
    out << c.id << "  [" << mechs << "]\n    " << (c.quoted ? "\"" + c.sentence + "\"" : c.sentence) << "\n";
  }
  return 0;
}

}  // namespace ipch::cli
