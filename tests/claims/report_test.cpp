// The claims report: report.json's shape, the Markdown table, well-formed and escaped HTML with
// its table, plots and timelines, the timeline of a small fabricated history, and the terminal
// summary. Fabricated claims and bench figures: no experiment runs here.
#include "report.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "history.hpp"
#include "suite.hpp"
#include "timeline.hpp"

namespace ipch::claims {
namespace {

namespace fs = std::filesystem;

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto i = haystack.find(needle); i != std::string_view::npos; i = haystack.find(needle, i + needle.size())) ++n;
  return n;
}

// ---- a fabricated history: one sender, one receiver, a torn message, a kill --------------------

Event ev(std::uint64_t t_us, std::uint32_t worker, EventKind k, std::uint64_t seq = 0) {
  Event e;
  e.t_ns = 5'000'000'000ULL + t_us * 1000;  // the monotonic clock does not start at 0
  e.worker = worker;
  e.kind = k;
  e.seq = seq;
  e.sender = 0;
  e.size = 64;
  return e;
}

// Messages 0..n-1 sent by worker 0 and received by worker 1; message 7 arrives torn; the runner
// kills the receiver after message 9; the sender's next send fails with EPIPE.
History small_history(std::uint64_t n = 10) {
  History h;
  h.workers = {{0, WorkerRole::sender, 0, 4242}, {1, WorkerRole::receiver, 0, 4243}};
  h.faults = {"kill-receiver"};
  h.events.push_back(ev(0, 0, EventKind::started));
  h.events.push_back(ev(5, 1, EventKind::started));
  for (std::uint64_t s = 0; s < n; ++s) {
    h.events.push_back(ev(100 + s * 100, 0, EventKind::send_invoked, s));
    h.events.push_back(ev(110 + s * 100, 0, EventKind::send_ok, s));
    Event r = ev(150 + s * 100, 1, EventKind::received, s);
    if (s == 7) r.damage = Damage::bad_hash;
    h.events.push_back(r);
  }
  std::uint64_t end = 100 + n * 100;
  Event f = ev(end, 0, EventKind::fault, 0);
  f.worker = 0;
  f.sender = 1;  // the target
  f.err = static_cast<std::int32_t>(FaultAction::killed);
  h.events.push_back(f);
  Event x = ev(end + 20, 1, EventKind::exited);
  x.err = -SIGKILL;
  x.stopped = 1;
  h.events.push_back(x);
  h.events.push_back(ev(end + 50, 0, EventKind::send_invoked, n));
  Event fail = ev(end + 60, 0, EventKind::send_failed, n);
  fail.err = EPIPE;
  h.events.push_back(fail);
  Event done = ev(end + 90, 0, EventKind::exited);
  done.err = 0;
  h.events.push_back(done);
  return h;
}

// ---- fabricated claims and bench -------------------------------------------------------------

bench::Spread at(double v) { return {v, v * 0.9, v * 1.1, 3}; }

bench::Report fabricated_bench() {
  bench::Report r;
  r.machine = {{"kernel", "6.1.0-test"}, {"cpu", "Fabricated CPU @ 3 GHz"}, {"cpus", 2}, {"memory", "8 GiB"}};
  r.settings = {{"quick", true}};
  r.memcpy_mb_per_s = at(12000);
  r.memory_mb_per_s = at(6000);
  r.syscall_ns = at(80);
  r.spawn_pairs_per_s = at(900);
  r.harness_cases_per_s = at(40);
  struct Line {
    const char* mechanism;
    bench::Sync sync;
    double peak, half, rtt;
  };
  for (const Line& l : {Line{"pipe", bench::Sync::blocking, 3000, 2000, 9}, Line{"unix-stream", bench::Sync::blocking, 2500, 3000, 11},
                        Line{"posix-shm", bench::Sync::blocking, 6000, 600, 7}, Line{"posix-shm", bench::Sync::spinning, 9000, 300, 0.6},
                        Line{"sysv-msg", bench::Sync::blocking, 1500, 1500, 10}}) {
    for (std::size_t size : bench::sizes()) {
      bench::Figure f;
      f.mechanism = l.mechanism;
      f.sync = l.sync;
      f.size = size;
      double s = static_cast<double>(size);
      f.mb_per_s = at(l.peak * s / (s + l.half));
      f.msgs_per_s = at(f.mb_per_s.median * 1e6 / s);
      f.rtt_p50_us = at(l.rtt + s / 2000);
      f.rtt_p99_us = at(2 * (l.rtt + s / 2000));
      f.sent = f.received = 1000;
      r.figures.push_back(f);
    }
    r.floors.push_back({l.mechanism, l.sync, at(l.rtt * 0.9), at(l.rtt * 2)});
  }
  r.seconds = 31;
  return r;
}

