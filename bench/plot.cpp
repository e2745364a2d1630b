#include "plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>

#include "xml_escape.hpp"

namespace ipch::plot {

namespace {

// Tableau 10: distinguishable under the common colour-vision deficiencies, and ten colours
// before a repeat (the second round uses hollow markers so repeated colours stay apart).
constexpr std::array<std::string_view, 10> kPalette = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                                       "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

constexpr double kFontSize = 12;
// No font is embedded, so text widths are estimated: about this many pixels per character.
constexpr double kCharWidth = 7.0;

double text_width(std::string_view s, double font_size = kFontSize) {
  std::size_t chars = 0;
  for (char ch : s) chars += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;  // UTF-8 code points
  return static_cast<double>(chars) * kCharWidth * font_size / kFontSize;
}

// Coordinates with one decimal keep the files small; a tenth of a pixel is invisible.
std::string num(double v) {
  if (std::abs(v) < 0.05) v = 0;  // never print "-0.0"
  return fmt::format("{:.1f}", v);
}

std::string trim_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// 0.01, 1, 1k, 10k, 1M for log ticks, where a column of zeros is hard to read.
std::string compact_number(double v) {
  static constexpr std::array<std::pair<double, const char*>, 3> kUnits = {{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
  for (auto [scale, suffix] : kUnits) {
    if (std::abs(v) >= scale) return trim_zeros(fmt::format("{:.3f}", v / scale)) + suffix;
  }
  if (v == 0) return "0";
  if (std::abs(v) < 1e-3) return fmt::format("{:.0e}", v);
  return fmt::format("{:.4g}", v);
}

struct Range {
  double lo = 0;
  double hi = 0;
};

struct Tick {
  double value = 0;
  std::string label;
};

struct Axis {
  bool log = false;
  Range range;
  std::vector<Tick> major;
  std::vector<double> minor;  // unlabelled, on log axes only

  // 0 at range.lo, 1 at range.hi.
  double fraction(double v) const {
    if (log) return (std::log10(v) - std::log10(range.lo)) / (std::log10(range.hi) - std::log10(range.lo));
    return (v - range.lo) / (range.hi - range.lo);
  }
};

// Absurd magnitudes would overflow the range arithmetic into inf and NaN coordinates.
bool usable(double v, bool log) {
  return std::isfinite(v) && std::abs(v) < 1e100 && (!log || v > 1e-100);
}

bool usable(const Point& p, bool log_x, bool log_y) {
  return usable(p.x, log_x) && usable(p.y, log_y);
}

std::optional<Range> extent(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return Range{*lo, *hi};
}

// A range with room around the data, so no marker sits on the frame; a single value is
// widened into a range around it.
Range padded(std::optional<Range> data, bool log) {
  Range r = data.value_or(log ? Range{1, 1000} : Range{0, 1});
  if (log) {
    double lo = std::log10(r.lo), hi = std::log10(r.hi);
    if (hi - lo < 1e-9) {
      lo -= 0.5;
      hi += 0.5;
    }
    double pad = (hi - lo) * 0.05;
    return {std::pow(10.0, lo - pad), std::pow(10.0, hi + pad)};
  }
  if (r.hi - r.lo < 1e-12 * std::max(1.0, std::abs(r.hi))) {
    double half = r.lo == 0 ? 1.0 : std::abs(r.lo) * 0.5;
    r = {r.lo - half, r.hi + half};
  }
  double pad = (r.hi - r.lo) * 0.05;
  // A non-negative quantity keeps its zero baseline instead of dipping below it.
  double lo = (r.lo >= 0 && r.lo - pad < 0) ? 0 : r.lo - pad;
  return {lo, r.hi + pad};
}

// The smallest 1, 2 or 5 x 10^k step that puts at most 8 ticks in the range.
double nice_step(Range r) {
  double span = r.hi - r.lo;
  double step = std::pow(10.0, std::floor(std::log10(span)) - 2);
  static constexpr std::array<double, 3> kMantissas = {1, 2, 5};
  for (int i = 0;; ++i) {
    double s = step * kMantissas[i % 3] * std::pow(10.0, i / 3);
    if (std::floor(r.hi / s) - std::ceil(r.lo / s) + 1 <= 8) return s;
  }
}

// Labels share the step's unit and decimals, so a column reads 0, 0.5, 1.0 or 0, 5k, 10k.
std::string linear_label(double v, double step) {
  if (std::abs(v) < step * 1e-6) return "0";
  double scale = 1;
  const char* suffix = "";
  if (step >= 1e9) {
    scale = 1e9, suffix = "G";
  } else if (step >= 1e6) {
    scale = 1e6, suffix = "M";
  } else if (step >= 1e3) {
    scale = 1e3, suffix = "k";
  }
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step / scale) + 1e-9)));
  return fmt::format("{:.{}f}{}", v / scale, decimals, suffix);
}

