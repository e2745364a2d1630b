#!/usr/bin/env python3
"""The claims report as a reader sees it: report.html opened in headless Chromium.

Checks through the DOM that the table #claims has one row per claim of report.json, in order,
that every <svg> in #plots and in each counterexample has a non-zero box and drawn elements, that
the page fetched nothing, and takes screenshots (the page, the table, a plot, a timeline) whose
pixels must not be blank. The screenshots stay next to the report for a human to look at.

Two modes:
  --harness BIN --only IDS --out DIR   run `BIN claims --quick --only IDS --out DIR` first
  --report DIR                         check a report that is already there
Then a mangled copy of the report (a row removed, a plot emptied) must be rejected.

Python 3 standard library only: WebDriver spoken to chromedriver over urllib, PNG decoded with
zlib. Never hangs: every step has a deadline, and chromedriver and every Chromium process it
started are killed on every path.
Exit: 0 pass, 1 a check failed, 2 the test could not run, 77 chromium or chromedriver missing.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

SKIP = 77
WINDOW = (1400, 1000)
STEP_TIMEOUT = 60  # seconds, for any one WebDriver request
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"  # how W3C WebDriver passes an element


class Failed(Exception):
    """A check failed: the report is wrong."""


class Broken(Exception):
    """The test itself could not run."""


class Deadline(Exception):
    pass


def on_alarm(signum, frame):
    raise Deadline("the whole test took longer than its deadline")


# ---- processes -------------------------------------------------------------------------------

def children_of(pid):
    """Every live descendant of `pid`, from /proc."""
    parent = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("utf-8", "replace")
            # The command name is in parentheses and may hold spaces; the parent pid follows it.
            parent[int(entry)] = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for child, par in parent.items():
            if par == p:
                out.append(child)
                todo.append(child)
    return out


def processes_using(marker):
    """Pids whose command line contains `marker` (our own profile folder: no one else's browser)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def kill_all(pids):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") and not zombie(p) for p in pids):
            time.sleep(0.05)


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        return stat[stat.rindex(")") + 2] == "Z"
    except (OSError, ValueError, IndexError):
        return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- WebDriver -------------------------------------------------------------------------------

class WebDriver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method, path, body=None, timeout=STEP_TIMEOUT):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read().decode())["value"]
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:600]
            raise Broken(f"WebDriver {method} {path}: HTTP {e.code}: {detail}") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError) as e:
            raise Broken(f"WebDriver {method} {path}: {e}") from None

    def s(self, method, path, body=None, timeout=STEP_TIMEOUT):
        return self.call(method, f"/session/{self.session}{path}", body, timeout)

    def wait_ready(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/status", timeout=2).get("ready"):
                    return
            except Broken:
                pass
            time.sleep(0.1)
        raise Broken(f"chromedriver did not answer within {seconds} s")

    def start(self, chromium, profile):
        # --remote-debugging-pipe: chromedriver talks to Chromium over inherited fds 3 and 4, not
        # over TCP to "localhost". Where "localhost" does not resolve (a debootstrap chroot has no
        # /etc/hosts), chromedriver's DevTools HTTP requests still work but its WebSocket to the
        # page cannot connect: "session not created: from disconnected: unable to connect to
        # renderer", every time.
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--remote-debugging-pipe",
                         "--hide-scrollbars", "--no-first-run", "--force-device-scale-factor=1",
                         f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--user-data-dir={profile}"],
            },
        }}}
        self.session = self.call("POST", "/session", caps, timeout=90)["sessionId"]
        self.s("POST", "/timeouts", {"pageLoad": 30000, "script": 30000, "implicit": 0})

    def run(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def element(self, css):
        found = self.s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(found.values()))

    def element_screenshot(self, css):
        """The element whole: scrolled to the top of the viewport first, since Chromium clips an
        element screenshot to what is in view."""
        e = self.element(css)
        self.run("arguments[0].scrollIntoView({block: 'start'});", {ELEMENT_KEY: e})
        return self.s("GET", f"/element/{e}/screenshot")

    def quit(self):
        if self.session:
            try:
                self.call("DELETE", f"/session/{self.session}", timeout=15)
            except Broken:
                pass
            self.session = None