struct Fixture {
  std::vector<Claim> claims;
  bench::Report bench = fabricated_bench();
  ReportInput in;
};

std::unique_ptr<Fixture> fabricated_report() {
  auto fx = std::make_unique<Fixture>();
  auto& c = fx->claims;
  c.push_back({"pipe-buf-atomic", "Writes of at most PIPE_BUF bytes to a pipe are atomic", false,
               "Pipes and Named Pipes", {"pipe", "fifo"}, false, {}});
  c.push_back({"shm-fastest-bulk", "Shared memory is the undisputed speed champion for high-volume data exchange",
               true, "Comparing Performance and Programming Complexity", {"posix-shm", "sysv-shm", "pipe"}, true, {}});
  c.push_back({"writer-blocks-when-reader-dies", "A writer can block indefinitely if the reader terminates", true,
               "Common Pitfalls 1", {"pipe", "unix-stream"}, false, {}});
  c.push_back({"escape-me", "a <script>alert(1)</script> & \"quotes\" | pipe's", true, "Section <b>", {"tcp"}, false, {}});
  std::vector<Checked> ch(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) ch[i].claim = &c[i];

  ch[0].finding.verdict = Verdict::holds;
  ch[0].finding.runs = {"200 runs of 2 writers x 1 reader, records of 1..4096 B"};
  ch[0].finding.evidence = {"0 torn records of 51200 at <= 4096 B"};
  ch[0].finding.measurements = {{"records", 51200}, {"torn", 0}, {"pipe_buf", 4096}, {"sizes", {1, 512, 4096}}};
  ch[0].seconds = 1.4;

  ch[1].finding.verdict = Verdict::holds_only_if;
  ch[1].finding.condition = "messages of at least 64 KiB; below that pipes are as fast";
  ch[1].finding.evidence = {"posix-shm 1 MiB: 5400 MB/s, pipe 1 MiB: 2990 MB/s", "at 64 B: pipe 9.0 us, posix-shm 7.0 us"};
  ch[1].finding.measurements = {{"ratio_1mib", 1.81}, {"per_size", {{{"size", 64}, {"ratio", 0.93}}, {{"size", 1048576}, {"ratio", 1.81}}}}};
  ch[1].finding.measurements["nested"] = {{"deep", {{"a", 1}, {"b", {{{"x", 1}, {"y", {{"z", 2}}}}}}}}};
  ch[1].seconds = 0.01;

  ch[2].finding.verdict = Verdict::refuted;
  ch[2].finding.condition = "the writer gets EPIPE at once when the reader dies; it never blocks";
  ch[2].finding.runs = {"1 writer, 1 reader killed after 10 messages, 20 runs"};
  ch[2].finding.evidence = {"20 of 20 writers: EPIPE within 0.2 ms of the kill", "0 of 20 blocked"};
  ch[2].finding.measurements = {{"runs", 20}, {"epipe", 20}, {"blocked", 0}};
  Counterexample cx;
  cx.summary = "the reader was killed after message 9; the writer's next write failed with EPIPE";
  cx.replay = "ipc-harness claims --only writer-blocks-when-reader-dies --seed 7";
  cx.timeline = from_history(small_history(), "pipe, stream 1x1, kill-receiver after 10: EPIPE");
  ch[2].finding.counterexamples = {cx, {"no timeline for this one", "ipc-harness replay x.json", std::nullopt}};
  ch[2].seconds = 2.5;

  ch[3].finding.verdict = Verdict::not_checked;
  ch[3].finding.condition = "socket(AF_INET): EAFNOSUPPORT <here> & there";
  ch[3].seconds = 0;

  fx->in.checked = std::move(ch);
  fx->in.bench = &fx->bench;
  fx->in.machine = fx->bench.machine;
  fx->in.seed = 18446744073709551615ULL;
  fx->in.quick = true;
  fx->in.seconds = 95;
  fx->in.command = "ipc-harness claims --quick --seed 18446744073709551615";
  return fx;
}