std::vector<Tick> linear_ticks(Range r) {
  double step = nice_step(r);
  std::vector<Tick> ticks;
  for (double k = std::ceil(r.lo / step - 1e-9); k <= std::floor(r.hi / step + 1e-9); ++k) {
    ticks.push_back({k * step, linear_label(k * step, step)});
  }
  return ticks;
}

// The smallest of `steps` that leaves at most max_ticks of the exponents lo..hi that it divides.
int exponent_step(int lo, int hi, std::initializer_list<int> steps, int max_ticks = 8) {
  auto count = [&](int d) {
    int n = 0;
    for (int e = lo; e <= hi; ++e) n += (e % d == 0);
    return n;
  };
  for (int d : steps) {
    if (count(d) <= max_ticks) return d;
  }
  return *(steps.end() - 1);
}

// Every power of two, or every 4x, 8x, ... when the range is wide; 1K and 1M are powers of two,
// so message sizes land on ticks. Size labels are short, so a wide plot takes up to 10.
void size_ticks(Axis& a, int max_ticks) {
  int lo = std::max(0, static_cast<int>(std::ceil(std::log2(a.range.lo) - 1e-9)));
  int hi = static_cast<int>(std::floor(std::log2(a.range.hi) + 1e-9));
  int d = exponent_step(lo, hi, {1, 2, 3, 4, 5, 10, 20}, max_ticks);
  for (int e = lo; e <= hi; ++e) {
    double v = std::ldexp(1.0, e);
    if (e % d == 0) {
      a.major.push_back({v, size_label(v)});
    } else {
      a.minor.push_back(v);
    }
  }
}

// For a range too narrow for powers of ten to mark: 1, 2 and 5 x 10^k.
std::vector<Tick> one_two_five_ticks(Range r) {
  std::vector<Tick> ticks;
  for (int e = static_cast<int>(std::floor(std::log10(r.lo))); e <= static_cast<int>(std::ceil(std::log10(r.hi)));
       ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      double v = m * std::pow(10.0, e);
      if (v >= r.lo && v <= r.hi) ticks.push_back({v, compact_number(v)});
    }
  }
  return ticks;
}

// Unlabelled marks at m x 10^k, as on log paper, to read values between the labelled ticks.
std::vector<double> log_paper_marks(Range r, std::initializer_list<int> multiples) {
  std::vector<double> marks;
  for (int e = static_cast<int>(std::floor(std::log10(r.lo))); e <= static_cast<int>(std::ceil(std::log10(r.hi)));
       ++e) {
    for (int m : multiples) {
      double v = m * std::pow(10.0, e);
      if (v >= r.lo && v <= r.hi) marks.push_back(v);
    }
  }
  return marks;
}

void decade_ticks(Axis& a) {
  int lo = static_cast<int>(std::ceil(std::log10(a.range.lo) - 1e-9));
  int hi = static_cast<int>(std::floor(std::log10(a.range.hi) + 1e-9));
  // Two or fewer powers of ten leave the reader guessing, so 1-2-5 steps label the range instead.
  if (hi - lo < 2) {
    a.major = one_two_five_ticks(a.range);
    a.minor = log_paper_marks(a.range, {3, 4, 6, 7, 8, 9});
    // Inside a decade, 1-2-5 may mark only one or two values; even steps mark more.
    if (a.major.size() < 3) {
      a.major = linear_ticks(a.range);
      a.minor.clear();
    }
    return;
  }
  int d = exponent_step(lo, hi, {1, 2, 3, 4, 5, 10, 20, 50, 100});
  for (int e = lo; e <= hi; ++e) {
    double v = std::pow(10.0, e);
    if (e % d == 0) {
      a.major.push_back({v, compact_number(v)});
    } else {
      a.minor.push_back(v);
    }
  }
  // Log-paper marks only where decades are wide enough to tell them apart.
  if (d == 1 && hi - lo <= 6) a.minor = log_paper_marks(a.range, {2, 3, 4, 5, 6, 7, 8, 9});
}

