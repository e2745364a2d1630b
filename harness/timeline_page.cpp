#include "timeline_page.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "xml_escape.hpp"

namespace ipch {

namespace {

constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 18px; margin: 0 0 8px; }
h2 { font-size: 15px; margin: 16px 0 6px; }
.verdict { font-size: 15px; margin: 4px 0 12px; }
.verdict b { color: #d62728; }
ol.violations, ul.blocked, ul.notes { margin: 4px 0; padding-left: 24px; }
ol.violations li, ul.blocked li { margin: 3px 0; }
.kind { font-weight: bold; color: #d62728; }
.named { font-weight: bold; color: #d62728; white-space: nowrap; }
ul.notes { color: #555; font-size: 13px; }
figure { margin: 12px 0; overflow-x: auto; }
figure svg { display: block; border: 1px solid #ddd; }
.timeline .highlight text { font-weight: bold; }
)";

// "r0#7" for the response link's messages, "s0#7" otherwise: the drawing's own labels.
std::string short_name(const MessageId& m) { return fmt::format("{}{}#{}", m.link ? "r" : "s", m.sender, m.seq); }

std::string finding_html(const TimelinePage::Finding& f) {
  std::string li = fmt::format(R"(<li><span class="kind">{}</span>: {})", xml_escape(f.kind), xml_escape(f.detail));
  if (!f.messages.empty()) {
    li += " <span class=\"named\">[";
    for (std::size_t i = 0; i < f.messages.size(); ++i) li += (i ? ", " : "") + xml_escape(short_name(f.messages[i]));
    li += "]</span>";
  }
  return li + "</li>\n";
}

}  // namespace

std::string timeline_html(const TimelinePage& p) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", xml_escape("timeline: " + p.title),
                     kStyle);
  out += fmt::format("<h1>{}</h1>\n", xml_escape(p.title));
  out += fmt::format("<p class=\"verdict\">verdict: <b>{}</b></p>\n", xml_escape(p.verdict));
  if (!p.violations.empty()) {
    out += "<h2>Violations</h2>\n<ol class=\"violations\">\n";
    for (const auto& f : p.violations) out += finding_html(f);
    out += "</ol>\n";
  }
  if (!p.blocked.empty()) {
    out += "<h2>Blocked when the run stalled</h2>\n<ul class=\"blocked\">\n";
    for (const auto& b : p.blocked) out += "<li>" + xml_escape(b) + "</li>\n";
    out += "</ul>\n";
  }
  if (!p.notes.empty()) {
    out += "<ul class=\"notes\">\n";
    for (const auto& n : p.notes) out += "<li>" + xml_escape(n) + "</li>\n";
    out += "</ul>\n";
  }
  out += "<figure>\n" + svg(p.timeline) + "</figure>\n</body>\n</html>\n";
  return out;
}

std::expected<void, std::string> write_timeline_html(const std::string& path, const TimelinePage& p) {
  const std::string page = timeline_html(p);
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  auto fail = [&](const char* what, int err) {
    ::unlink(tmp.c_str());
    return std::unexpected(fmt::format("cannot write {}: {} failed: {}; check that its folder exists and is writable",
                                       path, what, std::strerror(err)));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("open", errno);
  for (std::size_t done = 0; done < page.size();) {
    ssize_t n = ::write(fd, page.data() + done, page.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return fail("write", err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return fail("close", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename", errno);
  return {};
}

}  // namespace ipch
