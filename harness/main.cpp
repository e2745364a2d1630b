// ipc-harness: the command line.
//
// Exit codes (stable; scripts rely on them):
//   0  pass / success
//   1  violations or deadlock found
//   2  bad input: unknown mechanism, setting, malformed file; the message names the fix
//   3  harness error: something failed that is not the mechanism under test
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "cli_list.hpp"
#include "objects.hpp"

int main(int argc, char** argv) {
  // EPIPE is data: a pipe write to a gone reader must return it, not kill us.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"ipc-harness: every Linux IPC mechanism under property-based tests, with real processes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ipc-harness 0.1.0");

  auto* list = app.add_subcommand("list", "list what the harness knows");
  std::string what;
  bool json = false;
  list->add_option("what", what, "mechanisms")->required()->check(CLI::IsMember({"mechanisms"}));
  list->add_flag("--json", json, "one JSON object on stdout");

  auto* clean = app.add_subcommand("clean", "remove kernel objects and folders left by dead ipc-harness processes");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*list) return ipch::cli::list_mechanisms(std::cout, json);
  if (*clean) {
    auto report = ipch::objects::clean_dead();
    for (const auto& r : report.removed) std::cout << "removed " << r << "\n";
    for (const auto& f : report.failed) std::cerr << "ipc-harness clean: could not remove " << f << "\n";
    if (report.removed.empty() && report.failed.empty()) std::cout << "nothing to clean\n";
    return report.failed.empty() ? 0 : 3;
  }
  return 2;
}
