// SVG line charts: size labels, the parts a reader needs (title, axes, a line and a legend
// entry per series), escaping, no NaN for degenerate data, and well-formed XML.
#include "plot.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ipch::plot {
namespace {

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto i = haystack.find(needle); i != std::string_view::npos; i = haystack.find(needle, i + needle.size())) ++n;
  return n;
}

// Throughput against message size, shaped like a real run: a per-message cost that large
// messages amortise.
Series throughput(std::string name, double peak, double half_size, bool dashed = false) {
  Series s{std::move(name), {}, dashed};
  for (double size = 8; size <= 1 << 20; size *= 2) s.points.push_back({size, peak * size / (size + half_size)});
  return s;
}

Chart three_series() {
  Chart c;
  c.title = "Throughput by message size";
  c.x_label = "message size (B)";
  c.y_label = "throughput (MB/s)";
  c.series = {throughput("pipe", 4000, 2000), throughput("unix socket", 3000, 3000),
              throughput("shm ring", 9000, 500, true)};
  c.references = {{"memcpy", 12000}};
  return c;
}

Chart one_point() {
  Chart c;
  c.title = "one";
  c.series = {{"only", {{4096, 12.5}}}};
  return c;
}

Chart non_positive_on_log_axes() {
  Chart c;
  c.title = "zeros";
  c.series = {{"zeros", {{0, 1}, {-8, 5}, {64, 0}, {128, -3}}}, {"one good", {{0, 0}, {256, 7}}}};
  c.references = {{"zero limit", 0}, {"negative limit", -1}};
  return c;
}

Chart all_equal_linear() {
  Chart c;
  c.title = "flat";
  c.log_x = c.log_y = false;
  c.series = {{"flat", {{3, 0}, {3, 0}, {3, 0}}}, {"not finite", {{NAN, 1}, {2, INFINITY}}}};
  return c;
}

Chart fifteen_series() {
  Chart c;
  c.title = "Round-trip latency";
  c.x_label = "message size (B)";
  c.y_label = "latency (us)";
  for (int i = 0; i < 15; ++i) {
    Series s{"mechanism number " + std::to_string(i), {}, i % 4 == 3};
    for (double size = 64; size <= 65536; size *= 4) s.points.push_back({size, (1 + i) * 0.8 + size / 2000.0});
    c.series.push_back(s);
  }
  return c;
}

std::vector<Chart> samples() {
  return {three_series(), Chart{}, one_point(), non_positive_on_log_axes(), all_equal_linear(), fifteen_series()};
}

bool has_nan_or_inf(const std::string& s) {
  std::string lower;
  for (char ch : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower.find("nan") != std::string::npos || lower.find("inf") != std::string::npos;
}

// Element nesting, a single root, and no bare '&' or '<' in text: enough of well-formedness to
// catch what a string-built SVG gets wrong. Returns what is wrong, or "" when nothing is.
std::string xml_shape_error(std::string_view doc) {
  std::vector<std::string_view> open;
  int roots = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t lt = doc.find('<', i);
    std::string_view between = doc.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i);
    if (between.find('>') != std::string_view::npos) return "a bare '>' in text";
    for (auto amp = between.find('&'); amp != std::string_view::npos; amp = between.find('&', amp + 1)) {
      auto rest = between.substr(amp);
      bool entity = false;
      for (std::string_view e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) entity |= rest.starts_with(e);
      if (!entity) return "a bare '&' in text";
    }
    if (open.empty() && between.find_first_not_of(" \t\r\n") != std::string_view::npos) return "text outside the root";
    if (lt == std::string_view::npos) break;
    std::size_t gt = doc.find('>', lt);
    if (gt == std::string_view::npos) return "an unterminated tag";
    std::string_view tag = doc.substr(lt + 1, gt - lt - 1);
    if (tag.find('<') != std::string_view::npos) return "a '<' inside a tag";
    i = gt + 1;
    if (tag.starts_with("/")) {
      std::string_view name = tag.substr(1);
      if (open.empty() || open.back() != name) return "</" + std::string(name) + "> closes nothing open";
      open.pop_back();
      continue;
    }
    if (open.empty()) ++roots;
    if (tag.ends_with("/")) continue;
    open.push_back(tag.substr(0, tag.find_first_of(" \t\r\n/")));
  }
  if (!open.empty()) return "<" + std::string(open.back()) + "> is never closed";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

// A real XML parser, when the machine has python3; the status of a shell that found no python.
constexpr int kNoPython = 127;

