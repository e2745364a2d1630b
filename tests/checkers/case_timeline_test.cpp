// timeline.html of a judged run: one self-contained, well-formed page; the violations' messages
// highlighted even when the drawing thins out ordinary messages; text escaped; a blocked mark at
// the end of each lane the diagnosis names; a page even for a history of 0 events.
#include "case_timeline.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "builder.hpp"
#include "check.hpp"

namespace ipch::test {
namespace {

namespace fs = std::filesystem;

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto i = haystack.find(needle); i != std::string_view::npos; i = haystack.find(needle, i + needle.size())) ++n;
  return n;
}

// 300 messages of sender 0; message 250 never arrives: far past the drawing's budget of 60.
RunOutcome one_lost_of_300() {
  Builder b(1);
  for (std::uint64_t s = 0; s < 300; ++s) {
    b.sent(0, s);
    if (s != 250) b.got(0, s);
  }
  RunOutcome r;
  r.history = b.h;
  r.contract = messages();
  return r;
}

// The page parsed as XML by Python's minidom, which refuses a stray '<' or '&' in any text.
bool well_formed(const std::string& html) {
  auto path = fs::temp_directory_path() / ("ipch-page-" + std::to_string(::getpid()) + ".html");
  // minidom does not know the HTML doctype's entities; ours uses none.
  std::ofstream(path) << html.substr(html.find("<html"));
  std::string cmd = "python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' " + path.string();
  int rc = std::system(cmd.c_str());
  fs::remove(path);
  return rc == 0;
}

TEST(CaseTimeline, TheLostMessageIsHighlightedAmongThreeHundred) {
  RunOutcome r = one_lost_of_300();
  Report rep = check_all(r);
  ASSERT_EQ(rep.verdict, "violations");
  TimelinePage p = timeline_page(r, rep, "posix-mq, stream 1x1, seed 1");
  ASSERT_EQ(p.violations.size(), 1u);
  EXPECT_EQ(p.violations[0].messages, (std::vector<MessageId>{{0, 0, 250}}));
  std::size_t highlighted = 0;
  for (const auto& m : p.timeline.marks) {
    if (!m.highlight) continue;
    ++highlighted;
    EXPECT_EQ(m.label, "s0#250");
  }
  EXPECT_EQ(highlighted, 1u) << "the send of s0#250, kept although the budget drops most messages";
  std::string html = timeline_html(p);
  EXPECT_EQ(count(html, R"(<g class="highlight">)"), 1u);
  EXPECT_NE(html.find("<span class=\"named\">[s0#250]</span>"), std::string::npos);
  EXPECT_NE(html.find("sender 0 seq 250 was sent and never received"), std::string::npos);
  EXPECT_NE(html.find("verdict: <b>violations</b>"), std::string::npos);
  EXPECT_TRUE(well_formed(html));
}

TEST(CaseTimeline, AReorderedPairIsDrawnRedWithItsArrows) {
  Builder b(1);
  b.sent(0, 0).sent(0, 1).got(0, 1).got(0, 0);
  RunOutcome r;
  r.history = b.h;
  std::string html = timeline_html(timeline_page(r, check_all(r), "t"));
  // Two sends and two receipts ringed, and both arrows red and thick.
  EXPECT_EQ(count(html, R"(<g class="highlight">)"), 4u) << html;
  EXPECT_EQ(count(html, R"(<line class="highlight")"), 2u) << html;
}

TEST(CaseTimeline, EveryTextIsEscapedAndNothingIsFetchedOrRun) {
  RunOutcome r = one_lost_of_300();
  Report rep = check_all(r);
  rep.violations[0].detail += " <script>alert('x')</script> & more";
  r.notes.push_back("a note with <b>markup</b>");
  std::string html = timeline_html(timeline_page(r, rep, "a \"title\" <with> & markup"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>markup"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; more"), std::string::npos);
  EXPECT_NE(html.find("a &quot;title&quot; &lt;with&gt; &amp; markup"), std::string::npos);
  for (const char* fetch : {"src=", "href=", "url(", "@import"}) EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  EXPECT_TRUE(well_formed(html));
}

TEST(CaseTimeline, ABlockedProcessGetsAMarkAtTheEndOfItsLane) {
  Builder b(1);
  b.sent(0, 0).got(0, 0).sent(0, 1, false);
  RunOutcome r;
  r.history = b.h;
  r.deadlock = true;
  r.stalled_ms = 2000;
  Blocked stuck;
  stuck.pid = 100;  // sender-0
  stuck.role = "sender-0";
  stuck.state = "S (sleeping)";
  stuck.wchan = "pipe_write";
  stuck.syscall = "write";
  r.diagnosis = {stuck};
  TimelinePage p = timeline_page(r, check_all(r), "deadlock");
  EXPECT_EQ(p.verdict, "deadlock");
  ASSERT_EQ(p.blocked.size(), 1u);
  const Mark& last = p.timeline.marks.back();
  EXPECT_EQ(last.kind, Mark::Kind::blocked);
  EXPECT_EQ(last.lane, 0u) << "sender-0's lane";
  EXPECT_EQ(last.label, "blocked in write (pipe_write)");
  EXPECT_NEAR(last.t_ms, 2000, 1) << "when the watchdog took the diagnosis";
  for (const auto& m : p.timeline.marks) EXPECT_LE(m.t_ms, last.t_ms);
  EXPECT_NE(timeline_html(p).find("Blocked when the run stalled"), std::string::npos);
}

TEST(CaseTimeline, AHistoryOfNoEventStillGivesAWellFormedPage) {
  RunOutcome r;
  Report rep;
  rep.verdict = "error";
  std::string html = timeline_html(timeline_page(r, rep, "nothing ran"));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("no events"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_TRUE(well_formed(html));
}

TEST(CaseTimeline, WriteReplacesTheFileWholeAndNamesAnUnwritableFolder) {
  auto dir = fs::temp_directory_path() / ("ipch-page-dir-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "timeline.html").string();
  std::ofstream(path) << "old";
  RunOutcome r = one_lost_of_300();
  ASSERT_TRUE(write_timeline(path, r, check_all(r), "t"));
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, timeline_html(timeline_page(r, check_all(r), "t")));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1) << "no temporary file left";
  auto bad = write_timeline((dir / "missing" / "timeline.html").string(), r, check_all(r), "t");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("missing/timeline.html"), std::string::npos) << bad.error();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ipch::test
