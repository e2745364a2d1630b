// `ipc-harness judge DIR|history.jsonl [--contract WORDS] [--json]`: the checkers again, on a
// history written earlier (by run, check, or anyone writing docs/history.md's format), in one
// pass over the file. The verdict and violations are the run's.
//
// Exit codes as `run`: 0 pass, 1 violations or deadlock, 2 bad input (a missing or malformed
// file: one line naming the file and the line), 3 the run it records was a harness error or
// was interrupted.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

namespace ipch::cli {

struct JudgeArgs {
  std::string path;                     // a folder holding history.jsonl, or the file
  std::optional<std::string> contract;  // check --contract words; replaces the file's contract
  bool json = false;
};

int judge(const JudgeArgs& a, std::ostream& out, std::ostream& err);

// Adds the `judge` subcommand to `app`: parsed, it runs judge() and exits with its code.
void add_judge(CLI::App& app);

}  // namespace ipch::cli