int python_parse_status(const std::vector<std::string>& docs) {
  // /usr/bin/python3 first: a version manager's shim in PATH can take half a second to start.
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

TEST(SizeLabel, PrintsBytesWithBinaryUnits) {
  EXPECT_EQ(size_label(8), "8");
  EXPECT_EQ(size_label(512), "512");
  EXPECT_EQ(size_label(1023), "1023");
  EXPECT_EQ(size_label(1024), "1K");
  EXPECT_EQ(size_label(1536), "1.5K");
  EXPECT_EQ(size_label(4096), "4K");
  EXPECT_EQ(size_label(65536), "64K");
  EXPECT_EQ(size_label(1048576), "1M");
  EXPECT_EQ(size_label(1 << 30), "1G");
}

TEST(PlotSvg, HasOneRootTitleAxisLabelsAndALineAndLegendEntryPerSeries) {
  std::string s = svg(three_series());
  EXPECT_EQ(count(s, "<svg"), 1u);
  EXPECT_TRUE(s.starts_with(R"(<svg xmlns="http://www.w3.org/2000/svg")")) << s.substr(0, 200);
  EXPECT_NE(s.find(R"(viewBox="0 0 900 520")"), std::string::npos);
  EXPECT_NE(s.find(R"(width="900")"), std::string::npos);
  EXPECT_EQ(count(s, "<polyline"), 3u);
  for (const char* name : {"pipe", "unix socket", "shm ring", "memcpy"}) EXPECT_EQ(count(s, name), 1u) << name;
  EXPECT_NE(s.find(">Throughput by message size</text>"), std::string::npos);
  EXPECT_NE(s.find(">message size (B)</text>"), std::string::npos);
  EXPECT_NE(s.find(">throughput (MB/s)</text>"), std::string::npos);
  EXPECT_NE(s.find("stroke-dasharray"), std::string::npos);
  EXPECT_EQ(count(s, "<script"), 0u);
  EXPECT_EQ(count(s, "href"), 0u);
}

TEST(PlotSvg, LabelsSizeTicksInPowersOfTwoAndLogYInPowersOfTen) {
  Chart c = three_series();
  std::string wide = svg(c);
  for (const char* tick : {">16<", ">256<", ">1K<", ">4K<", ">64K<", ">1M<", ">100<", ">1k<", ">10k<"}) {
    EXPECT_NE(wide.find(tick), std::string::npos) << tick;
  }
  // A narrower plot has room for fewer labels: every 8x.
  c.width = 600;
  std::string narrow = svg(c);
  for (const char* tick : {">8<", ">64<", ">512<", ">4K<", ">32K<", ">256K<"}) {
    EXPECT_NE(narrow.find(tick), std::string::npos) << tick;
  }
  EXPECT_EQ(narrow.find(">1K<"), std::string::npos);
}

TEST(PlotSvg, EscapesEveryText) {
  Chart c = three_series();
  c.title = "it's \"fast\"";
  c.series[0].name = "a<b & c";
  c.references[0].name = "x>y";
  std::string s = svg(c);
  EXPECT_NE(s.find("a&lt;b &amp; c"), std::string::npos);
  EXPECT_EQ(s.find("a<b & c"), std::string::npos);
  EXPECT_NE(s.find("it&apos;s &quot;fast&quot;"), std::string::npos);
  EXPECT_NE(s.find("x&gt;y"), std::string::npos);
  EXPECT_EQ(xml_shape_error(s), "");
}

TEST(PlotSvg, DegenerateChartsHaveNoNanOrInf) {
  for (const Chart& c : {Chart{}, one_point(), non_positive_on_log_axes(), all_equal_linear()}) {
    std::string s = svg(c);
    EXPECT_FALSE(has_nan_or_inf(s)) << s;
    EXPECT_EQ(count(s, "<polyline"), c.series.size());
    EXPECT_EQ(xml_shape_error(s), "") << s;
  }
}

TEST(PlotSvg, EmptyChartStillDrawsTickedAxes) {
  std::string s = svg(Chart{});
  EXPECT_GE(count(s, "<text"), 4u);
  EXPECT_GE(count(s, "<line"), 4u);
}

TEST(PlotSvg, ManySeriesGetDistinctLooksAndAllLegendNames) {
  Chart c = fifteen_series();
  std::string s = svg(c);
  EXPECT_EQ(count(s, "<polyline"), 15u);
  for (const auto& series : c.series) EXPECT_EQ(count(s, ">" + series.name + "<"), 1u) << series.name;
  // Ten colours, then the same colours again with hollow markers.
  EXPECT_GT(count(s, R"(fill="white" stroke=)"), 0u);
}

TEST(PlotSvg, IsWellFormedXml) {
  std::vector<std::string> docs;
  for (const Chart& c : samples()) docs.push_back(svg(c));
  for (const auto& d : docs) EXPECT_EQ(xml_shape_error(d), "") << d;
  int status = python_parse_status(docs);
  if (status == kNoPython) GTEST_SKIP() << "no python3 here; the tag-balance check above stands alone";
  EXPECT_EQ(status, 0) << "xml.dom.minidom rejected a chart (its error is printed above)";
}

// Into the working directory (ctest's is the build tree), never the machine's temp folder: a
// file left there would look like a run's leftover.
TEST(PlotSvg, WritesAnExampleForAHumanToLookAt) {
  std::string path = (std::filesystem::current_path() / "plot-example.svg").string();
  std::ofstream(path) << svg(three_series());
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::cout << "example chart: " << path << "\n";
}

}  // namespace
}  // namespace ipch::plot
