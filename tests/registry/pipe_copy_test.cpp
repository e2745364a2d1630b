// A mechanism defined only in a test (pipe_copy.*: one file pair and one Registrar line) is
// treated exactly like the pipe it copies, by every layer that used to test names: the fault
// catalogue's applicability and defaults, the generators, and the binary's `run --cases`. And a
// mechanism whose traits are incomplete is refused, not given a default.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <sstream>

#include "catalogue.hpp"
#include "generators.hpp"
#include "pipe.hpp"
#include "pipe_copy.hpp"
#include "registry.hpp"

namespace ipch {
namespace {

const std::string kCopy = test::pipe_copy_mechanism().name;
const std::string kPipe = pipe_mechanism().name;

// `text` with every whole-word mention of the copy's name read as pipe's.
std::string as_pipe(std::string text) {
  return std::regex_replace(text, std::regex("\\b" + kCopy + "\\b"), kPipe);
}

std::pair<int, std::string> binary(const std::string& args) {
  std::string cmd = std::string(IPCH_PIPE_COPY_BINARY) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), out};
}

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.starts_with(prefix)) out.push_back(l);
  return out;
}

TEST(PipeCopy, IsListedAfterOursByItsRegistrar) {
  auto all = registry::all();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back()->name, kCopy);
  EXPECT_EQ(registry::find(kCopy), &test::pipe_copy_mechanism());
}

TEST(PipeCopy, EveryFaultAppliesToItIffItAppliesToPipe) {
  const Mechanism& copy = test::pipe_copy_mechanism();
  const Mechanism& pipe = pipe_mechanism();
  int applying = 0;
  for (const auto& f : faults::mechanism_faults()) {
    SCOPED_TRACE(f.name);
    bool to_pipe = faults::why_not(f, pipe).empty();
    EXPECT_EQ(faults::why_not(f, copy).empty(), to_pipe) << faults::why_not(f, copy);
    auto where = faults::where(f);
    bool listed = std::find(where.begin(), where.end(), kCopy) != where.end();
    EXPECT_EQ(listed, to_pipe);
    applying += to_pipe;
  }
  // Pipe's faults include the ones that need a capability most mechanisms lack.
  EXPECT_GE(applying, 8);
  EXPECT_TRUE(faults::why_not(*faults::find("leaked-fd"), copy).empty());
  EXPECT_TRUE(faults::why_not(*faults::find("short-io"), copy).empty());
  EXPECT_FALSE(faults::why_not(*faults::find("delay-lock"), copy).empty());
}

TEST(PipeCopy, GeneratorsDrawForItWhatTheyDrawForPipe) {
  EXPECT_EQ(gen::generated_faults(kCopy), gen::generated_faults(kPipe));
  EXPECT_EQ(gen::capacities(kCopy), gen::capacities(kPipe));
  EXPECT_EQ(gen::size_edges(kCopy, 65536), gen::size_edges(kPipe, 65536));
  gen::Options copy, pipe;
  copy.mechanism = kCopy;
  pipe.mechanism = kPipe;
  int faulted = 0;
  for (std::uint64_t i = 0; i < 60; ++i) {
    Scenario a = gen::draw(copy, 42, i), b = gen::draw(pipe, 42, i);
    EXPECT_EQ(a.mechanism, kCopy);
    a.mechanism = b.mechanism;
    // Every drawn and resolved field, fault parameters (restart, capacity...) included.
    EXPECT_EQ(to_json(a).dump(), to_json(b).dump()) << "case " << i;
    faulted += !b.faults.empty();
  }
  EXPECT_GT(faulted, 10) << "the cases must carry faults for their defaults to be compared";
}

TEST(PipeCopy, AMechanismWithoutTraitsIsRefused) {
  static const Mechanism bare{"no-traits", "a mechanism that forgot its traits", pipe_mechanism().contract, {}, nullptr};
  EXPECT_THROW(registry::Registrar{&bare}, std::invalid_argument);
  EXPECT_EQ(registry::find("no-traits"), nullptr);
}

TEST(PipeCopy, ListFaultsNamesItWhereverItNamesPipe) {
  auto [rc, out] = binary("list faults");
  ASSERT_EQ(rc, 0) << out;
  int lines = 0;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    auto at = l.find("applies to: ");
    if (at == std::string::npos) continue;
    ++lines;
    std::string where = l.substr(at, l.find(" (", at) - at);  // the names, not the capability in words
    bool pipe = std::regex_search(where, std::regex("\\bpipe(,|$)"));
    EXPECT_EQ(where.find(kCopy) != std::string::npos, pipe) << l;
  }
  EXPECT_EQ(lines, static_cast<int>(faults::mechanism_faults().size())) << out;
  auto [mrc, mechs] = binary("list mechanisms");
  ASSERT_EQ(mrc, 0);
  EXPECT_NE(mechs.find(kCopy + " "), std::string::npos) << mechs;
}

TEST(PipeCopy, RunCasesGivesItPipesCasesAndVerdicts) {
  std::string out = (std::filesystem::temp_directory_path() / ("ipch-pipe-copy-test-" + std::to_string(::getpid()))).string();
  auto [rc_copy, copy] = binary("run --cases 12 --seed 9 --mechanism " + kCopy + " --out " + out + "/copy");
  auto [rc_pipe, pipe] = binary("run --cases 12 --seed 9 --mechanism " + kPipe + " --out " + out + "/pipe");
  std::filesystem::remove_all(out);
  EXPECT_EQ(rc_copy, 0) << copy;
  EXPECT_EQ(rc_pipe, 0) << pipe;
  auto cases_copy = lines_starting(copy, "case "), cases_pipe = lines_starting(pipe, "case ");
  ASSERT_EQ(cases_copy.size(), 12u) << copy;
  ASSERT_EQ(cases_pipe.size(), 12u) << pipe;
  int faulted = 0;
  for (std::size_t i = 0; i < cases_copy.size(); ++i) {
    EXPECT_TRUE(cases_copy[i].find(kCopy + ", ") != std::string::npos) << cases_copy[i];
    EXPECT_EQ(as_pipe(cases_copy[i]), cases_pipe[i]);
    faulted += cases_pipe[i].find("fault none") == std::string::npos;
  }
  EXPECT_GT(faulted, 0) << pipe;
}

}  // namespace
}  // namespace ipch
