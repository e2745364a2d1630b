// Line charts as standalone SVG: no script, no external font or stylesheet, readable in a
// browser and embeddable in HTML. Used by `bench` (throughput and latency against message size)
// and by the claims report.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ipch::plot {

struct Point {
  double x = 0;
  double y = 0;
};

struct Series {
  std::string name;  // shown in the legend
  std::vector<Point> points;
  bool dashed = false;  // e.g. a calibration line, or a spinning variant
};

struct Chart {
  std::string title;
  std::string x_label;  // e.g. "message size (B)"
  std::string y_label;  // e.g. "throughput (MB/s)"
  bool log_x = true;
  bool log_y = true;
  std::vector<Series> series;
  // Horizontal reference lines (a limit, such as memcpy bandwidth), drawn across the plot.
  struct Reference {
    std::string name;
    double y = 0;
  };
  std::vector<Reference> references;
  int width = 900;
  int height = 520;
};

// The chart as one <svg> element with a title, axes with tick labels (powers of ten or of two
// on log axes: "8", "64", "1K", "64K", "1M" for sizes), one coloured polyline with point markers
// per series, and a legend naming every series. Points with x <= 0 or y <= 0 on a log axis
// are skipped. Text is XML-escaped. Never throws for an empty chart: it draws empty axes.
std::string svg(const Chart& c);

// A byte count the way the axis labels print it: 8, 512, 4K, 64K, 1M.
std::string size_label(double bytes);

// `s` with & < > " ' as entities and the control characters XML forbids dropped: safe as SVG,
// XML or HTML text and attribute values (xml_escape, kept under this name for the claims report).
std::string escape(std::string_view s);

}  // namespace ipch::plot