// ---- well-formedness -------------------------------------------------------------------------

constexpr int kNoPython = 127;

// xml.dom.minidom on each document: the HTML is written as XHTML-compatible markup, so a strict
// XML parser checks its nesting and escaping too.
int python_parse_status(const std::vector<std::string>& docs) {
  std::string python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  std::string cmd = python +
                    " -c 'import sys,xml.dom.minidom as m; "
                    "[m.parseString(d) for d in sys.stdin.buffer.read().split(bytes(1)) if d.strip()]' 2>&1";
  FILE* p = popen(cmd.c_str(), "w");
  if (p == nullptr) return kNoPython;
  for (const auto& d : docs) {
    std::fwrite(d.data(), 1, d.size(), p);
    std::fputc('\0', p);
  }
  int status = pclose(p);
  if (status == -1 || !WIFEXITED(status)) return kNoPython;
  return WEXITSTATUS(status);
}

// ---- timeline --------------------------------------------------------------------------------

TEST(ClaimsReportTimeline, LanesAreProcessesWithPidsAndARunnerLaneForFaults) {
  Timeline t = from_history(small_history(), "a title");
  ASSERT_EQ(t.lanes.size(), 3u);
  EXPECT_EQ(t.lanes[0], "sender-0 (pid 4242)");
  EXPECT_EQ(t.lanes[1], "receiver-0 (pid 4243)");
  EXPECT_EQ(t.lanes[2], "runner");
  EXPECT_EQ(t.title, "a title");
}

TEST(ClaimsReportTimeline, MarksEveryMessageFaultErrorAndExit) {
  Timeline t = from_history(small_history(10), "t");
  std::size_t sends = 0, receipts = 0, bad_receipts = 0;
  bool fault = false, epipe = false, sigkill = false, exit0 = false;
  for (const auto& m : t.marks) {
    sends += m.kind == Mark::Kind::send;
    receipts += m.kind == Mark::Kind::receive;
    if (m.kind == Mark::Kind::receive && m.bad) {
      ++bad_receipts;
      EXPECT_NE(m.label.find("s0#7"), std::string::npos) << m.label;
    }
    if (m.kind == Mark::Kind::fault) {
      fault = true;
      EXPECT_EQ(m.lane, 2u);
      EXPECT_EQ(m.label, "killed receiver-0");
    }
    if (m.kind == Mark::Kind::error && m.label.find("EPIPE") != std::string::npos) epipe = m.bad && m.lane == 0;
    if (m.kind == Mark::Kind::end && m.label == "SIGKILL") sigkill = !m.bad && m.lane == 1;  // killed on purpose
    if (m.kind == Mark::Kind::end && m.label == "exit 0") exit0 = !m.bad && m.lane == 0;
  }
  EXPECT_EQ(sends, 10u);
  EXPECT_EQ(receipts, 10u);
  EXPECT_EQ(bad_receipts, 1u);
  EXPECT_TRUE(fault && epipe && sigkill && exit0);
  ASSERT_EQ(t.links.size(), 10u);
  std::size_t bad_links = 0;
  for (const auto& l : t.links) {
    EXPECT_EQ(l.from_lane, 0u);
    EXPECT_EQ(l.to_lane, 1u);
    EXPECT_NEAR(l.to_ms - l.from_ms, 0.04, 1e-9);
    bad_links += l.bad;
  }
  EXPECT_EQ(bad_links, 1u);
  // Times are relative to the first event, in ms.
  for (const auto& m : t.marks) EXPECT_TRUE(m.t_ms >= 0 && m.t_ms < 2) << m.label << " " << m.t_ms;
  EXPECT_EQ(t.caption.find("left out"), std::string::npos) << t.caption;
}

