#include "report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string_view>

#include "bench_report.hpp"
#include "plot.hpp"
#include "suite.hpp"

namespace ipch::claims {

namespace {

namespace fs = std::filesystem;

constexpr std::array<Verdict, 4> kVerdicts = {Verdict::holds, Verdict::refuted, Verdict::holds_only_if,
                                              Verdict::not_checked};

std::string esc(std::string_view s) { return plot::escape(s); }

std::size_t count(const ReportInput& in, Verdict v) {
  std::size_t n = 0;
  for (const auto& c : in.checked) n += c.finding.verdict == v;
  return n;
}

// "20 claims: 8 holds, 5 refuted, 4 holds-only-if, 3 not-checked"
std::string counts_line(const ReportInput& in) {
  std::string out = fmt::format("{} claim{}:", in.checked.size(), in.checked.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < kVerdicts.size(); ++i) {
    out += fmt::format("{} {} {}", i ? "," : "", count(in, kVerdicts[i]), to_string(kVerdicts[i]));
  }
  return out;
}

std::string duration(double s) {
  if (!std::isfinite(s) || s < 0) s = 0;
  if (s < 60) return fmt::format("{:.1f} s", s);
  auto whole = static_cast<long>(std::lround(s));
  return fmt::format("{} min {} s", whole / 60, whole % 60);
}

// `s` in at most `width` characters (UTF-8 code points), the last an ellipsis when it was cut.
std::string cut(std::string_view s, std::size_t width) {
  if (width == 0) return "";
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (chars == width - 1) {
      // Is there more than this one character left?
      std::size_t rest = 0;
      for (std::size_t j = i; j < s.size(); ++j) rest += (static_cast<unsigned char>(s[j]) & 0xC0) != 0x80;
      if (rest > 1) return std::string(s.substr(0, i)) + "\u2026";
      return std::string(s);
    }
    ++chars;
  }
  return std::string(s);
}

std::string machine_line(const nlohmann::json& m) {
  auto field = [&](const char* k) -> std::string {
    if (!m.is_object() || !m.contains(k)) return "?";
    const auto& v = m.at(k);
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  // /proc/meminfo says "24683620 kB".
  std::string memory = field("memory");
  char* end = nullptr;
  double kb = std::strtod(memory.c_str(), &end);
  if (end != memory.c_str() && std::string_view(end) == " kB") memory = fmt::format("{:.1f} GiB memory", kb / 1048576);
  return fmt::format("Linux {}, {}, {} CPUs{}", field("kernel"), field("cpu"), field("cpus"),
                     memory == "?" ? "" : ", " + memory);
}

// What the table says in one line: the condition, why or reason when there is one, else the
// first thing seen.
std::string one_line(const Checked& c) {
  const Finding& f = c.finding;
  if (!f.condition.empty()) return f.condition;
  if (!f.evidence.empty()) return f.evidence.front();
  return "-";
}

// Characters of evidence a table cell shows; the claim's section has it whole.
constexpr std::size_t kTableEvidence = 260;

std::string_view condition_word(Verdict v) {
  switch (v) {
    case Verdict::holds_only_if: return "Condition";
    case Verdict::refuted: return "Why";
    case Verdict::not_checked: return "Reason";
    case Verdict::holds: return "Note";
  }
  return "Note";
}

std::string_view counterexamples_heading(Verdict v) {
  switch (v) {
    case Verdict::refuted: return "Counterexamples";
    case Verdict::holds_only_if: return "Runs that show the condition";
    default: return "Runs worth a look";
  }
}

std::string sentence_text(const Claim& k) {
  return k.quoted ? "\u201c" + k.sentence + "\u201d" : k.sentence;
}

std::string source_text(const Claim& k) {
  if (k.source.empty()) return k.quoted ? "" : "our sharper version";
  return k.quoted ? k.source : "our sharper version of " + k.source;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

std::string number(double v) {
  if (!std::isfinite(v)) return "-";
  if (v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{:.0f}", v);
  if (std::abs(v) >= 100) return fmt::format("{:.1f}", v);
  return fmt::format("{:.4g}", v);
}

std::string scalar(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return number(v.get<double>());
  if (v.is_null()) return "-";
  return v.dump();
}

// A claim's measurements as name and value rows: nested objects as dotted names, short lists of
// plain values joined, longer ones cut.
void flatten(const nlohmann::json& j, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  constexpr std::size_t kMaxRows = 80, kMaxList = 16;
  if (out.size() >= kMaxRows) return;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  if (j.is_array()) {
    bool plain = std::none_of(j.begin(), j.end(), [](const auto& v) { return v.is_structured(); });
    if (plain) {
      std::string s;
      for (std::size_t i = 0; i < j.size() && i < kMaxList; ++i) s += (i ? ", " : "") + scalar(j[i]);
      if (j.size() > kMaxList) s += fmt::format(", ... ({} in all)", j.size());
      out.push_back({prefix, j.empty() ? "(none)" : s});
      return;
    }
    for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], fmt::format("{}[{}]", prefix, i), out);
    return;
  }
  out.push_back({prefix.empty() ? "value" : prefix, scalar(j)});
}

// A list of runs with the same fields ("pipe": [{"record_size": 4096, "torn": 0}, ...]): a table
// with a row per run reads better than one name per field per run.
struct Records {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::size_t left_out = 0;
};

struct Measurements {
  std::vector<std::pair<std::string, std::string>> values;
  std::vector<Records> tables;
  bool empty() const { return values.empty() && tables.empty(); }
};

bool is_records(const nlohmann::json& v) {
  if (!v.is_array() || v.empty()) return false;
  return std::all_of(v.begin(), v.end(), [](const auto& e) {
    return e.is_object() && !e.empty() &&
           std::all_of(e.begin(), e.end(), [](const auto& x) {
             return !x.is_object() && !(x.is_array() && std::any_of(x.begin(), x.end(), [](const auto& y) {
                                          return y.is_structured();
                                        }));
           });
  });
}

void collect(const nlohmann::json& j, const std::string& prefix, Measurements& m) {
  constexpr std::size_t kMaxRecords = 40;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) collect(v, prefix.empty() ? k : prefix + "." + k, m);
    return;
  }
  if (!is_records(j)) {
    flatten(j, prefix, m.values);
    return;
  }
  Records r;
  r.name = prefix.empty() ? "runs" : prefix;
  for (const auto& e : j)
    for (const auto& [k, v] : e.items())
      if (std::find(r.columns.begin(), r.columns.end(), k) == r.columns.end()) r.columns.push_back(k);
  for (const auto& e : j) {
    if (r.rows.size() >= kMaxRecords) {
      ++r.left_out;
      continue;
    }
    std::vector<std::string> row;
    for (const auto& c : r.columns) {
      std::vector<std::pair<std::string, std::string>> cell;
      if (e.contains(c)) flatten(e.at(c), c, cell);
      row.push_back(cell.empty() ? "-" : cell.front().second);
    }
    r.rows.push_back(std::move(row));
  }
  m.tables.push_back(std::move(r));
}