bool is_power_of_two(double v) {
  if (!(v >= 1) || v != std::floor(v)) return false;
  int e = 0;
  return std::frexp(v, &e) == 0.5;
}

bool mentions_bytes(std::string label) {
  std::transform(label.begin(), label.end(), label.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return label.find("(b)") != std::string::npos || label.find("byte") != std::string::npos;
}

// Message sizes: an x axis labelled in bytes, or one whose every value is a power of two.
bool looks_like_sizes(const Chart& c, const std::vector<double>& xs) {
  if (!c.log_x) return false;
  if (mentions_bytes(c.x_label)) return true;
  return !xs.empty() && std::all_of(xs.begin(), xs.end(), is_power_of_two);
}

// Linear steps on a log axis crowd together at its top end; labels that would touch are dropped.
void drop_crowded_ticks(Axis& a, double length, bool horizontal) {
  if (a.major.size() < 3) return;
  std::vector<Tick> kept = {a.major.front()};
  for (std::size_t i = 1; i < a.major.size(); ++i) {
    const Tick& t = a.major[i];
    double gap = (a.fraction(t.value) - a.fraction(kept.back().value)) * length;
    double need = horizontal ? (text_width(t.label) + text_width(kept.back().label)) / 2 + 8 : kFontSize + 4;
    if (gap >= need) kept.push_back(t);
  }
  a.major = std::move(kept);
}

Axis make_axis(const std::vector<double>& values, bool log, bool sizes, double length, bool horizontal) {
  Axis a;
  a.log = log;
  a.range = padded(extent(values), log);
  if (!log) {
    a.major = linear_ticks(a.range);
  } else if (sizes) {
    size_ticks(a, std::clamp(static_cast<int>(length / 60), 4, 10));
    // Less than a power of two apart: sizes that are not powers of two, marked in decades.
    if (a.major.size() < 2) {
      a.major.clear();
      a.minor.clear();
      decade_ticks(a);
    }
  } else {
    decade_ticks(a);
  }
  drop_crowded_ticks(a, length, horizontal);
  return a;
}

std::vector<double> x_values(const Chart& c) {
  std::vector<double> xs;
  for (const auto& s : c.series) {
    for (const auto& p : s.points) {
      if (usable(p, c.log_x, c.log_y)) xs.push_back(p.x);
    }
  }
  return xs;
}

std::vector<double> y_values(const Chart& c) {
  std::vector<double> ys;
  for (const auto& s : c.series) {
    for (const auto& p : s.points) {
      if (usable(p, c.log_x, c.log_y)) ys.push_back(p.y);
    }
  }
  for (const auto& r : c.references) {
    if (usable(r.y, c.log_y)) ys.push_back(r.y);
  }
  return ys;
}

struct Box {
  double left = 0, top = 0, right = 0, bottom = 0;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
};

double widest(const std::vector<Tick>& ticks) {
  double w = 0;
  for (const auto& t : ticks) w = std::max(w, text_width(t.label));
  return w;
}

constexpr double kSwatch = 26;  // legend sample line, then a gap before the name

double legend_width(const Chart& c) {
  if (c.series.empty()) return 0;
  double w = 0;
  for (const auto& s : c.series) w = std::max(w, text_width(s.name));
  return kSwatch + 8 + w;
}

// Top and bottom margins depend only on which labels exist, so they are known before the y axis.
Box plot_rows(const Chart& c, double height) {
  Box b;
  b.top = c.title.empty() ? 16 : 44;
  b.bottom = height - (c.x_label.empty() ? 30 : 50);
  return b;
}

Box plot_area(const Chart& c, double width, double height, const Axis& y) {
  Box b = plot_rows(c, height);
  b.left = 14 + widest(y.major) + (c.y_label.empty() ? 0 : 22);
  double legend = c.series.empty() ? 0 : 20 + legend_width(c);
  b.right = width - std::clamp(legend, 20.0, width * 0.4);
  return b;
}

struct Canvas {
  Axis x, y;
  Box box;
  double px(double v) const { return box.left + x.fraction(v) * box.width(); }
  double py(double v) const { return box.bottom - y.fraction(v) * box.height(); }
};

void line(std::string& out, double x1, double y1, double x2, double y2, std::string_view attrs) {
  out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" {}/>)", num(x1), num(y1), num(x2), num(y2), attrs);
  out += '\n';
}

