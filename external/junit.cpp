#include "junit.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace ipch::external {
namespace {

void append_hex_byte(std::string& out, unsigned char b) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out.push_back(kHex[b >> 4]);
  out.push_back(kHex[b & 0xF]);
}

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 if it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && at(k) >= lo && at(k) <= hi;
  };
  unsigned char b = at(i);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    unsigned char lo = b == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = b == 0xED ? 0x9F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    unsigned char lo = b == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = b == 0xF4 ? 0x8F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

// Escapes `s` for XML 1.0 text (in_attribute false) or a double-quoted attribute value. What
// XML 1.0 cannot carry becomes visible instead of making the whole report unreadable: control
// characters and each byte of invalid UTF-8 as \xNN, the non-characters U+FFFE and U+FFFF as
// U+FFFD. In attributes, tab, newline and CR are written as references, because a parser
// would otherwise normalise them to spaces; in text, CR is, because a parser would drop it.
std::string escape(std::string_view s, bool in_attribute) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = utf8_length(s, i);
    if (len == 0) {
      append_hex_byte(out, static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    if (len == 3 && static_cast<unsigned char>(s[i]) == 0xEF && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
        static_cast<unsigned char>(s[i + 2]) >= 0xBE) {
      out += "\xEF\xBF\xBD";
      i += 3;
      continue;
    }
    if (len > 1) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    char c = s[i++];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;  // so that "]]>" in a program's output stays text
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += in_attribute ? "&#9;" : "\t";
        break;
      case '\n':
        out += in_attribute ? "&#10;" : "\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          append_hex_byte(out, static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string attr(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=\"" + escape(value, true) + "\"";
}

// Seconds with millisecond precision, never negative, NaN or exponent notation: the schema's
// time is digits and a point.
std::string seconds(double s) {
  if (!std::isfinite(s) || s < 0) s = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

struct Counts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
};

enum class Outcome { passed, failure, error, skipped };

// A case is meant to carry one outcome at most; if a caller sets several, the code's fault
// (failure) wins over the harness's (error), and both over skipped, so nothing red turns green.
Outcome outcome(const JUnitCase& c) {
  if (c.failure_message) return Outcome::failure;
  if (c.error_message) return Outcome::error;
  if (c.skipped_message) return Outcome::skipped;
  return Outcome::passed;
}

Counts count(const JUnitSuite& suite) {
  Counts n;
  for (const auto& c : suite.cases) {
    ++n.tests;
    switch (outcome(c)) {
      case Outcome::failure:
        ++n.failures;
        break;
      case Outcome::error:
        ++n.errors;
        break;
      case Outcome::skipped:
        ++n.skipped;
        break;
      case Outcome::passed:
        break;
    }
    if (std::isfinite(c.seconds) && c.seconds > 0) n.time += c.seconds;
  }
  return n;
}

void write_case(std::string& out, const JUnitCase& c) {
  out += "    <testcase" + attr("name", c.name) + attr("classname", c.classname) + attr("time", seconds(c.seconds));
  Outcome o = outcome(c);
  if (o == Outcome::passed && c.system_out.empty()) {
    out += "/>\n";
    return;
  }
  out += ">\n";
  if (o != Outcome::passed) {
    const char* tag = o == Outcome::failure ? "failure" : o == Outcome::error ? "error" : "skipped";
    const std::string& message = o == Outcome::failure ? *c.failure_message
                                 : o == Outcome::error ? *c.error_message
                                                       : *c.skipped_message;
    out += "      <" + std::string(tag) + attr("message", message);
    if (c.text.empty()) {
      out += "/>\n";
    } else {
      out += ">" + escape(c.text, false) + "</" + tag + ">\n";
    }
  }
  if (!c.system_out.empty()) out += "      <system-out>" + escape(c.system_out, false) + "</system-out>\n";
  out += "    </testcase>\n";
}

}  // namespace

std::string to_junit_xml(const std::vector<JUnitSuite>& suites) {
  Counts all;
  std::vector<Counts> each;
  for (const auto& s : suites) {
    each.push_back(count(s));
    all.tests += each.back().tests;
    all.failures += each.back().failures;
    all.errors += each.back().errors;
    all.skipped += each.back().skipped;
    all.time += each.back().time;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  // <testsuites> has no skipped attribute in the Jenkins schema; each <testsuite> has.
  out += "<testsuites" + attr("name", "ipc-harness check") + attr("tests", std::to_string(all.tests)) +
         attr("failures", std::to_string(all.failures)) + attr("errors", std::to_string(all.errors)) +
         attr("time", seconds(all.time)) + ">\n";
  for (std::size_t i = 0; i < suites.size(); ++i) {
    const JUnitSuite& s = suites[i];
    const Counts& n = each[i];
    out += "  <testsuite" + attr("name", s.name) + attr("tests", std::to_string(n.tests)) +
           attr("failures", std::to_string(n.failures)) + attr("errors", std::to_string(n.errors)) +
           attr("skipped", std::to_string(n.skipped)) + attr("time", seconds(n.time));
    // Left out rather than written empty: an empty timestamp is not a date.
    if (!s.timestamp.empty()) out += attr("timestamp", s.timestamp);
    if (!s.hostname.empty()) out += attr("hostname", s.hostname);
    out += ">\n";
    for (const auto& c : s.cases) write_case(out, c);
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace ipch::external
