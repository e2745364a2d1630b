// Writes a JUnit document with every outcome and hostile text in every field to the file named
// by its argument, for the schema test (junit_schema_test.sh) to validate with xmllint.
#include <fstream>
#include <iostream>
#include <string>

#include "junit.hpp"

int main(int argc, char** argv) {
  using namespace ipch::external;
  if (argc != 2) {
    std::cerr << "usage: junit_sample OUT.xml\n";
    return 2;
  }
  static constexpr char kHostile[] = "<&>\"' ]]> \t\n\r nul\0 esc\x1b bad\xff\xc3 ok é🎉 \xef\xbf\xbf";
  std::string hostile(kHostile, sizeof kHostile - 1);  // the NUL inside included
  auto make = [](std::string name, std::string classname, double seconds) {
    JUnitCase c;
    c.name = std::move(name);
    c.classname = std::move(classname);
    c.seconds = seconds;
    return c;
  };
  JUnitSuite pair;
  pair.name = "check.sender|receiver " + hostile;
  pair.timestamp = "2026-11-24T11:52:03";
  pair.hostname = "ci-1";
  pair.cases.push_back(make("none", "check.sender|receiver", 0.25));
  JUnitCase failed = make("kill-receiver " + hostile, "check." + hostile, 1.5);
  failed.failure_message = "reordered: " + hostile;
  failed.text = "seed 7\nreplay: ipc-harness replay 'ipch-check/a b/reproducer.json'\n" + hostile;
  failed.system_out = "notes " + hostile;
  pair.cases.push_back(failed);
  JUnitCase errored = make("stop", "c", 0);
  errored.error_message = "no ready frame";
  errored.text = hostile;
  pair.cases.push_back(errored);
  JUnitCase skipped = make("fiu", "c", 0);
  skipped.skipped_message = hostile;
  pair.cases.push_back(skipped);
  JUnitSuite bare;
  bare.name = "no timestamp, no hostname, no cases";
  std::ofstream out(argv[1], std::ios::binary);
  out << to_junit_xml({pair, bare});
  out.close();
  if (!out) {
    std::cerr << "junit_sample: cannot write " << argv[1] << ": check the folder exists and is writable\n";
    return 1;
  }
  return 0;
}
