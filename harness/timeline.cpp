#include "timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "history.hpp"
#include "xml_escape.hpp"

namespace ipch {

namespace {

// ---- from a history ------------------------------------------------------------------------

std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : fmt::format("errno {}", e);
}

std::string signal_name(int s) {
  const char* n = sigabbrev_np(s);
  return n ? fmt::format("SIG{}", n) : fmt::format("signal {}", s);
}

// One message as the history tells it: (sender, seq, link) names it across processes.
struct Message {
  std::optional<std::size_t> sent;    // its send_ok
  std::optional<std::size_t> failed;  // its send_failed
  std::optional<std::size_t> invoked_open;  // a send_invoked not (yet) answered by ok or failed
  std::optional<std::size_t> slow;          // the send_invoked of a send that took long to return
  std::vector<std::size_t> receipts;
  std::vector<std::size_t> blocked;  // would_block events
  double t_ms = 0;    // when it first appears
  bool always = false;  // damaged, failed, duplicated, slow or unfinished: drawn whatever the budget
  bool highlight = false;  // a violation names it
};

using Key = std::tuple<std::uint32_t, std::uint64_t, std::uint8_t>;

std::string message_label(const Event& e) {
  return fmt::format("{}{}#{}", e.link ? "r" : "s", e.sender, e.seq);
}

// Of the ordinary messages (sorted by time), the ones to draw: the first half of the budget
// from the start, the rest those nearest a moment worth seeing (a fault, an error, damage).
std::set<std::size_t> choose(const std::vector<double>& times, const std::vector<double>& moments,
                             std::size_t budget) {
  std::set<std::size_t> keep;
  if (times.size() <= budget) {
    for (std::size_t i = 0; i < times.size(); ++i) keep.insert(i);
    return keep;
  }
  std::size_t first = moments.empty() ? budget : budget / 2;
  for (std::size_t i = 0; i < first; ++i) keep.insert(i);
  if (moments.empty()) return keep;
  std::vector<std::pair<double, std::size_t>> by_distance;
  for (std::size_t i = first; i < times.size(); ++i) {
    double d = INFINITY;
    for (double m : moments) d = std::min(d, std::abs(times[i] - m));
    by_distance.push_back({d, i});
  }
  std::stable_sort(by_distance.begin(), by_distance.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [d, i] : by_distance) {
    if (keep.size() >= budget) break;
    keep.insert(i);
  }
  return keep;
}

// ---- drawing -------------------------------------------------------------------------------

constexpr double kWidth = 960;
constexpr double kLaneHeight = 48;
constexpr double kCharWidth = 6.6;  // at font-size 11; no font is embedded, so widths are estimates
constexpr std::string_view kInk = "#1f3b57";
constexpr std::string_view kBad = "#d62728";
constexpr std::string_view kFault = "#e07b00";
constexpr std::string_view kLink = "#7f9cc0";

std::string num(double v) {
  if (!std::isfinite(v) || std::abs(v) < 0.05) v = 0;
  return fmt::format("{:.1f}", v);
}

double finite(double v) { return std::isfinite(v) ? v : 0; }

double text_width(std::string_view s, double char_width = kCharWidth) {
  std::size_t chars = 0;
  for (char ch : s) chars += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return static_cast<double>(chars) * char_width;
}

// Ticks every 1, 2 or 5 times a power of ten, about `count` of them across `span`.
double tick_step(double span, double count) {
  double raw = span / std::max(count, 1.0);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

std::string tick_label(double v, double step) {
  int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  if (std::abs(v) < step * 1e-6) v = 0;
  return fmt::format("{:.{}f}", v, decimals);
}

// Words to lines at most `max_px` wide, at `char_width` pixels a character.
std::vector<std::string> wrap(std::string_view s, double max_px, double char_width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find(' ', i);
    std::string_view word = s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    if (!line.empty() && text_width(line, char_width) + text_width(word, char_width) + char_width > max_px) {
      lines.push_back(line);
      line.clear();
    }
    if (!word.empty()) line += (line.empty() ? "" : " ") + std::string(word);
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string colour_of(const Mark& m) {
  if (m.bad || m.highlight) return std::string(kBad);
  if (m.kind == Mark::Kind::fault) return std::string(kFault);
  if (m.kind == Mark::Kind::note || (m.kind == Mark::Kind::error)) return "#555";
  return std::string(kInk);
}

// The shape of a mark centred on (x, y).
void shape(std::string& out, Mark::Kind k, double x, double y, std::string_view c) {
  switch (k) {
    case Mark::Kind::send:
      out += fmt::format(R"(<circle cx="{}" cy="{}" r="4.5" fill="{}"/>)", num(x), num(y), c);
      break;
    case Mark::Kind::receive:
      out += fmt::format(R"(<circle cx="{}" cy="{}" r="4.5" fill="white" stroke="{}" stroke-width="2"/>)", num(x),
                         num(y), c);
      break;
    case Mark::Kind::fault:
      out += fmt::format(R"(<path d="M{} {} L{} {} L{} {} Z" fill="{}" stroke="#333" stroke-width="0.8"/>)",
                         num(x - 7), num(y - 7), num(x + 7), num(y - 7), num(x), num(y + 6), c);
      break;
    case Mark::Kind::error:
      out += fmt::format(R"(<path d="M{} {} L{} {} M{} {} L{} {}" stroke="{}" stroke-width="2.6" fill="none"/>)",
                         num(x - 5), num(y - 5), num(x + 5), num(y + 5), num(x - 5), num(y + 5), num(x + 5),
                         num(y - 5), c);
      break;
    case Mark::Kind::blocked:
      // A hatched bar: a wait that did not return.
      out += fmt::format(R"(<rect x="{}" y="{}" width="14" height="14" fill="#fbe3a1" stroke="{}" stroke-width="1.5"/>)",
                         num(x - 7), num(y - 7), c);
      out += fmt::format(R"(<path d="M{} {} L{} {} M{} {} L{} {} M{} {} L{} {}" stroke="{}" stroke-width="1"/>)",
                         num(x - 7), num(y + 2), num(x - 2), num(y - 7), num(x - 6), num(y + 7), num(x + 7),
                         num(y - 6), num(x + 2), num(y + 7), num(x + 7), num(y + 2), c);
      break;
    case Mark::Kind::end:
      out += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="3.5"/>)", num(x),
                         num(y - 12), num(y + 12), c);
      break;
    case Mark::Kind::note:
      out += fmt::format(R"(<path d="M{} {} L{} {} L{} {} L{} {} Z" fill="{}"/>)", num(x), num(y - 5), num(x + 5),
                         num(y), num(x), num(y + 5), num(x - 5), num(y), c);
      break;
  }
}

std::string_view kind_word(Mark::Kind k) {
  switch (k) {
    case Mark::Kind::send: return "send";
    case Mark::Kind::receive: return "receive";
    case Mark::Kind::fault: return "fault";
    case Mark::Kind::error: return "error";
    case Mark::Kind::blocked: return "blocked";
    case Mark::Kind::end: return "end";
    case Mark::Kind::note: return "note";
  }
  return "mark";
}

// Label rows above and below each lane, filled first come first served so labels never overlap;
// a label that finds no room is left to the mark's tooltip.
class LabelRows {
 public:
  explicit LabelRows(std::size_t lanes) : used_(lanes * 2) {}
  // The row (0 above, 1 below) where [lo, hi] is free on `lane`, now taken; -1 if none.
  int place(std::size_t lane, double lo, double hi) {
    for (int row = 0; row < 2; ++row) {
      auto& taken = used_[lane * 2 + static_cast<std::size_t>(row)];
      bool free = std::none_of(taken.begin(), taken.end(),
                               [&](const auto& r) { return lo < r.second + 4 && r.first < hi + 4; });
      if (free) {
        taken.push_back({lo, hi});
        return row;
      }
    }
    return -1;
  }

