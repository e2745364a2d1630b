#include "reproducer.hpp"

#include <sys/utsname.h>

#include <filesystem>
#include <fstream>
#include <sstream>


namespace ipch {

namespace {
bool valid_verdict(const std::string& v) { return v == "pass" || v == "violations" || v == "deadlock" || v == "error"; }
}  // namespace

std::string replay_command(const std::string& path) {
  // The binary's own absolute path: the command must work when pasted in any folder.
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string prog = ec ? "ipc-harness" : self.string();
  return prog + " replay " + path;
}

std::expected<void, std::string> write_reproducer(const std::string& path, const Reproducer& r) {
  utsname u{};
  ::uname(&u);
  std::string abs = std::filesystem::absolute(path).string();
  nlohmann::json j{
      {"format", Reproducer::kFormat},
      {"ipc_harness", kVersion},
      {"kernel", std::string(u.sysname) + " " + u.release + " " + u.machine},
      {"scenario", to_json(r.scenario)},
      {"verdict", r.verdict},
      {"command", replay_command(abs)},
  };
  if (r.strategy) j["schedule"] = {{"strategy", r.strategy->text()}, {"decisions", r.steps.size()}, {"steps", schedule::encode(r.steps)}};
  std::ofstream out(path, std::ios::trunc);
  if (!out) return std::unexpected("cannot write reproducer " + path + ": check that its folder exists and is writable");
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  out << j.dump(2) << "\n";
  if (!out.flush()) return std::unexpected("writing reproducer " + path + " failed (disk full?)");
  return {};
}

std::expected<Reproducer, std::string> read_reproducer(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected("cannot read reproducer " + path + ": no such file or no permission");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::parse_error& e) {
    return std::unexpected("reproducer " + path + " is not valid JSON (truncated or edited?) at byte " +
                           std::to_string(e.byte) + "; write a new one with `ipc-harness run`");
  }
  auto bad = [&](const std::string& why) { return std::unexpected("reproducer " + path + ": " + why); };
  if (!j.is_object()) return bad("must be a JSON object");
  if (!j.contains("format") || !j["format"].is_number_integer()) return bad("field 'format' is missing");
  if (j["format"].get<int>() != Reproducer::kFormat) {
    return bad("field 'format' is " + j["format"].dump() + ", this ipc-harness " + kVersion + " reads format " +
               std::to_string(Reproducer::kFormat) + "; replay it with the ipc-harness named in field 'ipc_harness'");
  }
  if (!j.contains("verdict") || !j["verdict"].is_string() || !valid_verdict(j["verdict"].get<std::string>())) {
    return bad("field 'verdict' must be one of pass, violations, deadlock, error");
  }
  if (!j.contains("scenario")) return bad("field 'scenario' is missing");
  auto s = scenario_from_json(j["scenario"]);
  if (!s) {
    std::string e = s.error();
    // Name fields from the file's root, so the user finds them: scenario.workload.senders
    auto q = e.find("field '");
    if (q != std::string::npos) e.insert(q + 7, "scenario.");
    return bad(e);
  }
  Reproducer out{*s, j["verdict"].get<std::string>(), std::nullopt, {}};
  if (j.contains("schedule")) {
    const auto& sj = j["schedule"];
    if (!sj.is_object() || !sj.contains("strategy") || !sj["strategy"].is_string() || !sj.contains("steps") ||
        !sj["steps"].is_string())
      return bad("field 'schedule' must hold 'strategy' and 'steps' (text); write a new one with `ipc-harness run --schedule`");
    std::string why;
    auto spec = schedule::parse(sj["strategy"].get<std::string>(), &why);
    if (!spec) return bad("field 'schedule.strategy': " + why);
    auto steps = schedule::decode(sj["steps"].get<std::string>());
    if (!steps) return bad("field 'schedule.steps' is not a recorded schedule (edited or cut short?)");
    out.strategy = *spec;
    out.steps = std::move(*steps);
  }
  return out;
}

}  // namespace ipch
