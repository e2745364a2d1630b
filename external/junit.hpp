// JUnit XML, as CI systems read it (Jenkins, GitLab, GitHub test reporters): one <testsuite>
// per program pair or mechanism, one <testcase> per pair x fault. A failure's text carries
// the replay command, so the CI page says how to reproduce it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ipch::external {

struct JUnitCase {
  std::string name;       // a fault's name, e.g. kill-receiver
  std::string classname;  // e.g. "check.examples/posix-mq/sender|examples/posix-mq/receiver"
  double seconds = 0;
  // Exactly one of: passed (neither set), failure (the code's fault: violations), error (the
  // harness or the input's fault), skipped. Should a caller set several, failure wins over
  // error and both over skipped: nothing red is ever reported green.
  std::optional<std::string> failure_message;  // one line: "reordered: sender 0 seq 7 ..."
  std::optional<std::string> error_message;
  std::optional<std::string> skipped_message;
  std::string text;         // the body of <failure>/<error>: violations, seed, replay command
  std::string system_out;   // notes, kept as <system-out>
};

struct JUnitSuite {
  std::string name;
  std::string timestamp;   // ISO 8601 without zone, "2026-11-24T11:52:03", as the schema wants;
                           // left out of the document when empty
  std::string hostname;    // left out when empty
  std::vector<JUnitCase> cases;
  // tests/failures/errors/skipped/time are counted from `cases`.
};

// The whole document: <?xml ...?><testsuites ...><testsuite ...>...</testsuites>, valid against
// the Jenkins JUnit schema (tests/external/junit.xsd). Text and attributes are escaped, and
// characters XML 1.0 cannot carry (control characters other than tab, newline and carriage
// return, and DEL with them; invalid UTF-8) are replaced, so any program output is safe: each
// such control character and each byte of invalid UTF-8 by the four characters \xNN (its value
// in hex), the non-characters U+FFFE and U+FFFF by U+FFFD. Times are seconds with 3 decimals.
std::string to_junit_xml(const std::vector<JUnitSuite>& suites);

}  // namespace ipch::external