 private:
  std::vector<std::vector<std::pair<double, double>>> used_;
};

// Where a mark's label starts: centred over the mark (right of an exit bar), kept inside the
// drawing so a mark near either edge still has its label whole.
double label_left(const Mark& m, double x) {
  double w = text_width(m.label);
  double lo = m.kind == Mark::Kind::end ? x + 5 : x - w / 2;
  return std::max(8.0, std::min(lo, kWidth - 6 - w));
}

bool important(const Mark& m) { return m.bad || m.highlight || (m.kind != Mark::Kind::send && m.kind != Mark::Kind::receive); }

// The time axis, cut where nothing happens for long: a run that works for 15 ms, waits 300 ms
// and is then killed reads as two busy stretches and a marked gap, not as two specks.
class TimeAxis {
 public:
  static constexpr double kBreak = 46;  // px for a skipped stretch

  TimeAxis(std::vector<double> times, double left, double right) {
    if (times.empty()) times.push_back(0);
    std::sort(times.begin(), times.end());
    double lo = times.front(), hi = times.back();
    if (hi - lo < 1e-3) hi = lo + 1;
    const double span = hi - lo;
    // The largest quiet stretches, at most three, each over a fifth of the run.
    std::vector<std::pair<double, std::size_t>> gaps;
    for (std::size_t i = 0; i + 1 < times.size(); ++i) {
      double d = times[i + 1] - times[i];
      if (d > 0.2 * span) gaps.push_back({d, i});
    }
    std::sort(gaps.rbegin(), gaps.rend());
    if (gaps.size() > 3) gaps.resize(3);
    std::vector<std::size_t> cuts;
    for (const auto& g : gaps) cuts.push_back(g.second);
    std::sort(cuts.begin(), cuts.end());
    // Busy stretches between the cuts, padded a little into the quiet on either side.
    std::size_t first = 0;
    for (std::size_t k = 0; k <= cuts.size(); ++k) {
      std::size_t last = k < cuts.size() ? cuts[k] : times.size() - 1;
      double a = times[first], b = times[last];
      // Room around the stretch in its own scale: a busy millisecond keeps its width.
      double pad = b > a ? 0.05 * (b - a) : 0.002 * span;
      double pad_before = k == 0 ? pad : std::min(pad, (a - times[first - 1]) / 4);
      double pad_after = k == cuts.size() ? pad : std::min(pad, (times[last + 1] - b) / 4);
      segments_.push_back({a - pad_before, std::max(b + pad_after, a - pad_before + 1e-3), 0, 0});
      first = last + 1;
    }
    // Widths in proportion to duration, but wide enough for a few marks.
    const double room = right - left - kBreak * static_cast<double>(segments_.size() - 1);
    const double min_w = std::min(90.0, room / static_cast<double>(segments_.size()));
    double total = 0;
    for (const auto& g : segments_) total += g.b - g.a;
    std::vector<double> w(segments_.size());
    double fixed = 0, flexible = 0;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      w[i] = room * (segments_[i].b - segments_[i].a) / total;
      if (w[i] < min_w) w[i] = min_w, fixed += min_w;
      else flexible += w[i];
    }
    for (std::size_t i = 0; i < segments_.size(); ++i)
      if (w[i] > min_w && flexible > 0) w[i] *= (room - fixed) / flexible;
    double x = left;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      segments_[i].x0 = x;
      segments_[i].w = w[i];
      x += w[i] + kBreak;
    }
  }

  double x(double ms) const {
    ms = finite(ms);
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      const Segment& g = segments_[i];
      if (ms <= g.b || i + 1 == segments_.size()) {
        if (ms < g.a && i > 0) {  // in the skipped stretch before this one
          const Segment& p = segments_[i - 1];
          return p.x0 + p.w + (ms - p.b) / (g.a - p.b) * kBreak;
        }
        return g.x0 + (ms - g.a) / (g.b - g.a) * g.w;
      }
    }
    return 0;
  }

  // Grid lines, ticks and their labels; a gap mark and the time it skips at every cut.
  void draw(std::string& out, double top, double axis_y) const {
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      const Segment& g = segments_[i];
      out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333"/>)", num(g.x0), num(axis_y),
                         num(g.x0 + g.w), num(axis_y));
      out += '\n';
      double step = tick_step(g.b - g.a, g.w / 85);
      for (double v = std::ceil(g.a / step - 1e-9) * step; v <= g.b + step * 1e-6; v += step) {
        double px = x(v);
        out += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#e3e3e3"/>)", num(px), num(top),
                           num(axis_y));
        out += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#333"/>)", num(px), num(axis_y),
                           num(axis_y + 5));
        out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)", num(px), num(axis_y + 17),
                           tick_label(v, step));
        out += '\n';
      }
      if (i == 0) continue;
      const Segment& p = segments_[i - 1];
      double x0 = p.x0 + p.w, mid = x0 + kBreak / 2;
      out += fmt::format(
          R"(<rect x="{}" y="{}" width="{}" height="{}" fill="white" fill-opacity="0.75" stroke="#9aa3ad" )"
          R"(stroke-dasharray="3 3"/>)",
          num(x0 + 4), num(top), num(kBreak - 8), num(axis_y - top));
      out += fmt::format(R"(<path d="M{} {} l6 -10 M{} {} l6 -10" stroke="#333" stroke-width="1.2"/>)", num(mid - 6),
                         num(axis_y + 5), num(mid), num(axis_y + 5));
      out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#555">+{} ms</text>)", num(mid),
                         num(axis_y + 17), tick_label(g.a - p.b, tick_step(g.a - p.b, 10)));
      out += '\n';
    }
  }

  std::size_t cuts() const { return segments_.size() - 1; }

 private:
  struct Segment {
    double a, b;    // ms
    double x0, w;   // px
  };
  std::vector<Segment> segments_;
};

