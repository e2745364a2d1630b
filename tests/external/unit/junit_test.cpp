// JUnit XML: counts from the cases, and any text a program or a verdict may carry (markup
// characters, control characters, bytes that are not UTF-8) kept readable and well formed.
// Schema validation of the whole document is the junit.schema.* tests (validate_junit.sh).
#include "junit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace ipch::external {
namespace {

bool contains(const std::string& hay, std::string_view needle) {
  return hay.find(needle) != std::string::npos;
}

// Cases and suites built field by field (designated initializers that leave fields out trip
// -Wmissing-field-initializers).
struct Case {
  JUnitCase c;
  explicit Case(std::string name, std::string classname = "c") {
    c.name = std::move(name);
    c.classname = std::move(classname);
  }
  Case& seconds(double s) { return c.seconds = s, *this; }
  Case& failure(std::string m) { return c.failure_message = std::move(m), *this; }
  Case& error(std::string m) { return c.error_message = std::move(m), *this; }
  Case& skipped(std::string m) { return c.skipped_message = std::move(m), *this; }
  Case& text(std::string t) { return c.text = std::move(t), *this; }
  Case& out(std::string t) { return c.system_out = std::move(t), *this; }
  operator JUnitCase() const { return c; }  // NOLINT: implicit on purpose
};

JUnitSuite suite(std::string name, std::vector<JUnitCase> cases, std::string timestamp = "2026-11-24T11:52:03",
                 std::string hostname = "ci-1") {
  JUnitSuite s;
  s.name = std::move(name);
  s.timestamp = std::move(timestamp);
  s.hostname = std::move(hostname);
  s.cases = std::move(cases);
  return s;
}

std::string one_case_xml(const JUnitCase& c) {
  return to_junit_xml({suite("suite", {c})});
}

// What an XML 1.0 parser accepts as characters: well-formed UTF-8, and below 0x20 only tab,
// newline and CR.
bool xml_safe(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') return false;
      ++i;
      continue;
    }
    std::size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (n == 0 || b > 0xF4 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    if (b == 0xE0 && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;
    if (b == 0xED && static_cast<unsigned char>(s[i + 1]) > 0x9F) return false;
    if (b == 0xF0 && static_cast<unsigned char>(s[i + 1]) < 0x90) return false;
    if (b == 0xF4 && static_cast<unsigned char>(s[i + 1]) > 0x8F) return false;
    if (b == 0xEF && static_cast<unsigned char>(s[i + 1]) == 0xBF && static_cast<unsigned char>(s[i + 2]) >= 0xBE) {
      return false;
    }
    i += n;
  }
  return true;
}

TEST(JUnit, CountsComeFromTheCases) {
  JUnitSuite s = suite("pair",
                       {Case("none").seconds(1.25), Case("kill-sender").seconds(0.5).failure("lost: 3"),
                        Case("stop").seconds(0.25).error("no ready frame"), Case("fiu").skipped("libfiu missing")},
                       "2026-11-24T11:52:03", "h");
  JUnitSuite t = suite("other", {Case("x", "d").seconds(2).failure("boundary")}, "", "");
  std::string xml = to_junit_xml({s, t});
  EXPECT_TRUE(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites")) << xml;
  EXPECT_TRUE(contains(xml,
                       "<testsuites name=\"ipc-harness check\" tests=\"5\" failures=\"2\" errors=\"1\" "
                       "time=\"4.000\">"))
      << xml;
  EXPECT_TRUE(contains(xml,
                       "<testsuite name=\"pair\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" "
                       "time=\"2.000\" timestamp=\"2026-11-24T11:52:03\" hostname=\"h\">"))
      << xml;
  // No timestamp or hostname given: the attributes are left out, not written empty.
  EXPECT_TRUE(contains(xml,
                       "<testsuite name=\"other\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\" "
                       "time=\"2.000\">"))
      << xml;
  EXPECT_TRUE(contains(xml, "<testcase name=\"none\" classname=\"c\" time=\"1.250\"/>")) << xml;
  EXPECT_TRUE(contains(xml, "<failure message=\"lost: 3\"/>")) << xml;
  EXPECT_TRUE(contains(xml, "<error message=\"no ready frame\"/>")) << xml;
  EXPECT_TRUE(contains(xml, "<skipped message=\"libfiu missing\"/>")) << xml;
  EXPECT_TRUE(xml.ends_with("</testsuites>\n"));
}

TEST(JUnit, AFailureCarriesItsTextAndTheNotesGoToSystemOut) {
  JUnitCase c = Case("kill-receiver", "check.a|b")
                    .seconds(0.001)
                    .failure("reordered: sender 0 seq 7")
                    .text("seed 42\nreplay: ipc-harness replay ipch-check/x/reproducer.json\n")
                    .out("note: 2 messages indeterminate");
  std::string xml = one_case_xml(c);
  EXPECT_TRUE(contains(xml,
                       "<testcase name=\"kill-receiver\" classname=\"check.a|b\" time=\"0.001\">\n"
                       "      <failure message=\"reordered: sender 0 seq 7\">seed 42\nreplay: ipc-harness replay "
                       "ipch-check/x/reproducer.json\n</failure>\n"
                       "      <system-out>note: 2 messages indeterminate</system-out>\n"
                       "    </testcase>"))
      << xml;
}

// Set several outcomes by mistake and the worst one is reported, once.
TEST(JUnit, FailureWinsOverErrorWinsOverSkipped) {
  std::string xml = one_case_xml(Case("n").failure("f").error("e").skipped("s"));
  EXPECT_TRUE(contains(xml, "failures=\"1\" errors=\"0\" skipped=\"0\"")) << xml;
  EXPECT_FALSE(contains(xml, "<error")) << xml;
  xml = one_case_xml(Case("n").error("e").skipped("s"));
  EXPECT_TRUE(contains(xml, "failures=\"0\" errors=\"1\" skipped=\"0\"")) << xml;
  EXPECT_FALSE(contains(xml, "<skipped")) << xml;
}

TEST(JUnit, MarkupCharactersAreEscapedEverywhere) {
  const std::string nasty = "<a href='x'>&amp; \"q\"</a> ]]> &#0;";
  const std::string escaped = "&lt;a href=&apos;x&apos;&gt;&amp;amp; &quot;q&quot;&lt;/a&gt; ]]&gt; &amp;#0;";
  JUnitCase c = Case(nasty, nasty).failure(nasty).text(nasty).out(nasty);
  std::string xml = to_junit_xml({suite(nasty, {c}, "2026-11-24T11:52:03", nasty)});
  EXPECT_TRUE(contains(xml, "<testsuite name=\"" + escaped + "\"")) << xml;
  EXPECT_TRUE(contains(xml, "hostname=\"" + escaped + "\"")) << xml;
  EXPECT_TRUE(contains(xml, "<testcase name=\"" + escaped + "\" classname=\"" + escaped + "\"")) << xml;
  EXPECT_TRUE(contains(xml, "<failure message=\"" + escaped + "\">" + escaped + "</failure>")) << xml;
  EXPECT_TRUE(contains(xml, "<system-out>" + escaped + "</system-out>")) << xml;
  EXPECT_FALSE(contains(xml, "]]>")) << xml;
  EXPECT_FALSE(contains(xml, "'x'")) << xml;
}

// Attribute values would have their tabs and newlines turned into spaces by any parser, so they
// are character references there; in text they are kept as they are. A CR is a reference in
// both, or a parser would drop it.
TEST(JUnit, WhitespaceSurvivesParsing) {
  std::string xml = one_case_xml(Case("a\tb\nc\rd").failure("m\n").text("t\tu\nv\rw"));
  EXPECT_TRUE(contains(xml, "name=\"a&#9;b&#10;c&#13;d\"")) << xml;
  EXPECT_TRUE(contains(xml, "message=\"m&#10;\"")) << xml;
  EXPECT_TRUE(contains(xml, ">t\tu\nv&#13;w</failure>")) << xml;
}

TEST(JUnit, ControlCharactersBecomeVisibleEscapes) {
  static constexpr char kText[] = "nul\0 bell\x07 esc\x1b[31m del\x7f us\x1f";
  std::string text(kText, sizeof kText - 1);
  std::string xml = one_case_xml(Case(text).failure(text).text(text).out(text));
  const std::string shown = "nul\\x00 bell\\x07 esc\\x1b[31m del\\x7f us\\x1f";
  EXPECT_TRUE(contains(xml, "name=\"" + shown + "\"")) << xml;
  EXPECT_TRUE(contains(xml, ">" + shown + "</failure>")) << xml;
  EXPECT_TRUE(contains(xml, "<system-out>" + shown + "</system-out>")) << xml;
  EXPECT_TRUE(xml_safe(xml)) << xml;
}

TEST(JUnit, InvalidUtf8BecomesOneEscapePerByteAndValidUtf8IsKept) {
  struct Io {
    std::string in, out;
  };
  const Io cases[] = {
      {"é 日本 🎉 \xc2\x85", "é 日本 🎉 \xc2\x85"},                // valid, C1 NEL included: XML 1.0 allows it
      {"a\xc3", "a\\xc3"},                                       // truncated at the end
      {"\xc3(", "\\xc3("},                                       // a lead byte without its continuation
      {"\x80x", "\\x80x"},                                       // a lone continuation byte
      {"\xc0\xaf", "\\xc0\\xaf"},                                // overlong '/'
      {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},                       // overlong, 3 bytes
      {"\xed\xa0\x80", "\\xed\\xa0\\x80"},                       // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},              // above U+10FFFF
      {"\xff\xfe", "\\xff\\xfe"},                                // never in UTF-8
      {"\xef\xbf\xbe\xef\xbf\xbf", "\xef\xbf\xbd\xef\xbf\xbd"},  // U+FFFE, U+FFFF: not XML characters
  };
  for (const auto& c : cases) {
    std::string xml = one_case_xml(Case(c.in).out(c.in));
    EXPECT_TRUE(contains(xml, "name=\"" + c.out + "\"")) << c.out << "\n" << xml;
    EXPECT_TRUE(contains(xml, "<system-out>" + c.out + "</system-out>")) << c.out << "\n" << xml;
    EXPECT_TRUE(xml_safe(xml)) << xml;
  }
}

// Every byte value in every field, and the document is still only XML characters.
TEST(JUnit, AnyBytesGiveOnlyXmlCharacters) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (int b = 255; b >= 0; --b) all.push_back(static_cast<char>(b));
  JUnitCase c = Case(all, all).failure(all).text(all).out(all);
  std::string xml = to_junit_xml({suite(all, {c}, "2026-11-24T11:52:03", all)});
  EXPECT_TRUE(xml_safe(xml));
}

TEST(JUnit, TimesAreNeverNegativeNorNotANumber) {
  EXPECT_TRUE(contains(one_case_xml(Case("n").seconds(-3)), "time=\"0.000\"/>"));
  EXPECT_TRUE(contains(one_case_xml(Case("n").seconds(std::nan(""))), "time=\"0.000\"/>"));
  EXPECT_TRUE(contains(one_case_xml(Case("n").seconds(INFINITY)), "time=\"0.000\"/>"));
  EXPECT_TRUE(contains(one_case_xml(Case("n").seconds(12345.6789)), "time=\"12345.679\"/>"));
}

TEST(JUnit, NoSuitesIsAnEmptyDocument) {
  EXPECT_EQ(to_junit_xml({}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ipc-harness check\" tests=\"0\" "
            "failures=\"0\" errors=\"0\" time=\"0.000\">\n</testsuites>\n");
}

}  // namespace
}  // namespace ipch::external