TEST(ClaimsReportTimeline, KeepsTheBadAndTheFirstAndThoseNearTheFaultWithinTheBudget) {
  Timeline t = from_history(small_history(200), "t", 20);
  std::set<std::string> sent;
  bool torn = false;
  for (const auto& m : t.marks) {
    if (m.kind == Mark::Kind::send) sent.insert(m.label);
    torn |= m.kind == Mark::Kind::receive && m.bad;
  }
  EXPECT_TRUE(torn) << "the damaged message is always drawn";
  EXPECT_EQ(sent.size(), 21u) << "20 ordinary messages and the damaged one";
  EXPECT_TRUE(sent.count("s0#0") && sent.count("s0#9")) << "the first ones";
  EXPECT_TRUE(sent.count("s0#199")) << "the last message before the kill";
  EXPECT_FALSE(sent.count("s0#100"));
  // 201 messages: 200 sent, one failed with EPIPE (always drawn): 22 drawn, 179 left out.
  EXPECT_NE(t.caption.find("179 of 201 messages left out"), std::string::npos) << t.caption;
}

TEST(ClaimsReportTimeline, AnUnfinishedSendIsABadBlockedMark) {
  History h = small_history(3);
  h.events.resize(h.events.size() - 3);  // the run ends with the sender's last send in flight
  h.events.push_back(ev(10000, 0, EventKind::send_invoked, 3));
  Timeline t = from_history(h, "t");
  bool stuck = false;
  for (const auto& m : t.marks) stuck |= m.kind == Mark::Kind::blocked && m.bad && m.label == "s0#3 send unfinished";
  EXPECT_TRUE(stuck);
}

TEST(ClaimsReportTimeline, ASendThatTookLongIsABlockedMarkWithItsWait) {
  History h = small_history(3);
  for (auto& e : h.events) {
    if (e.kind == EventKind::send_invoked && e.seq == 1) e.t_ns -= 50'000'000;  // asleep 50 ms in send()
  }
  std::stable_sort(h.events.begin(), h.events.end(), [](const Event& a, const Event& b) { return a.t_ns < b.t_ns; });
  Timeline t = from_history(h, "t");
  std::vector<std::string> waits;
  for (const auto& m : t.marks)
    if (m.kind == Mark::Kind::blocked) waits.push_back(m.label + (m.bad ? " (bad)" : ""));
  EXPECT_EQ(waits, std::vector<std::string>{"s0#1 in send() 50 ms"});
}

TEST(ClaimsReportTimeline, AnExitIsBadUnlessTheRunnerOrAFaultEndedIt) {
  auto exit_marks = [](const History& h) {
    std::vector<Mark> out;
    for (const auto& m : from_history(h, "t").marks)
      if (m.kind == Mark::Kind::end) out.push_back(m);
    return out;
  };
  History h = small_history(3);
  for (auto& e : h.events)
    if (e.kind == EventKind::exited) e.stopped = 0;  // the exit event does not say it was on purpose
  auto ends = exit_marks(h);
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].label, "SIGKILL");
  EXPECT_FALSE(ends[0].bad) << "the plan killed it";
  EXPECT_FALSE(ends[1].bad) << "exit 0";

  std::erase_if(h.events, [](const Event& e) { return e.kind == EventKind::fault; });
  ends = exit_marks(h);
  EXPECT_TRUE(ends[0].bad) << "SIGKILL that no one asked for";
  for (auto& e : h.events)
    if (e.kind == EventKind::exited && e.err == 0) e.err = 3;
  EXPECT_TRUE(exit_marks(h)[1].bad) << "exit 3";
}