# ---- PNG -------------------------------------------------------------------------------------

def decode_png(data):
    """(width, height, rows of RGB tuples' bytes) of an 8-bit RGB or RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failed("the screenshot is not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise Broken(f"PNG with depth {depth}, colour type {colour}, interlace {interlace}: not decoded here")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def pixel_facts(png):
    """(width, height, fraction of non-white pixels, distinct colours at 4 bits a channel)."""
    width, height, channels, rows = decode_png(png)
    non_white, colours, total = 0, set(), 0
    for row in rows[::2]:  # every other row and column: plenty for "not blank"
        for x in range(0, width, 2):
            r, g, b = row[x * channels], row[x * channels + 1], row[x * channels + 2]
            total += 1
            if r < 235 or g < 235 or b < 235:
                non_white += 1
            colours.add((r >> 4, g >> 4, b >> 4))
    return width, height, non_white / max(total, 1), len(colours)


# ---- the checks ------------------------------------------------------------------------------

DOM_FACTS = r"""
const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
const drawn = e => e.querySelectorAll('path,line,polyline,polygon,circle,rect,text').length;
const svgFacts = e => ({box: box(e), drawn: drawn(e), polylines: e.querySelectorAll('polyline').length,
                        text: e.textContent.slice(0, 80)});
const table = document.querySelector('table#claims');
return {
  title: document.title,
  table: table ? box(table) : null,
  rows: table ? [...table.querySelectorAll('tbody > tr')].map(tr => ({
    id: tr.querySelector('td') ? tr.querySelector('td').textContent.trim() : '',
    cells: tr.querySelectorAll('td').length,
    verdict: tr.querySelector('.badge') ? tr.querySelector('.badge').textContent.trim() : '',
    box: box(tr)})) : [],
  plots: [...document.querySelectorAll('#plots svg')].map(svgFacts),
  sections: [...document.querySelectorAll('section.claim')].map(s => ({
    id: s.id, timelines: [...s.querySelectorAll('.cx svg')].map(svgFacts)})),
  resources: performance.getEntriesByType('resource').map(r => r.name),
  scripts: document.scripts.length,
  height: document.documentElement.scrollHeight,
};
"""


def check(report_dir, out_dir, chromium, chromedriver, deadline_s):
    report_html = os.path.join(report_dir, "report.html")
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    claims = report["claims"]
    ids = [c["id"] for c in claims]
    timelines = {c["id"]: [x["timeline_svg"] for x in c["evidence"]["counterexamples"] if x.get("timeline_svg")]
                 for c in claims}
    problems = []

    os.makedirs(out_dir, exist_ok=True)
    profile = os.path.join(out_dir, f"chromium-profile-{os.getpid()}")
    shutil.rmtree(profile, ignore_errors=True)
    port = free_port()
    log = open(os.path.join(out_dir, "chromedriver.log"), "w")
    driver = subprocess.Popen([chromedriver, f"--port={port}"], stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    wd = WebDriver(port)
    started = time.monotonic()
    try:
        wd.wait_ready(30)
        try:
            wd.start(chromium, profile)
        except Broken as e:
            raise Broken(f"{e} (chromedriver's log: {log.name})") from None
        wd.s("POST", "/url", {"url": "file://" + os.path.abspath(report_html)})
        facts = wd.run(DOM_FACTS)

        # The table: one row per claim of report.json, in its order, each with a verdict badge.
        if facts["table"] is None:
            problems.append("no <table id=claims> on the page")
        row_ids = [r["id"] for r in facts["rows"]]
        if row_ids != ids:
            problems.append(f"#claims rows {row_ids} differ from report.json's claims {ids}")
        for r in facts["rows"]:
            if r["cells"] < 5 or not r["verdict"] or r["box"][0] <= 0 or r["box"][1] <= 0:
                problems.append(f"row {r['id']}: {r['cells']} cells, verdict '{r['verdict']}', box {r['box']}")
        # The plots: drawn iff the bench ran.
        if "bench" in report:
            if len(facts["plots"]) < 2:
                problems.append(f"the bench ran but #plots holds {len(facts['plots'])} svg")
        for i, p in enumerate(facts["plots"]):
            if p["box"][0] < 50 or p["box"][1] < 50 or p["drawn"] < 10 or p["polylines"] < 1:
                problems.append(f"plot {i} ('{p['text'][:40]}'): box {p['box']}, {p['drawn']} drawn elements, "
                                f"{p['polylines']} lines")
        # A timeline for every counterexample that has one.
        sections = {s["id"]: s for s in facts["sections"]}
        if sorted(sections) != sorted(ids):
            problems.append(f"claim sections {sorted(sections)} differ from the claims {sorted(ids)}")
        for cid, files in timelines.items():
            drawn = sections.get(cid, {"timelines": []})["timelines"]
            if len(drawn) != len(files):
                problems.append(f"{cid}: {len(files)} timelines in report.json, {len(drawn)} on the page")
            for t in drawn:
                if t["box"][0] < 50 or t["box"][1] < 50 or t["drawn"] < 5:
                    problems.append(f"{cid}: a timeline with box {t['box']} and {t['drawn']} drawn elements")
            for f in files:
                if not os.path.isfile(os.path.join(report_dir, f)):
                    problems.append(f"{cid}: {f} is named in report.json but not written")
        if facts["resources"]:
            problems.append(f"the page fetched {facts['resources']}: it must be self-contained")
        if facts["scripts"]:
            problems.append(f"the page has {facts['scripts']} script(s)")

        # Screenshots: the page as it opens, the table, a plot and a timeline, none blank.
        shots = {}

        def save(name, b64):
            png = base64.b64decode(b64)
            path = os.path.join(out_dir, name)
            with open(path, "wb") as f:
                f.write(png)
            shots[name] = (path, png)

        save("page.png", wd.s("GET", "/screenshot"))
        save("table.png", wd.element_screenshot("table#claims"))
        if facts["plots"]:
            save("plot.png", wd.element_screenshot("#plots svg"))
        if any(timelines.values()):
            save("timeline.png", wd.element_screenshot("section.claim .cx svg"))
        # The whole page in one image, for a human; not checked (Chromium may cap its height).
        try:
            full = wd.s("POST", "/goog/cdp/execute",
                        {"cmd": "Page.captureScreenshot", "params": {"format": "png", "captureBeyondViewport": True}})
            save("full-page.png", full["data"])
            del shots["full-page.png"]
        except Broken as e:
            print(f"check_report: no full-page screenshot ({e})")

        # At least: height in px, the share of pixels not white, distinct colours.
        need = {"page.png": (300, 0.03, 6), "table.png": (40, 0.02, 4), "plot.png": (200, 0.02, 6),
                "timeline.png": (100, 0.01, 4)}
        for name, (path, png) in shots.items():
            w, h, ink, colours = pixel_facts(png)
            min_h, min_ink, min_colours = need[name]
            line = f"{name}: {w}x{h} px, {ink:.1%} not white, {colours} colours"
            print("check_report: " + line)
            if w < 200 or h < min_h or ink < min_ink or colours < min_colours:
                problems.append(f"{line}: looks blank or cut (needs {min_h} px high, {min_ink:.0%} not white, "
                                f"{min_colours} colours)")
        print(f"check_report: {len(facts['rows'])} rows, {len(facts['plots'])} plots, "
              f"{sum(len(s['timelines']) for s in facts['sections'])} timelines, page {facts['height']} px high, "
              f"{time.monotonic() - started:.1f} s in Chromium")
        print(f"check_report: screenshots in {out_dir}: "
              + ", ".join(sorted(n for n in os.listdir(out_dir) if n.endswith(".png"))))
    finally:
        # Each step below has its own bound; the whole-test alarm must not cut the clean-up short.
        alarm_left = signal.alarm(0)
        wd.quit()
        kill_all([driver.pid] + children_of(driver.pid))
        try:
            driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        kill_all(processes_using(profile))
        left = [p for p in processes_using(profile) if not zombie(p)]
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
        if left:
            problems.append(f"Chromium processes left behind: {left}")
        if alarm_left:
            signal.alarm(alarm_left)
    if problems:
        raise Failed("\n".join(problems))


def mangled_copy(report_dir, dest):
    """A copy of the report with one table row gone and the first plot emptied: what the checks
    must catch (a check that never fails proves nothing)."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(report_dir, dest, ignore=shutil.ignore_patterns("*.png", "chromium-profile-*", "*.log"))
    path = os.path.join(dest, "report.html")
    with open(path, encoding="utf-8") as f:
        page = f.read()
    start = page.index('<tr class="v-')
    page = page[:start] + page[page.index("</tr>", start) + len("</tr>"):]
    plots = page.find('<section id="plots">')
    if plots >= 0 and page.find("<svg", plots) >= 0:
        a = page.index("<svg", plots)
        b = page.index("</svg>", a)
        page = page[:a] + '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0">' + page[b:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


def catches_mangled(report_dir, out_dir, chromium, chromedriver, deadline_s):
    dest = os.path.join(out_dir, "mangled")
    mangled_copy(report_dir, dest)
    try:
        check(dest, dest, chromium, chromedriver, deadline_s)
    except Failed as e:
        with open(os.path.join(dest, "report.json"), encoding="utf-8") as f:
            has_plots = "bench" in json.load(f)
        expected = {"the missing row": "#claims rows"} | ({"the empty plot": "plot 0"} if has_plots else {})
        missed = [what for what, needle in expected.items() if needle not in str(e)]
        if missed:
            raise Failed(f"a mangled copy of the report was rejected, but not for {missed}: {e}") from None
        print("check_report: a mangled copy (a row removed, a plot emptied) is rejected, as it must be")
        shutil.rmtree(dest, ignore_errors=True)
        return
    raise Failed(f"a mangled copy of the report (a row removed, a plot emptied) passed: the checks cannot fail; see {dest}")


def run_claims(harness, only, out, timeout):
    cmd = [harness, "claims", "--quick", "--only", only, "--out", out]
    print("check_report: " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, start_new_session=True)
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        # SIGINT first: the harness removes every object it made and reaps its children.
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        raise Broken(f"`{' '.join(cmd)}` took longer than {timeout} s")
    # 3: a claim could not be checked; the report is still written and says not-checked.
    if rc not in (0, 3) or not os.path.isfile(os.path.join(out, "report.html")):
        raise Broken(f"`{' '.join(cmd)}` exited {rc} without a report")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--report", help="a report folder: report.html and report.json")
    ap.add_argument("--harness", help="ipc-harness, to make the report first")
    ap.add_argument("--only", default="pipe-buf-atomic,unix-dgram-loses,writer-blocks-when-reader-dies,shm-fastest-bulk",
                    help="claim ids for `claims --only`")
    ap.add_argument("--out", help="where the report is made (with --harness) and the screenshots go")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    ap.add_argument("--no-mangled", action="store_true",
                    help="skip the second page: a mangled copy of the report that the checks must reject")
    ap.add_argument("--deadline", type=int, default=280, help="seconds for the whole test")
    a = ap.parse_args()
    if not (a.report or (a.harness and a.out)):
        ap.error("give --report DIR, or --harness BIN --out DIR")
    for exe in (a.chromium, a.chromedriver):
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            print(f"check_report: {exe} is missing; ci/deps installs chromium and chromium-driver", file=sys.stderr)
            # In CI ci/deps has run, so a missing browser is a broken set-up, not a reason to skip.
            return 1 if os.environ.get("CI") else SKIP
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(a.deadline)
    started = time.monotonic()
    try:
        report_dir = a.report
        if a.harness:
            report_dir = a.out
            run_claims(a.harness, a.only, a.out, timeout=max(a.deadline - 60, 30))
        check(report_dir, a.out or report_dir, a.chromium, a.chromedriver, a.deadline)
        if not a.no_mangled:
            catches_mangled(report_dir, a.out or report_dir, a.chromium, a.chromedriver, a.deadline)
    except Failed as e:
        print(f"check_report: FAILED\n{e}", file=sys.stderr)
        return 1
    except (Broken, Deadline, OSError, ValueError, KeyError) as e:
        print(f"check_report: could not run: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
    print(f"check_report: passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