Measurements measurements_of(const nlohmann::json& j) {
  Measurements m;
  if (!j.is_null() && !(j.is_object() && j.empty())) collect(j, "", m);
  return m;
}

// ---- Markdown ------------------------------------------------------------------------------

// Text as Markdown shows it: a '<' that would open an HTML tag is an entity, so a sentence
// quoting "<script>" stays text; "<= 4096 B" stays readable in a terminal.
std::string md_text(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char next = i + 1 < s.size() ? s[i + 1] : ' ';
    bool tag = s[i] == '<' && (std::isalpha(static_cast<unsigned char>(next)) || next == '/' || next == '!' || next == '?');
    out += tag ? std::string("&lt;") : std::string(1, s[i]);
  }
  return out;
}

// A table cell: also no '|' (it would split the row) and no line break (it would end it).
std::string md_cell(std::string_view s) {
  std::string out;
  for (char ch : md_text(s)) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n' || ch == '\r') out += ' ';
    else out += ch;
  }
  return out;
}

// ---- HTML ----------------------------------------------------------------------------------

constexpr std::string_view kCss = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:#1b1f24;
 background:#fff;margin:0 auto;max-width:1320px;padding:14px 22px 40px}
h1{font-size:20px;margin:4px 0 6px}
h2{font-size:17px;margin:26px 0 8px;padding-top:6px;border-top:1px solid #d6dae0}
h3{font-size:14px;margin:12px 0 4px;color:#333}
a{color:#0b57a4;text-decoration:none} a:hover{text-decoration:underline}
code{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;background:#f2f4f7;padding:1px 4px;
 border-radius:3px;overflow-wrap:anywhere}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:1px 14px;margin:6px 0 10px;font-size:13px}
.facts dt{color:#59636e} .facts dd{margin:0}
.counts{margin:8px 0 14px;font-size:14px} .counts .badge{margin-right:2px} .counts span.n{margin-right:14px}
table{border-collapse:collapse}
#claims{width:100%;font-size:13px;table-layout:fixed}
#claims th,#claims td{padding:5px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #e3e6ea}
#claims thead th{background:#f4f6f8;border-bottom:2px solid #c7cdd4;white-space:nowrap}
#claims td{overflow-wrap:anywhere} #claims td.id code{overflow-wrap:normal;word-break:break-all}
#claims td.mech{color:#444}
#claims tr.v-refuted td:first-child{box-shadow:inset 4px 0 #c62828}
#claims tr.v-holds td:first-child{box-shadow:inset 4px 0 #2e7d32}
#claims tr.v-holds-only-if td:first-child{box-shadow:inset 4px 0 #a35f00}
#claims tr.v-not-checked td:first-child{box-shadow:inset 4px 0 #7a828c}
#claims tbody tr:hover{background:#f7f9fb}
.src{color:#66707a;font-size:12px}
.badge{display:inline-block;padding:1px 7px;border-radius:3px;color:#fff;font-weight:600;font-size:12px;
 white-space:nowrap;letter-spacing:.2px}
.badge.v-holds{background:#2e7d32}.badge.v-refuted{background:#c62828}
.badge.v-holds-only-if{background:#a35f00}.badge.v-not-checked{background:#6b737c}
section.claim{margin-top:8px}
section.claim h2 code{font-size:15px;background:none;padding:0}
section.claim p{margin:4px 0}
.sentence{font-size:14.5px}
.cond{margin:6px 0;padding:5px 10px;background:#f7f8fa;border-left:3px solid #9aa3ad}
ul{margin:2px 0 6px;padding-left:22px} li{margin:1px 0}
table.kv{font-size:12.5px;margin:2px 0 6px}
table.kv td{padding:1px 14px 1px 0;vertical-align:top;border-bottom:1px solid #eef0f2}
table.kv td:first-child{color:#4a545e;font-family:ui-monospace,"DejaVu Sans Mono",monospace}
table.kv td:last-child{font-family:ui-monospace,"DejaVu Sans Mono",monospace}
table.rec{font-size:12.5px;margin:4px 0 8px;font-family:ui-monospace,"DejaVu Sans Mono",monospace}
table.rec caption{text-align:left;color:#4a545e;padding:2px 0}
table.rec th{font-weight:600;text-align:right;padding:1px 10px;background:#f4f6f8;border-bottom:1px solid #d8dde3}
table.rec td{text-align:right;padding:1px 10px;border-bottom:1px solid #eef0f2}
table.bench{font-size:12.5px;margin:6px 0} table.bench th,table.bench td{padding:3px 8px;border-bottom:1px solid #e3e6ea;
 text-align:right} table.bench th{background:#f4f6f8;text-align:center} table.bench td:first-child{text-align:left}
.cx{margin:8px 0 14px;padding:6px 10px;border:1px solid #e0e4e8;border-radius:4px}
.cx p{margin:3px 0}
figure{margin:6px 0;overflow-x:auto} figure svg{display:block;max-width:100%;height:auto}
#plots .charts{display:flex;flex-wrap:wrap;gap:12px}
#plots svg{max-width:100%;height:auto;border:1px solid #e0e4e8}
.muted{color:#66707a}
)";

std::string badge(Verdict v) {
  return fmt::format(R"(<span class="badge v-{0}">{0}</span>)", to_string(v));
}

// bench::markdown's paragraphs and table as HTML, so the numbers behind the plots are on the page.
std::string markdown_table_html(const std::string& md) {
  std::string out;
  bool in_table = false, header_done = false;
  std::size_t pos = 0;
  while (pos < md.size()) {
    std::size_t nl = md.find('\n', pos);
    std::string line = md.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? md.size() : nl + 1;
    bool row = line.starts_with("|");
    if (row && !in_table) {
      out += "<table class=\"bench\">\n";
      in_table = true;
      header_done = false;
    }
    if (!row && in_table) {
      out += "</table>\n";
      in_table = false;
    }
    if (!row) {
      if (line.find_first_not_of(' ') != std::string::npos) out += "<p class=\"muted\">" + esc(line) + "</p>\n";
      continue;
    }
    std::vector<std::string> cells;
    std::size_t i = 1;
    while (i < line.size()) {
      std::size_t j = line.find('|', i);
      if (j == std::string::npos) break;
      std::string cell = line.substr(i, j - i);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
      i = j + 1;
    }
    if (!cells.empty() && cells[0].find_first_not_of("-: ") == std::string::npos) continue;  // |---|
    std::string_view tag = header_done ? "td" : "th";
    out += "<tr>";
    for (const auto& c : cells) out += fmt::format("<{0}>{1}</{0}>", tag, esc(c));
    out += "</tr>\n";
    header_done = true;
  }
  if (in_table) out += "</table>\n";
  return out;
}

std::string html_claim_section(const Checked& c) {
  const Claim& k = *c.claim;
  const Finding& f = c.finding;
  std::string out = fmt::format("<section class=\"claim\" id=\"{}\">\n<h2>{} <code>{}</code></h2>\n", esc(k.id),
                                badge(f.verdict), esc(k.id));
  std::string src = source_text(k);
  out += fmt::format("<p class=\"sentence\">{}{}</p>\n", esc(sentence_text(k)),
                     src.empty() ? "" : " <span class=\"src\">&#8212; " + esc(src) + "</span>");
  out += fmt::format("<p class=\"muted\">mechanisms: {} &#183; checked in {:.1f} s</p>\n",
                     esc(k.mechanisms.empty() ? "-" : join(k.mechanisms, ", ")), c.seconds);
  if (!f.condition.empty()) {
    out += fmt::format("<p class=\"cond\"><b>{}:</b> {}</p>\n", condition_word(f.verdict), esc(f.condition));
  }
  auto list = [&](std::string_view heading, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += fmt::format("<h3>{}</h3>\n<ul>\n", heading);
    for (const auto& s : items) out += "<li>" + esc(s) + "</li>\n";
    out += "</ul>\n";
  };
  list("Runs", f.runs);
  list("Evidence", f.evidence);
  Measurements m = measurements_of(f.measurements);
  if (!m.empty()) out += "<h3>Measurements</h3>\n";
  if (!m.values.empty()) {
    out += "<table class=\"kv\">\n";
    for (const auto& [name, value] : m.values) out += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", esc(name), esc(value));
    out += "</table>\n";
  }
  for (const auto& r : m.tables) {
    out += fmt::format("<table class=\"rec\">\n<caption>{}</caption>\n<tr>", esc(r.name));
    for (const auto& c : r.columns) out += "<th>" + esc(c) + "</th>";
    out += "</tr>\n";
    for (const auto& row : r.rows) {
      out += "<tr>";
      for (const auto& v : row) out += "<td>" + esc(v) + "</td>";
      out += "</tr>\n";
    }
    if (r.left_out) {
      out += fmt::format("<tr><td colspan=\"{}\">... {} more in report.json</td></tr>\n", r.columns.size(), r.left_out);
    }
    out += "</table>\n";
  }
  if (!f.counterexamples.empty()) {
    out += fmt::format("<h3>{}</h3>\n", counterexamples_heading(f.verdict));
    for (std::size_t i = 0; i < f.counterexamples.size(); ++i) {
      const Counterexample& x = f.counterexamples[i];
      out += fmt::format("<div class=\"cx\">\n<p><b>{}.</b> {}</p>\n", i + 1, esc(x.summary));
      if (!x.replay.empty()) out += fmt::format("<p>replay: <code>{}</code></p>\n", esc(x.replay));
      if (x.timeline) {
        out += fmt::format("<figure>\n{}</figure>\n<p class=\"muted\">also as <a href=\"{}\">{}</a></p>\n",
                           svg(*x.timeline), esc(timeline_file(k, i)), esc(timeline_file(k, i)));
      }
      out += "</div>\n";
    }
  }
  out += "</section>\n";
  return out;
}

std::string calibration_line(const bench::Report& b) {
  return fmt::format(
      "From <code>ipc-harness bench</code> run for this report ({}, {}): medians over repeats; memcpy of 1 MiB "
      "{:.0f} MB/s, of 256 MiB {:.0f} MB/s; getpid() {:.0f} ns. Dashed lines: spinning variants, which busy-wait "
      "instead of sleeping.",
      b.settings.value("quick", false) ? "quick" : "full", duration(b.seconds), b.memcpy_mb_per_s.median,
      b.memory_mb_per_s.median, b.syscall_ns.median);
}

void write_file(const fs::path& p, const std::string& text, std::vector<std::string>& written) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  if (f) f << text;
  if (f) f.close();
  if (!f) throw std::runtime_error("cannot write " + p.string() + ": " + std::strerror(errno));
  written.push_back(p.string());
}

}  // namespace

nlohmann::json to_json(const ReportInput& in) {
  nlohmann::json verdicts = nlohmann::json::object();
  for (Verdict v : kVerdicts) verdicts[std::string(to_string(v))] = count(in, v);
  nlohmann::json claims = nlohmann::json::array();
  for (const auto& c : in.checked) claims.push_back(to_json(c));
  nlohmann::json j = {{"version", 1},
                      {"seed", in.seed},
                      {"quick", in.quick},
                      {"seconds", in.seconds},
                      {"command", in.command},
                      {"source", in.source},
                      {"machine", in.machine},
                      {"verdicts", verdicts},
                      {"claims", claims}};
  if (in.bench) {
    j["bench"] = bench::to_json(*in.bench);
    j["plots"] = {"plots/throughput.svg", "plots/latency.svg"};
  }
  return j;
}

std::string markdown(const ReportInput& in) {
  std::string out = fmt::format("# Claims of {}, checked on this kernel\n\n", in.source);
  out += fmt::format("- command: `{}`\n- seed: {} ({})\n- machine: {}\n- time taken: {}\n\n**{}**\n\n", in.command,
                     in.seed, in.quick ? "quick" : "full", machine_line(in.machine), duration(in.seconds),
                     counts_line(in));
  out += "| claim | sentence | mechanisms | verdict | evidence |\n|---|---|---|---|---|\n";
  for (const auto& c : in.checked) {
    const Claim& k = *c.claim;
    std::string src = source_text(k);
    out += fmt::format("| [{}](#{}) | {}{} | {} | **{}** | {} |\n", k.id, k.id, md_cell(sentence_text(k)),
                       src.empty() ? "" : md_cell(" (" + src + ")"), md_cell(join(k.mechanisms, ", ")),
                       to_string(c.finding.verdict), md_cell(cut(one_line(c), kTableEvidence)));
  }
  out += "\n## Throughput and latency by message size\n\n";
  if (in.bench) {
    out += "![throughput](plots/throughput.svg)\n\n![latency](plots/latency.svg)\n\n";
    out += bench::markdown(*in.bench) + "\n";
  } else {
    out += "The bench did not run: no selected claim needs it.\n";
  }
  for (const auto& c : in.checked) {
    const Claim& k = *c.claim;
    const Finding& f = c.finding;
    out += fmt::format("\n## {}\n\n**{}**. {}", k.id, to_string(f.verdict), md_text(sentence_text(k)));
    std::string src = source_text(k);
    if (!src.empty()) out += " (" + md_text(src) + ")";
    out += fmt::format("\nMechanisms: {}. Checked in {:.1f} s.\n", join(k.mechanisms, ", "), c.seconds);
    if (!f.condition.empty()) out += fmt::format("\n{}: {}\n", condition_word(f.verdict), md_text(f.condition));
    auto list = [&](std::string_view heading, const std::vector<std::string>& items) {
      if (items.empty()) return;
      out += fmt::format("\n{}:\n\n", heading);
      for (const auto& s : items) out += "- " + md_text(s) + "\n";
    };
    list("Runs", f.runs);
    list("Evidence", f.evidence);
    Measurements m = measurements_of(f.measurements);
    if (!m.values.empty()) {
      out += "\n| measurement | value |\n|---|---|\n";
      for (const auto& [name, value] : m.values) out += fmt::format("| {} | {} |\n", md_cell(name), md_cell(value));
    }
    for (const auto& r : m.tables) {
      out += fmt::format("\n`{}`:\n\n|", r.name);
      for (const auto& c : r.columns) out += " " + md_cell(c) + " |";
      out += "\n|";
      for (std::size_t i = 0; i < r.columns.size(); ++i) out += "---|";
      out += "\n";
      for (const auto& row : r.rows) {
        out += "|";
        for (const auto& v : row) out += " " + md_cell(v) + " |";
        out += "\n";
      }
      if (r.left_out) out += fmt::format("\n... {} more in report.json\n", r.left_out);
    }
    if (!f.counterexamples.empty()) {
      out += fmt::format("\n{}:\n\n", counterexamples_heading(f.verdict));
      for (std::size_t i = 0; i < f.counterexamples.size(); ++i) {
        const Counterexample& x = f.counterexamples[i];
        out += fmt::format("{}. {}\n", i + 1, md_text(x.summary));
        if (!x.replay.empty()) out += fmt::format("   replay: `{}`\n", x.replay);
        if (x.timeline) out += fmt::format("\n   ![timeline]({})\n", timeline_file(k, i));
      }
    }
  }
  return out;
}

std::string html(const ReportInput& in) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  out += fmt::format("<title>ipc-harness claims: {} refuted, {} holds-only-if of {} ({})</title>\n",
                     count(in, Verdict::refuted), count(in, Verdict::holds_only_if), in.checked.size(),
                     esc(in.machine.is_object() ? in.machine.value("kernel", "?") : "?"));
  out += "<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n<header>\n";
  out += fmt::format("<h1>Claims of <i>{}</i>, checked on this kernel</h1>\n", esc(in.source));
  out += "<dl class=\"facts\">\n";
  out += fmt::format("<dt>command</dt><dd><code>{}</code></dd>\n", esc(in.command.empty() ? "-" : in.command));
  out += fmt::format("<dt>seed</dt><dd><code>{}</code></dd>\n", in.seed);
  out += fmt::format("<dt>mode</dt><dd>{}</dd>\n",
                     in.quick ? "quick (fewer runs per claim)" : "full");
  out += fmt::format("<dt>machine</dt><dd>{}</dd>\n", esc(machine_line(in.machine)));
  out += fmt::format("<dt>time taken</dt><dd>{}</dd>\n</dl>\n", duration(in.seconds));
  out += fmt::format("<p class=\"counts\">{} claims: ", in.checked.size());
  for (Verdict v : kVerdicts) out += fmt::format("<span class=\"n\">{} {}</span>", count(in, v), badge(v));
  out += "</p>\n</header>\n";

  // Fixed column widths: one long evidence line must not push the table off the page.
  out += "<table id=\"claims\">\n<colgroup><col style=\"width:21em\"/><col style=\"width:34%\"/>"
         "<col style=\"width:10em\"/><col style=\"width:8.5em\"/><col/></colgroup>\n"
         "<thead><tr><th>claim</th><th>sentence</th><th>mechanisms</th><th>verdict</th><th>evidence</th></tr></thead>\n"
         "<tbody>\n";
  for (const auto& c : in.checked) {
    const Claim& k = *c.claim;
    std::string src = source_text(k);
    out += fmt::format(
        "<tr class=\"v-{}\"><td class=\"id\"><a href=\"#{}\"><code>{}</code></a></td><td>{}{}</td>"
        "<td class=\"mech\">{}</td><td>{}</td><td>{}</td></tr>\n",
        to_string(c.finding.verdict), esc(k.id), esc(k.id), esc(sentence_text(k)),
        src.empty() ? "" : "<br/><span class=\"src\">" + esc(src) + "</span>", esc(join(k.mechanisms, ", ")),
        badge(c.finding.verdict), esc(cut(one_line(c), kTableEvidence)));
  }
  out += "</tbody>\n</table>\n";

  out += "<section id=\"plots\">\n<h2>Throughput and latency by message size</h2>\n";
  if (in.bench) {
    out += "<p class=\"muted\">" + calibration_line(*in.bench) + "</p>\n<div class=\"charts\">\n";
    out += plot::svg(bench::throughput_chart(*in.bench));
    out += plot::svg(bench::latency_chart(*in.bench));
    out += "</div>\n" + markdown_table_html(bench::markdown(*in.bench));
  } else {
    out += "<p class=\"muted\">The bench did not run: no selected claim needs it, so there are no plots.</p>\n";
  }
  out += "</section>\n";
  for (const auto& c : in.checked) out += html_claim_section(c);
  out += "</body>\n</html>\n";
  return out;
}

std::vector<std::string> write_report(const std::string& dir, const ReportInput& in) {
  fs::path root(dir), plots = fs::path(dir) / "plots";
  std::error_code ec;
  fs::create_directories(plots, ec);
  if (ec) throw std::runtime_error("cannot create " + plots.string() + ": " + ec.message());
  std::vector<std::string> written;
  std::set<std::string> drawn;
  if (in.bench) {
    write_file(plots / "throughput.svg", plot::svg(bench::throughput_chart(*in.bench)), written);
    write_file(plots / "latency.svg", plot::svg(bench::latency_chart(*in.bench)), written);
  }
  for (const auto& c : in.checked) {
    const auto& cxs = c.finding.counterexamples;
    for (std::size_t i = 0; i < cxs.size(); ++i) {
      if (cxs[i].timeline) write_file(root / timeline_file(*c.claim, i), svg(*cxs[i].timeline), written);
    }
  }
  // A drawing left by an earlier report into the same folder would pass for one of this run's.
  for (const auto& e : fs::directory_iterator(plots, ec)) {
    if (e.path().extension() != ".svg") continue;
    if (std::find(written.begin(), written.end(), e.path().string()) == written.end()) fs::remove(e.path(), ec);
  }
  write_file(root / "report.json", to_json(in).dump(2) + "\n", written);
  write_file(root / "report.md", markdown(in), written);
  write_file(root / "report.html", html(in), written);
  return written;
}

void print_summary(std::ostream& out, const ReportInput& in) {
  constexpr std::size_t kColumns = 120, kVerdictWidth = 14, kTimeWidth = 8;
  std::size_t id_width = 5;
  for (const auto& c : in.checked) id_width = std::max(id_width, c.claim->id.size());
  id_width = std::min<std::size_t>(id_width, 34) + 2;
  std::size_t evidence_width = kColumns - id_width - kVerdictWidth - kTimeWidth;
  out << fmt::format("{:<{}}{:<{}}{:>{}}  {}\n", "claim", id_width, "verdict", kVerdictWidth, "time", kTimeWidth - 2,
                     "evidence");
  for (const auto& c : in.checked) {
    out << fmt::format("{:<{}}{:<{}}{:>{}}  {}\n", cut(c.claim->id, id_width - 2), id_width,
                       to_string(c.finding.verdict), kVerdictWidth, fmt::format("{:.1f}s", c.seconds),
                       kTimeWidth - 2, cut(one_line(c), evidence_width));
  }
  out << "\n" << counts_line(in) << " (" << duration(in.seconds) << ")\n";
}

}  // namespace ipch::claims