TEST(ClaimsReportTimeline, LabelsNearTheRightEdgeStayInside) {
  Timeline t;
  t.lanes = {"a"};
  const std::string label = "a long label at the very end of the run";
  t.marks = {{0, 0, Mark::Kind::send, "x"}, {0, 100, Mark::Kind::error, label, true}};
  std::string s = svg(t);
  auto at = s.find(">" + label + "<");
  ASSERT_NE(at, std::string::npos);
  auto x_at = s.rfind("<text x=\"", at);
  double x = std::stod(s.substr(x_at + 9));
  EXPECT_LE(x + 6.6 * static_cast<double>(label.size()), 960.0) << s.substr(x_at, 80);
}

TEST(ClaimsReportTimeline, TheAxisLeavesOutALongQuietStretchAndSaysHowLong) {
  Timeline t;
  t.lanes = {"a", "b"};
  for (int i = 0; i < 10; ++i) t.marks.push_back({0, 0.1 * i, Mark::Kind::send, "s"});
  t.marks.push_back({1, 300.5, Mark::Kind::end, "SIGKILL"});
  std::string s = svg(t);
  EXPECT_NE(s.find(">+299 ms<"), std::string::npos) << s.substr(s.find("quiet") - 300);
  EXPECT_NE(s.find("a quiet stretch left out"), std::string::npos);
  EXPECT_NE(s.find(">300.5<"), std::string::npos) << "ticks resume after the gap";
  // The marks of the first millisecond are spread over the axis, not squeezed into a pixel.
  std::vector<double> xs;
  for (auto at = s.find("<circle cx=\""); at != std::string::npos; at = s.find("<circle cx=\"", at + 1))
    xs.push_back(std::stod(s.substr(at + 12)));
  ASSERT_GE(xs.size(), 10u);
  std::sort(xs.begin(), xs.end());
  EXPECT_GT(xs.back() - xs.front(), 300) << "the first millisecond gets most of the width";

  Timeline even = t;
  even.marks.back().t_ms = 1.0;
  EXPECT_EQ(svg(even).find("quiet stretch"), std::string::npos);
}

TEST(ClaimsReportTimeline, EmptyHistoryGivesLanesAndACaption) {
  History h;
  h.workers = {{0, WorkerRole::client, 0, 7}};
  Timeline t = from_history(h, "nothing");
  EXPECT_EQ(t.lanes, std::vector<std::string>{"client (pid 7)"});
  EXPECT_TRUE(t.marks.empty());
  EXPECT_FALSE(t.caption.empty());
  EXPECT_NE(svg(t).find("no events"), std::string::npos);
}