void legend(std::string& out, double x, double y) {
  struct Item {
    Mark::Kind kind;
    std::string_view colour, word;
  };
  const std::array<Item, 8> items = {{{Mark::Kind::send, kInk, "send"},
                                      {Mark::Kind::receive, kInk, "receipt"},
                                      {Mark::Kind::note, kLink, "message (send to receipt)"},
                                      {Mark::Kind::fault, kFault, "fault"},
                                      {Mark::Kind::error, "#555", "error / end of stream"},
                                      {Mark::Kind::blocked, kInk, "blocked"},
                                      {Mark::Kind::end, kInk, "exit"},
                                      {Mark::Kind::receive, kBad, "red: damaged, failed or stuck"}}};
  for (const auto& it : items) {
    if (it.word.starts_with("message")) {
      out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.2"/>)", num(x - 6),
                         num(y + 4), num(x + 8), num(y - 4), it.colour);
    } else {
      shape(out, it.kind, x, y, it.colour);
    }
    out += fmt::format(R"(<text x="{}" y="{}">{}</text>)", num(x + 12), num(y + 4), xml_escape(it.word));
    out += '\n';
    x += 12 + text_width(it.word) + 22;
  }
}

}  // namespace

Timeline from_history(const History& h, std::string title, std::size_t max_messages, const TimelineFocus& focus) {
  Timeline t;
  t.title = std::move(title);
  std::map<std::uint32_t, std::uint32_t> lane_of;  // worker index -> lane
  for (const auto& w : h.workers) {
    lane_of[w.index] = static_cast<std::uint32_t>(t.lanes.size());
    t.lanes.push_back(fmt::format("{} (pid {})", w.name(), w.pid));
  }
  auto lane = [&](std::uint32_t worker) {
    auto [it, added] = lane_of.try_emplace(worker, static_cast<std::uint32_t>(t.lanes.size()));
    if (added) t.lanes.push_back(fmt::format("worker {}", worker));
    return it->second;
  };
  // A process the diagnosis found blocked: its lane by pid, else by role.
  auto stuck_lane = [&](const TimelineFocus::Stuck& s) {
    for (const auto& w : h.workers)
      if (s.pid != 0 && w.pid == s.pid) return lane(w.index);
    for (const auto& w : h.workers)
      if (!s.role.empty() && w.name() == s.role) return lane(w.index);
    auto l = static_cast<std::uint32_t>(t.lanes.size());
    t.lanes.push_back(fmt::format("{} (pid {})", s.role.empty() ? "process" : s.role, s.pid));
    return l;
  };
  if (h.events.empty()) {
    for (const auto& s : focus.stuck) t.marks.push_back({stuck_lane(s), 0, Mark::Kind::blocked, s.label, true});
    t.caption = "The history holds no event.";
    return t;
  }
  std::uint64_t t0 = h.events.front().t_ns;
  for (const auto& e : h.events) t0 = std::min(t0, e.t_ns);
  auto ms = [&](const Event& e) { return static_cast<double>(e.t_ns - t0) / 1e6; };
  double span = 0;
  for (const auto& e : h.events) span = std::max(span, ms(e));
  // A send that sat in the kernel this long is a wait worth drawing.
  const double slow_send_ms = std::max(1.0, span / 10);

  std::map<Key, Message> messages;
  std::vector<Key> order;  // first appearance
  auto message = [&](const Event& e) -> Message& {
    Key k{e.sender, e.seq, e.link};
    auto [it, added] = messages.try_emplace(k);
    if (added) {
      order.push_back(k);
      it->second.t_ms = ms(e);
    }
    return it->second;
  };
  std::vector<double> moments;  // faults, errors, damage: the messages near them are drawn first
  const std::set<Key> named = [&] {
    std::set<Key> keys;
    for (const MessageId& m : focus.messages) keys.insert({m.sender, m.seq, m.link});
    return keys;
  }();
  std::optional<std::uint32_t> runner;
  std::set<std::uint32_t> killed;  // workers a fault killed
  std::size_t faults = 0, errors = 0;
  for (std::size_t i = 0; i < h.events.size(); ++i) {
    const Event& e = h.events[i];
    switch (e.kind) {
      case EventKind::send_invoked:
        message(e).invoked_open = i;
        break;
      case EventKind::send_ok: {
        Message& m = message(e);
        m.sent = i;
        if (m.invoked_open && ms(e) - ms(h.events[*m.invoked_open]) >= slow_send_ms) {
          m.slow = m.invoked_open;
          m.always = true;
          moments.push_back(ms(h.events[*m.slow]));
        }
        m.invoked_open.reset();
        break;
      }
      case EventKind::send_failed: {
        Message& m = message(e);
        m.failed = i;
        m.invoked_open.reset();
        m.always = true;
        moments.push_back(ms(e));
        ++errors;
        break;
      }
      case EventKind::received: {
        Message& m = message(e);
        m.receipts.push_back(i);
        if (e.damage != Damage::none || m.receipts.size() > 1) {
          m.always = true;
          moments.push_back(ms(e));
        }
        break;
      }
      case EventKind::would_block:
        message(e).blocked.push_back(i);
        break;
      case EventKind::receive_failed: {
        bool eos = e.err == kEndOfStream;
        t.marks.push_back({lane(e.worker), ms(e), Mark::Kind::error, eos ? "end of stream" : errno_name(e.err), !eos});
        if (!eos) {
          moments.push_back(ms(e));
          ++errors;
        }
        break;
      }
      case EventKind::exited: {
        // A worker the plan killed ended on purpose too, whatever its exit event says.
        bool on_purpose = e.stopped != 0 || killed.count(e.worker);
        std::string label = e.err >= 0 ? fmt::format("exit {}", e.err) : signal_name(-e.err);
        t.marks.push_back({lane(e.worker), ms(e), Mark::Kind::end, label, e.err != 0 && !on_purpose});
        break;
      }
      case EventKind::fault: {
        if (!runner) {
          runner = static_cast<std::uint32_t>(t.lanes.size());
          t.lanes.push_back("runner");
        }
        std::string target = e.sender < h.workers.size() ? h.workers[e.sender].name() : fmt::format("worker {}", e.sender);
        auto action = static_cast<FaultAction>(e.err);
        if (action == FaultAction::killed) killed.insert(e.sender);
        std::string label = action == FaultAction::bystander ? "started " + target
                                                              : fmt::format("{} {}", to_string(action), target);
        t.marks.push_back({*runner, ms(e), Mark::Kind::fault, label, false});
        moments.push_back(ms(e));
        ++faults;
        break;
      }
      default:
        break;
    }
  }
  for (auto& [k, m] : messages) {
    if (m.invoked_open) {
      m.always = true;
      moments.push_back(ms(h.events[*m.invoked_open]));
    }
    if (named.count(k)) {
      m.always = m.highlight = true;
      moments.push_back(m.t_ms);
    }
  }

  std::vector<const Message*> ordinary;
  std::vector<double> times;
  std::size_t lost = 0;
  for (const Key& k : order) {
    const Message& m = messages[k];
    if (m.sent && m.receipts.empty()) ++lost;
    if (!m.always) {
      ordinary.push_back(&m);
      times.push_back(m.t_ms);
    }
  }
  std::set<std::size_t> chosen = choose(times, moments, max_messages);
  std::set<const Message*> drawn;
  for (std::size_t i : chosen) drawn.insert(ordinary[i]);
  std::size_t total = messages.size(), shown = 0;
  for (const Key& k : order) {
    const Message& m = messages[k];
    if (!m.always && !drawn.count(&m)) continue;
    ++shown;
    const std::size_t first_mark = t.marks.size(), first_link = t.links.size();
    std::optional<std::pair<std::uint32_t, double>> from;
    if (m.sent) {
      const Event& e = h.events[*m.sent];
      from = {lane(e.worker), ms(e)};
      t.marks.push_back({from->first, from->second, Mark::Kind::send, message_label(e), false});
    }
    if (m.failed) {
      const Event& e = h.events[*m.failed];
      t.marks.push_back({lane(e.worker), ms(e), Mark::Kind::error,
                         fmt::format("{} {}", message_label(e), errno_name(e.err)), true});
    }
    if (m.invoked_open) {
      const Event& e = h.events[*m.invoked_open];
      t.marks.push_back({lane(e.worker), ms(e), Mark::Kind::blocked,
                         fmt::format("{} send unfinished", message_label(e)), true});
    }
    if (m.slow && m.sent) {
      const Event& e = h.events[*m.slow];
      t.marks.push_back({lane(e.worker), ms(e), Mark::Kind::blocked,
                         fmt::format("{} in send() {:.0f} ms", message_label(e), ms(h.events[*m.sent]) - ms(e)),
                         false});
    }
    for (std::size_t b : m.blocked) {
      const Event& e = h.events[b];
      t.marks.push_back({lane(e.worker), ms(e), Mark::Kind::blocked, message_label(e) + " EAGAIN", false});
    }
    for (std::size_t r = 0; r < m.receipts.size(); ++r) {
      const Event& e = h.events[m.receipts[r]];
      bool damaged = e.damage != Damage::none, duplicate = r > 0;
      std::string label = message_label(e);
      if (damaged) label += fmt::format(": {}", to_string(e.damage));
      if (duplicate) label += " again";
      t.marks.push_back({lane(e.worker), ms(e), Mark::Kind::receive, label, damaged || duplicate});
      if (from) t.links.push_back({from->first, lane(e.worker), from->second, ms(e), damaged || duplicate});
    }
    if (m.highlight) {
      for (std::size_t i = first_mark; i < t.marks.size(); ++i) t.marks[i].highlight = true;
      for (std::size_t i = first_link; i < t.links.size(); ++i) t.links[i].highlight = true;
    }
  }
  // Where each blocked process stopped: at the end of its lane, when the diagnosis was taken.
  const double stuck_ms = focus.stuck_at_ns > t0 ? static_cast<double>(focus.stuck_at_ns - t0) / 1e6 : span;
  for (const auto& s : focus.stuck) t.marks.push_back({stuck_lane(s), stuck_ms, Mark::Kind::blocked, s.label, true});
  std::stable_sort(t.marks.begin(), t.marks.end(), [](const Mark& a, const Mark& b) { return a.t_ms < b.t_ms; });

  t.caption = fmt::format("{} message(s), {} fault(s), {} error(s), {} sent and never received.", total, faults,
                          errors, lost);
  if (shown < total) {
    t.caption += fmt::format(" {} of {} messages left out: drawn are every damaged, failed, slow or unfinished one, the first "
                             "{} and those nearest a fault or an error.",
                             total - shown, total, moments.empty() ? max_messages : max_messages / 2);
  }
  std::size_t highlighted = 0;
  for (const auto& [k, m] : messages) highlighted += m.highlight;
  if (highlighted)
    t.caption += fmt::format(" Red and bold: the {} message(s) the violations name.", highlighted);
  if (!focus.stuck.empty())
    t.caption += fmt::format(" At the end of a lane: where the {} blocked process(es) stopped.", focus.stuck.size());
  t.caption += " Times in ms since the first event.";
  return t;
}