void text(std::string& out, double x, double y, std::string_view s, std::string_view attrs) {
  out += fmt::format(R"(<text x="{}" y="{}" {}>{}</text>)", num(x), num(y), attrs, escape(s));
  out += '\n';
}

void draw_x_axis(std::string& out, const Canvas& cv) {
  for (const auto& t : cv.x.major) {
    double x = cv.px(t.value);
    line(out, x, cv.box.top, x, cv.box.bottom, R"(stroke="#e6e6e6")");
    line(out, x, cv.box.bottom, x, cv.box.bottom + 5, R"(stroke="#333")");
    text(out, x, cv.box.bottom + 18, t.label, R"(text-anchor="middle")");
  }
  for (double v : cv.x.minor) line(out, cv.px(v), cv.box.bottom, cv.px(v), cv.box.bottom + 3, R"(stroke="#333")");
}

void draw_y_axis(std::string& out, const Canvas& cv) {
  for (const auto& t : cv.y.major) {
    double y = cv.py(t.value);
    line(out, cv.box.left, y, cv.box.right, y, R"(stroke="#e6e6e6")");
    line(out, cv.box.left - 5, y, cv.box.left, y, R"(stroke="#333")");
    text(out, cv.box.left - 8, y + 4, t.label, R"(text-anchor="end")");
  }
  for (double v : cv.y.minor) line(out, cv.box.left - 3, cv.py(v), cv.box.left, cv.py(v), R"(stroke="#333")");
}

void draw_frame(std::string& out, const Canvas& cv) {
  const Box& b = cv.box;
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#bbb"/>)", num(b.left),
                     num(b.top), num(b.width()), num(b.height()));
  out += '\n';
  line(out, b.left, b.bottom, b.right, b.bottom, R"(stroke="#333")");
  line(out, b.left, b.top, b.left, b.bottom, R"(stroke="#333")");
}

void draw_labels(std::string& out, const Chart& c, const Canvas& cv, double width, double height) {
  if (!c.title.empty()) text(out, width / 2, 27, c.title, R"(text-anchor="middle" font-size="16" font-weight="bold")");
  if (!c.x_label.empty()) {
    text(out, (cv.box.left + cv.box.right) / 2, height - 12, c.x_label, R"(text-anchor="middle")");
  }
  if (!c.y_label.empty()) {
    double x = 16, y = (cv.box.top + cv.box.bottom) / 2;
    text(out, x, y, c.y_label, fmt::format(R"a(text-anchor="middle" transform="rotate(-90 {} {})")a", num(x), num(y)));
  }
}

void draw_references(std::string& out, const Chart& c, const Canvas& cv) {
  for (const auto& r : c.references) {
    if (!usable(r.y, c.log_y)) continue;
    double y = cv.py(r.y);
    line(out, cv.box.left, y, cv.box.right, y, R"(stroke="#777" stroke-width="1.5" stroke-dasharray="6 4")");
    // Above the line, unless that would leave the plot.
    double label_y = y - 6 < cv.box.top + 12 ? y + 14 : y - 6;
    text(out, cv.box.right - 4, label_y, r.name, R"(text-anchor="end" fill="#555" font-size="11")");
  }
}

struct Style {
  std::string_view colour;
  bool hollow = false;
  bool dashed = false;
};

Style style_of(const Chart& c, std::size_t i) {
  return {kPalette[i % kPalette.size()], i >= kPalette.size(), c.series[i].dashed};
}

std::string stroke_attrs(const Style& st) {
  return fmt::format(R"(fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"{})", st.colour,
                     st.dashed ? R"( stroke-dasharray="6 4")" : "");
}

void marker(std::string& out, double x, double y, const Style& st) {
  if (st.hollow) {
    out += fmt::format(R"(<circle cx="{}" cy="{}" r="3.5" fill="white" stroke="{}" stroke-width="1.5"/>)", num(x),
                       num(y), st.colour);
  } else {
    out += fmt::format(R"(<circle cx="{}" cy="{}" r="3" fill="{}"/>)", num(x), num(y), st.colour);
  }
  out += '\n';
}

void draw_series(std::string& out, const Chart& c, const Canvas& cv) {
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    std::vector<Point> pts;
    for (const auto& p : c.series[i].points) {
      if (usable(p, c.log_x, c.log_y)) pts.push_back(p);
    }
    // A line chart reads left to right, whatever order the measurements were taken in.
    std::stable_sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
    Style st = style_of(c, i);
    std::string coords;
    for (const auto& p : pts) {
      coords += fmt::format("{}{},{}", coords.empty() ? "" : " ", num(cv.px(p.x)), num(cv.py(p.y)));
    }
    out += "<g>\n";
    out += fmt::format(R"(<polyline {} points="{}"/>)", stroke_attrs(st), coords);
    out += '\n';
    for (const auto& p : pts) marker(out, cv.px(p.x), cv.py(p.y), st);
    out += "</g>\n";
  }
}

// Cuts a name to fit the legend, at a UTF-8 character boundary so the XML stays valid.
std::string fit(std::string_view name, double room, double font_size) {
  if (text_width(name, font_size) <= room) return std::string(name);
  std::string out(name);
  while (!out.empty() && text_width(out, font_size) + text_width("…", font_size) > room) {
    // Continuation bytes (10xxxxxx) go with the lead byte before them.
    unsigned char last = 0;
    do {
      last = static_cast<unsigned char>(out.back());
      out.pop_back();
    } while (!out.empty() && (last & 0xC0) == 0x80);
  }
  return out + "…";
}

void draw_legend(std::string& out, const Chart& c, const Canvas& cv, double width) {
  if (c.series.empty()) return;
  double n = static_cast<double>(c.series.size());
  double row = std::clamp(cv.box.height() / n, 10.0, 18.0);
  double font = std::min(kFontSize, row - 2);
  double x0 = cv.box.right + 16;
  double room = width - 6 - (x0 + kSwatch);
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    Style st = style_of(c, i);
    double y = cv.box.top + row * (static_cast<double>(i) + 0.5);
    line(out, x0, y, x0 + 20, y, stroke_attrs(st));
    marker(out, x0 + 10, y, st);
    const std::string& name = c.series[i].name;
    std::string shown = fit(name, room, font);
    std::string attrs = fmt::format(R"(font-size="{}")", num(font));
    if (shown == name) {
      text(out, x0 + kSwatch, y + font * 0.35, name, attrs);
    } else {
      // The full name stays available as a tooltip.
      out += fmt::format("<g><title>{}</title>\n", escape(name));
      text(out, x0 + kSwatch, y + font * 0.35, shown, attrs);
      out += "</g>\n";
    }
  }
}

}  // namespace

std::string escape(std::string_view s) { return xml_escape(s); }

std::string size_label(double bytes) {
  if (!std::isfinite(bytes)) return "?";
  if (std::abs(bytes) < 1024) return fmt::format("{:.0f}", bytes);
  static constexpr std::array<const char*, 5> kUnits = {"K", "M", "G", "T", "P"};
  double v = bytes;
  std::size_t unit = 0;
  for (v /= 1024; std::abs(v) >= 1024 && unit + 1 < kUnits.size(); v /= 1024) ++unit;
  return trim_zeros(fmt::format("{:.2f}", v)) + kUnits[unit];
}

std::string svg(const Chart& c) {
  // Too small a canvas leaves no room for the plot between the margins.
  double width = std::max(c.width, 320), height = std::max(c.height, 200);
  std::vector<double> xs = x_values(c);
  Canvas cv;
  // y first: its tick labels set the left margin, and the plot's width sets how many x ticks fit.
  cv.y = make_axis(y_values(c), c.log_y, false, plot_rows(c, height).height(), false);
  cv.box = plot_area(c, width, height, cv.y);
  cv.x = make_axis(xs, c.log_x, looks_like_sizes(c, xs), cv.box.width(), true);

  std::string out;
  out += fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
                     R"(font-family="sans-serif" font-size="12" role="img">)",
                     width, height);
  out += '\n';
  if (!c.title.empty()) out += fmt::format("<title>{}</title>\n", escape(c.title));
  out += R"(<rect width="100%" height="100%" fill="white"/>)";
  out += '\n';
  draw_x_axis(out, cv);
  draw_y_axis(out, cv);
  draw_frame(out, cv);
  draw_references(out, c, cv);
  draw_series(out, c, cv);
  draw_legend(out, c, cv, width);
  draw_labels(out, c, cv, width, height);
  out += "</svg>\n";
  return out;
}

}  // namespace ipch::plot