TEST(ClaimsReportTimeline, SvgHasTitleLanesAxisLegendMarksAndCaption) {
  Timeline t = from_history(small_history(), "pipe <1x1> & \"kill\"");
  std::string s = svg(t);
  EXPECT_TRUE(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")) << s.substr(0, 80);
  EXPECT_EQ(count(s, "<svg"), 1u);
  EXPECT_NE(s.find("pipe &lt;1x1&gt; &amp; &quot;kill&quot;"), std::string::npos);
  EXPECT_EQ(s.find("<1x1>"), std::string::npos);
  for (const char* text : {">sender-0 (pid 4242)<", ">receiver-0 (pid 4243)<", ">runner<", ">killed receiver-0<",
                           ">SIGKILL<", ">exit 0<", "time since the first event (ms)", ">fault<", ">blocked<",
                           ">receipt<"}) {
    EXPECT_NE(s.find(text), std::string::npos) << text;
  }
  EXPECT_NE(s.find(">s0#10 EPIPE<"), std::string::npos);
  EXPECT_GE(count(s, "<circle"), 20u);        // 10 sends, 10 receipts (and the legend's)
  EXPECT_GE(count(s, "stroke=\"#d62728\""), 2u);  // the torn message: its receipt and its link
  EXPECT_NE(s.find(t.caption.substr(0, 20)), std::string::npos);
  EXPECT_EQ(s.find("nan"), std::string::npos);
  EXPECT_EQ(s.find("inf"), std::string::npos);
  EXPECT_EQ(count(s, "<script"), 0u);
}

TEST(ClaimsReportTimeline, HandMadeTimelinesWithOddValuesStayDrawable) {
  Timeline t;
  t.title = "odd";
  t.lanes = {"a"};
  t.marks = {{0, std::nan(""), Mark::Kind::note, "odd time"}, {5, 1, Mark::Kind::send, "lane out of range"},
             {0, 3, Mark::Kind::blocked, "blocked", true}};
  t.links = {{0, 9, 0, 1, false}};
  std::string s = svg(t);
  EXPECT_EQ(s.find("nan"), std::string::npos);
  EXPECT_EQ(s.find("lane out of range"), std::string::npos);
  EXPECT_NE(s.find(">blocked<"), std::string::npos);
}

TEST(ClaimsReportTimeline, SvgIsWellFormedXml) {
  std::vector<std::string> docs = {svg(from_history(small_history(), "a & b")), svg(from_history(small_history(300), "big", 40)),
                                   svg(Timeline{}), svg(from_history(History{}, "none"))};
  int status = python_parse_status(docs);
  if (status == kNoPython) GTEST_SKIP() << "no python3 here";
  EXPECT_EQ(status, 0) << "xml.dom.minidom rejected a timeline (its error is printed above)";
}

// ---- JSON ------------------------------------------------------------------------------------

TEST(ClaimsReportJson, HasTheDocumentedShape) {
  auto fx = fabricated_report();
  nlohmann::json j = to_json(fx->in);
  for (const char* k : {"version", "seed", "quick", "seconds", "command", "machine", "verdicts", "claims", "bench"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["seed"].get<std::uint64_t>(), 18446744073709551615ULL);
  EXPECT_EQ(j["verdicts"], (nlohmann::json{{"holds", 1}, {"refuted", 1}, {"holds-only-if", 1}, {"not-checked", 1}}));
  ASSERT_EQ(j["claims"].size(), 4u);
  for (const auto& c : j["claims"]) {
    for (const char* k : {"id", "claim", "mechanisms", "verdict", "evidence"}) EXPECT_TRUE(c.contains(k)) << k;
  }
  EXPECT_EQ(j["claims"][2]["verdict"], "refuted");
  EXPECT_EQ(j["claims"][2]["why"], fx->in.checked[2].finding.condition);
  EXPECT_EQ(j["claims"][1]["condition"], fx->in.checked[1].finding.condition);
  EXPECT_EQ(j["claims"][3]["reason"], fx->in.checked[3].finding.condition);
  const auto& cx = j["claims"][2]["evidence"]["counterexamples"];
  ASSERT_EQ(cx.size(), 2u);
  EXPECT_EQ(cx[0]["timeline_svg"], "plots/writer-blocks-when-reader-dies-1.svg");
  EXPECT_FALSE(cx[1].contains("timeline_svg"));
  EXPECT_EQ(j["bench"]["format"], 1);

  fx->in.bench = nullptr;
  EXPECT_FALSE(to_json(fx->in).contains("bench"));
}

// ---- Markdown --------------------------------------------------------------------------------

TEST(ClaimsReportMarkdown, HasTheTableWithARowPerClaimAndTheSections) {
  auto fx = fabricated_report();
  std::string md = markdown(fx->in);
  EXPECT_NE(md.find("| claim | sentence | mechanisms | verdict | evidence |"), std::string::npos);
  for (const auto& c : fx->in.checked) {
    EXPECT_EQ(count(md, "| [" + c.claim->id + "](#" + c.claim->id + ") |"), 1u) << c.claim->id;
    EXPECT_EQ(count(md, "\n## " + c.claim->id + "\n"), 1u) << c.claim->id;
  }
  EXPECT_NE(md.find("**refuted**"), std::string::npos);
  EXPECT_NE(md.find("\u201cA writer can block indefinitely if the reader terminates\u201d (Common Pitfalls 1)"),
            std::string::npos);
  EXPECT_NE(md.find("![throughput](plots/throughput.svg)"), std::string::npos);
  EXPECT_NE(md.find("![timeline](plots/writer-blocks-when-reader-dies-1.svg)"), std::string::npos);
  EXPECT_NE(md.find("`ipc-harness claims --only writer-blocks-when-reader-dies --seed 7`"), std::string::npos);
  // A '|' in a cell would split the row.
  EXPECT_NE(md.find("\\| pipe's"), std::string::npos);
  // Quoted markup stays text; a comparison stays readable.
  EXPECT_EQ(md.find("<script>"), std::string::npos);
  EXPECT_NE(md.find("&lt;script>"), std::string::npos);
  EXPECT_NE(md.find("at <= 4096 B"), std::string::npos);
  EXPECT_NE(md.find("1 holds, 1 refuted, 1 holds-only-if, 1 not-checked"), std::string::npos);
  EXPECT_NE(md.find("`per_size`:\n\n| ratio | size |\n|---|---|\n| 0.93 | 64 |\n| 1.81 | 1048576 |\n"), std::string::npos);
}

// ---- HTML ------------------------------------------------------------------------------------

TEST(ClaimsReportHtml, HasTheTablePlotsAndASectionPerClaim) {
  auto fx = fabricated_report();
  std::string h = html(fx->in);
  EXPECT_TRUE(h.starts_with("<!DOCTYPE html>"));
  EXPECT_EQ(count(h, "<table id=\"claims\">"), 1u);
  auto table = h.substr(h.find("<table id=\"claims\">"));
  table = table.substr(0, table.find("</table>"));
  EXPECT_EQ(count(table, "<tr class=\"v-"), fx->in.checked.size());
  EXPECT_EQ(count(h, "<section id=\"plots\">"), 1u);
  auto plots = h.substr(h.find("<section id=\"plots\">"));
  plots = plots.substr(0, plots.find("</section>"));
  EXPECT_EQ(count(plots, "<svg"), 2u);
  EXPECT_NE(plots.find("One-way throughput by message size"), std::string::npos);
  EXPECT_NE(plots.find("posix-shm (spinning)"), std::string::npos);
  for (const auto& c : fx->in.checked) {
    EXPECT_EQ(count(h, "<section class=\"claim\" id=\"" + c.claim->id + "\">"), 1u) << c.claim->id;
  }
  EXPECT_EQ(count(h, "class=\"timeline\""), 1u);
  EXPECT_NE(h.find("<code>ipc-harness claims --only writer-blocks-when-reader-dies --seed 7</code>"), std::string::npos);
  EXPECT_NE(h.find("<span class=\"badge v-holds-only-if\">holds-only-if</span>"), std::string::npos);
  // A list of runs with the same fields is a table, a row per run; anything else is name and value.
  EXPECT_NE(h.find("<caption>per_size</caption>\n<tr><th>ratio</th><th>size</th></tr>\n<tr><td>0.93</td><td>64</td></tr>"),
            std::string::npos);
  EXPECT_NE(h.find("<tr><td>ratio_1mib</td><td>1.81</td></tr>"), std::string::npos);
  EXPECT_NE(h.find("<tr><td>nested.deep.b[0].y.z</td><td>2</td></tr>"), std::string::npos);
  EXPECT_NE(h.find("6.1.0-test"), std::string::npos);
  EXPECT_NE(h.find("18446744073709551615"), std::string::npos);
  // Self-contained: no script, nothing fetched.
  EXPECT_EQ(count(h, "<script"), 0u);
  EXPECT_EQ(count(h, " src="), 0u);
  EXPECT_EQ(count(h, "<link"), 0u);
  EXPECT_EQ(count(h, "url("), 0u);
}

TEST(ClaimsReportHtml, EscapesEveryText) {
  auto fx = fabricated_report();
  std::string h = html(fx->in);
  EXPECT_NE(h.find("a &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; | pipe&apos;s"), std::string::npos);
  EXPECT_NE(h.find("Section &lt;b&gt;"), std::string::npos);
  EXPECT_NE(h.find("EAFNOSUPPORT &lt;here&gt; &amp; there"), std::string::npos);
  EXPECT_EQ(count(h, "<b>") , count(h, "</b>"));
}

TEST(ClaimsReportHtml, IsWellFormedAndSaysWhenTheBenchDidNotRun) {
  auto fx = fabricated_report();
  std::string with = html(fx->in);
  fx->in.bench = nullptr;
  std::string without = html(fx->in);
  EXPECT_NE(without.find("The bench did not run"), std::string::npos);
  int status = python_parse_status({with, without});
  if (status == kNoPython) GTEST_SKIP() << "no python3 here";
  EXPECT_EQ(status, 0) << "xml.dom.minidom rejected the page (its error is printed above)";
}

// ---- files and summary -----------------------------------------------------------------------

TEST(ClaimsReportFiles, WritesJsonMarkdownHtmlAndPlotsAndDropsStaleDrawings) {
  fs::path dir = fs::current_path() / "claims-report-files-test";
  fs::remove_all(dir);
  fs::create_directories(dir / "plots");
  std::ofstream(dir / "plots" / "old-claim-1.svg") << "<svg/>";
  auto fx = fabricated_report();
  auto written = write_report(dir.string(), fx->in);
  for (const char* f : {"report.json", "report.md", "report.html", "plots/throughput.svg", "plots/latency.svg",
                        "plots/writer-blocks-when-reader-dies-1.svg"}) {
    EXPECT_TRUE(fs::is_regular_file(dir / f)) << f;
    EXPECT_GT(fs::file_size(dir / f), 100u) << f;
  }
  EXPECT_EQ(written.size(), 6u);
  EXPECT_FALSE(fs::exists(dir / "plots" / "old-claim-1.svg"));
  std::ifstream in(dir / "report.json");
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["claims"].size(), 4u);
  fs::remove_all(dir);
}

TEST(ClaimsReportFiles, ThrowsNamingTheFolderItCannotWrite) {
  auto fx = fabricated_report();
  fs::path file = fs::current_path() / "claims-report-not-a-folder";
  std::ofstream(file) << "x";
  try {
    write_report((file / "sub").string(), fx->in);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("claims-report-not-a-folder"), std::string::npos) << e.what();
  }
  fs::remove(file);
}