std::string svg(const Timeline& t) {
  try {
    double label_w = 60;
    for (const auto& l : t.lanes) label_w = std::max(label_w, text_width(l, 7.0));
    label_w = std::min(label_w, 280.0);
    const double left = 16 + label_w + 14, right = kWidth - 60;
    const std::vector<std::string> title = wrap(t.title, kWidth - 32, 8.6);
    const std::size_t title_rows = std::max<std::size_t>(1, title.size());
    const double lanes_top = 32 + 20.0 * static_cast<double>(title_rows) + 14;
    const std::size_t n = std::max<std::size_t>(t.lanes.size(), 1);
    const double axis_y = lanes_top + kLaneHeight * static_cast<double>(n);
    std::vector<std::string> caption = wrap(t.caption, kWidth - 32, 7.0);
    const double height = axis_y + 44 + 16 * static_cast<double>(caption.size()) + 8;

    std::vector<double> times;
    for (const auto& m : t.marks)
      if (m.lane < n) times.push_back(finite(m.t_ms));
    for (const auto& l : t.links) {
      if (l.from_lane >= n || l.to_lane >= n) continue;
      times.push_back(finite(l.from_ms));
      times.push_back(finite(l.to_ms));
    }
    const TimeAxis axis(times, left, right);
    auto px = [&](double ms) { return axis.x(ms); };
    auto lane_y = [&](std::uint32_t lane) { return lanes_top + kLaneHeight * (lane + 0.5); };

    std::string out = fmt::format(
        R"(<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
        R"(font-family="sans-serif" font-size="11" role="img">)"
        "\n<title>{2}</title>\n"
        R"(<rect width="100%" height="100%" fill="white"/>)"
        "\n",
        num(kWidth), num(height), xml_escape(t.title));
    double y = 24;
    for (const auto& line : title) {
      out += fmt::format(R"(<text x="16" y="{}" font-size="14" font-weight="bold">{}</text>)", num(y),
                         xml_escape(line));
      out += '\n';
      y += 20;
    }
    legend(out, 24, y + 2);

    // Lanes: a band each, the process on the left.
    for (std::size_t i = 0; i < n; ++i) {
      double top = lanes_top + kLaneHeight * static_cast<double>(i), mid = top + kLaneHeight / 2;
      if (i % 2 == 0) {
        out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#f4f6f8"/>)", num(8), num(top),
                           num(kWidth - 16), num(kLaneHeight));
        out += '\n';
      }
      out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#c8ced6"/>)", num(left), num(mid),
                         num(right), num(mid));
      out += '\n';
      std::string name = i < t.lanes.size() ? t.lanes[i] : "(no process)";
      out += fmt::format(R"(<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>)", num(left - 12),
                         num(mid + 4), xml_escape(name));
      out += '\n';
    }
    // The time axis with its grid.
    axis.draw(out, lanes_top, axis_y);
    out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)",
                       num((left + right) / 2), num(axis_y + 34),
                       axis.cuts() ? "time since the first event (ms); a dashed gap: a quiet stretch left out, its length below it"
                                   : "time since the first event (ms)");
    out += '\n';

    // Messages under the marks, so a mark is never hidden by a line.
    out += "<g>\n";
    for (const auto& l : t.links) {
      if (l.from_lane >= n || l.to_lane >= n) continue;
      if (l.highlight) {
        out += fmt::format(R"(<line class="highlight" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.6"/>)",
                           num(px(l.from_ms)), num(lane_y(l.from_lane)), num(px(l.to_ms)), num(lane_y(l.to_lane)),
                           kBad);
        out += '\n';
        continue;
      }
      out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"/>)", num(px(l.from_ms)),
                         num(lane_y(l.from_lane)), num(px(l.to_ms)), num(lane_y(l.to_lane)),
                         l.bad ? kBad : kLink, l.bad ? "1.8" : "1");
      out += '\n';
    }
    out += "</g>\n";

    // Marks; the labels of faults, errors, exits and bad marks claim their room first.
    LabelRows rows(n);
    std::vector<int> row_of(t.marks.size(), -1);
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = 0; i < t.marks.size(); ++i) {
        const Mark& m = t.marks[i];
        if (m.lane >= n || m.label.empty() || important(m) != (pass == 0)) continue;
        double lo_x = label_left(m, px(m.t_ms));
        row_of[i] = rows.place(m.lane, lo_x, lo_x + text_width(m.label));
      }
    }
    for (std::size_t i = 0; i < t.marks.size(); ++i) {
      const Mark& m = t.marks[i];
      if (m.lane >= n) continue;
      double x = px(m.t_ms), my = lane_y(m.lane);
      std::string c = colour_of(m);
      out += fmt::format("<g{}><title>{}: {} {} at {:.3f} ms</title>", m.highlight ? R"( class="highlight")" : "",
                         xml_escape(t.lanes[m.lane]), kind_word(m.kind), xml_escape(m.label), finite(m.t_ms));
      // A ring around a message a violation names, so it stands out among the other red marks.
      if (m.highlight)
        out += fmt::format(R"(<circle cx="{}" cy="{}" r="9" fill="none" stroke="{}" stroke-width="2"/>)", num(x), num(my),
                           kBad);
      shape(out, m.kind, x, my, c);
      if (row_of[i] >= 0) {
        double ty = row_of[i] == 0 ? my - 10 : my + 18;
        out += fmt::format(R"(<text x="{}" y="{}" fill="{}"{}>{}</text>)", num(label_left(m, x)), num(ty),
                           important(m) ? c : "#444", important(m) ? R"( font-weight="bold")" : "",
                           xml_escape(m.label));
      }
      out += "</g>\n";
    }
    if (t.marks.empty()) {
      out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" fill="#777">no events</text>)",
                         num((left + right) / 2), num(lanes_top + kLaneHeight / 2 + 4));
      out += '\n';
    }
    y = axis_y + 56;
    for (const auto& line : caption) {
      out += fmt::format(R"(<text x="16" y="{}" font-size="12" fill="#333">{}</text>)", num(y), xml_escape(line));
      out += '\n';
      y += 16;
    }
    out += "</svg>\n";
    return out;
  } catch (...) {
    // Formatting can only fail on memory; the report still gets a valid, empty drawing.
    return R"(<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>)";
  }
}

}  // namespace ipch