TEST(ClaimsReportSummary, OneAlignedLinePerClaimWithin120ColumnsAndTheCounts) {
  auto fx = fabricated_report();
  fx->in.checked[0].finding.evidence = {std::string(300, 'x') + " \u2192 \u00e9"};
  std::ostringstream out;
  print_summary(out, fx->in);
  std::string s = out.str();
  std::istringstream lines(s);
  std::string line;
  std::size_t verdict_col = std::string::npos, rows = 0;
  while (std::getline(lines, line)) {
    std::size_t chars = 0;
    for (char ch : line) chars += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    EXPECT_LE(chars, 120u) << line;
    for (const auto& c : fx->in.checked) {
      if (!line.starts_with(c.claim->id + " ")) continue;
      ++rows;
      std::size_t col = line.find(std::string(to_string(c.finding.verdict)));
      if (verdict_col == std::string::npos) verdict_col = col;
      EXPECT_EQ(col, verdict_col) << line;
    }
  }
  EXPECT_EQ(rows, 4u);
  EXPECT_NE(s.find("4 claims: 1 holds, 1 refuted, 1 holds-only-if, 1 not-checked"), std::string::npos) << s;
  EXPECT_NE(s.find("\u2026"), std::string::npos) << "a long evidence line is cut";
}

// The fabricated report, for a human to look at and for tests/report/check_report.py --report
// when `ipc-harness claims` is not there. Into the working directory (ctest's is the build tree).
TEST(ClaimsReportFiles, WritesAnExampleForAHumanToLookAt) {
  fs::path dir = fs::current_path() / "claims-report-example";
  auto fx = fabricated_report();
  write_report(dir.string(), fx->in);
  EXPECT_TRUE(fs::is_regular_file(dir / "report.html"));
  print_summary(std::cout, fx->in);
  std::cout << "example report: " << (dir / "report.html").string() << "\n";
}

}  // namespace
}  // namespace ipch::claims
