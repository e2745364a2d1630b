#!/usr/bin/env python3
"""The timeline.html of a failing case as a reader sees it: opened in headless Chromium.

Makes two failing cases first: `run` of a pipe request-response that deadlocks, and `check` of
the posix-mq example sender with its broken receiver (it reorders). Each must print a
`timeline:` line naming the timeline.html beside its reproducer, one per reproducer. Each page is
then opened in Chromium and must draw: a figure <svg> with a real box, a lane per process, marks
on them, every message its violations name drawn highlighted (in red), a blocked mark for every
process of a deadlock's diagnosis, nothing fetched, no script, and a screenshot that is not blank
and has red in it. A mangled copy (the drawing emptied, the highlights gone) must be rejected.

The WebDriver client, the PNG decoder and the clean-up are check_report.py's (beside this file).
Exit: 0 pass, 1 a check failed, 2 the test could not run, 77 chromium or chromedriver missing.
"""

import argparse
import base64
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_report as cr  # noqa: E402

RED = (0xD6, 0x27, 0x28)  # the timeline's colour for what went wrong (kBad in harness/timeline.cpp)


def say(line):
    print("check_timeline: " + line, flush=True)


# ---- the failing cases -----------------------------------------------------------------------

def run_cmd(cmd, timeout):
    say(" ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGINT)  # the harness removes its objects and reaps its children
        try:
            p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
        raise cr.Broken(f"`{' '.join(cmd)}` took longer than {timeout} s")
    return p.returncode, out


def printed_timelines(out):
    return [m.group(1) for m in re.finditer(r"^\s*timeline: (\S+)$", out, re.M)]


def failing_run(harness, out_dir):
    d = os.path.join(out_dir, "run")
    shutil.rmtree(d, ignore_errors=True)
    rc, out = run_cmd([harness, "run", "--mechanism", "pipe", "--workload", "request-response", "--depth", "64",
                       "--max-size", "65536", "--seed", "7", "--stall-ms", "500", "--out", d], 120)
    if rc != 1:
        raise cr.Broken(f"the pipe deadlock exited {rc}, not 1 (a failing verdict):\n{out}")
    expect = os.path.abspath(os.path.join(d, "timeline.html"))
    printed = printed_timelines(out)
    if printed != [expect]:
        raise cr.Failed(f"run printed timeline lines {printed}, expected [{expect}]:\n{out}")
    return expect


def failing_check(harness, sender, receiver, out_dir):
    d = os.path.join(out_dir, "check")
    shutil.rmtree(d, ignore_errors=True)
    rc, out = run_cmd([harness, "check", "--sender", sender, "--receiver", receiver, "--contract",
                       "reliable,fifo,boundaries", "--max-size", "8192", "--cases", "2", "--fault", "none",
                       "--out", d], 120)
    if rc != 1:
        raise cr.Broken(f"check of the broken receiver exited {rc}, not 1 (violations):\n{out}")
    repros = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(d, "**", "reproducer.json"), recursive=True))
    pages = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(d, "**", "timeline.html"), recursive=True))
    printed = sorted(os.path.dirname(p) for p in printed_timelines(out))
    if not repros or pages != repros or printed != [os.path.abspath(p) for p in repros]:
        raise cr.Failed(f"check: reproducers in {repros}, timeline.html in {pages}, printed for {printed}; "
                        f"each failing case needs one beside its reproducer:\n{out}")
    return [os.path.join(p, "timeline.html") for p in pages]


# ---- the page --------------------------------------------------------------------------------

DOM_FACTS = r"""
const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
const svg = document.querySelector('figure svg');
const titles = svg ? [...svg.querySelectorAll('g > title')].map(t => t.textContent) : [];
const texts = svg ? [...svg.querySelectorAll('text')].map(t => t.textContent) : [];
const hl = svg ? [...svg.querySelectorAll('g.highlight')] : [];
return {
  svg: svg ? box(svg) : null,
  drawn: svg ? svg.querySelectorAll('path,line,circle,rect,text').length : 0,
  lanes: texts.filter(t => /\(pid \d+\)$/.test(t)),
  marks: titles.length,
  blocked: titles.filter(t => t.includes(': blocked blocked in ')).length,
  highlighted: hl.map(g => ({title: g.querySelector('title').textContent, box: box(g),
                             stroke: getComputedStyle(g.querySelector('circle')).stroke})),
  named: [...document.querySelectorAll('.violations .named')].map(e => e.textContent),
  violations: document.querySelectorAll('.violations li').length,
  verdict: (document.querySelector('.verdict b') || {}).textContent || '',
  resources: performance.getEntriesByType('resource').map(r => r.name),
  scripts: document.scripts.length,
};
"""


def red_share(png):
    width, height, channels, rows = cr.decode_png(png)
    red = total = 0
    for row in rows:
        for x in range(width):
            r, g, b = row[x * channels], row[x * channels + 1], row[x * channels + 2]
            total += 1
            red += abs(r - RED[0]) < 40 and abs(g - RED[1]) < 40 and abs(b - RED[2]) < 40
    return red / max(total, 1)


def check_page(wd, path, deadlock, shots_dir, name):
    """Problems with one timeline.html; screenshots of its drawing go to shots_dir."""
    problems = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for bad in ("<script", "src=", "href=", "url(", "@import"):
        if bad in text:
            problems.append(f"{name}: the file holds '{bad}': it must be self-contained, without script")
    wd.s("POST", "/url", {"url": "file://" + os.path.abspath(path)})
    f = wd.run(DOM_FACTS)
    if f["svg"] is None:
        return problems + [f"{name}: no <svg> in a <figure>"]
    if f["svg"][0] < 300 or f["svg"][1] < 100 or f["drawn"] < 20:
        problems.append(f"{name}: the drawing has box {f['svg']} and {f['drawn']} drawn elements")
    if len(f["lanes"]) < 2:
        problems.append(f"{name}: lanes {f['lanes']}: one per process, at least a sender and a receiver")
    if f["marks"] < 4:
        problems.append(f"{name}: {f['marks']} marks on the lanes")
    if deadlock and f["blocked"] < 2:
        problems.append(f"{name}: {f['blocked']} blocked marks; the deadlock diagnosis names 2 blocked processes")
    if f["verdict"] not in ("violations", "deadlock") or f["violations"] < 1:
        problems.append(f"{name}: verdict '{f['verdict']}' with {f['violations']} violations listed")
    # Every message a listed violation names is drawn highlighted, in red, with a real box.
    named = set()
    for group in f["named"]:
        named.update(m.strip() for m in group.strip("[]").split(","))
    if not named:
        problems.append(f"{name}: no violation names a message")
    for m in sorted(named):
        drawn = [h for h in f["highlighted"] if re.search(rf"\b{re.escape(m)}\b", h["title"])]
        if not drawn:
            problems.append(f"{name}: {m}, named by a violation, is not drawn highlighted")
        for h in drawn:
            if h["box"][0] <= 0 or h["box"][1] <= 0 or h["stroke"] != "rgb(214, 39, 40)":
                problems.append(f"{name}: highlighted '{h['title']}' has box {h['box']} and stroke {h['stroke']}")
    if f["resources"]:
        problems.append(f"{name}: the page fetched {f['resources']}")
    if f["scripts"]:
        problems.append(f"{name}: the page has {f['scripts']} script(s)")
    # The drawing as pixels: not blank, several colours, and red where the violations are.
    shot = base64.b64decode(wd.element_screenshot("figure svg"))
    with open(os.path.join(shots_dir, name + ".png"), "wb") as out:
        out.write(shot)
    w, h, ink, colours = cr.pixel_facts(shot)
    red = red_share(shot)
    line = f"{name}: {w}x{h} px, {ink:.1%} not white, {colours} colours, {red:.2%} red"
    say(line + f"; {len(f['lanes'])} lanes, {f['marks']} marks, {len(f['highlighted'])} highlighted, "
        f"{f['blocked']} blocked")
    if w < 300 or h < 100 or ink < 0.02 or colours < 5 or red < 0.0005:
        problems.append(f"{line}: looks blank, or nothing is drawn red")
    return problems


def mangled_copy(path, dest):
    """The page with its drawing emptied and its highlights gone: what the checks must reject."""
    with open(path, encoding="utf-8") as f:
        page = f.read()
    a, b = page.index("<svg"), page.index("</svg>")
    page = page[:a] + '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0">' + page[b:]
    with open(dest, "w", encoding="utf-8") as f:
        f.write(page)


def open_pages(pages, out_dir, chromium, chromedriver):
    problems = []
    profile = os.path.join(out_dir, f"chromium-profile-{os.getpid()}")
    shutil.rmtree(profile, ignore_errors=True)
    port = cr.free_port()
    log = open(os.path.join(out_dir, "chromedriver.log"), "w")
    driver = subprocess.Popen([chromedriver, f"--port={port}"], stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    wd = cr.WebDriver(port)
    started = time.monotonic()
    try:
        wd.wait_ready(30)
        try:
            wd.start(chromium, profile)
        except cr.Broken as e:
            raise cr.Broken(f"{e} (chromedriver's log: {log.name})") from None
        for name, (path, deadlock) in pages.items():
            problems += check_page(wd, path, deadlock, out_dir, name)
        # A check that cannot fail proves nothing.
        first_name, (first, deadlock) = next(iter(pages.items()))
        mangled = os.path.join(out_dir, "mangled-timeline.html")
        mangled_copy(first, mangled)
        caught = check_page(wd, mangled, deadlock, out_dir, "mangled")
        if not any("drawing has box" in p for p in caught) or not any("not drawn highlighted" in p for p in caught):
            problems.append(f"a copy of {first_name} with its drawing emptied was not rejected for both the empty "
                            f"drawing and the missing highlights: {caught}")
        else:
            say("a mangled copy (the drawing emptied) is rejected, as it must be")
            os.remove(mangled)
        say(f"{len(pages)} pages, {time.monotonic() - started:.1f} s in Chromium; screenshots in {out_dir}")
    finally:
        alarm_left = signal.alarm(0)
        wd.quit()
        cr.kill_all([driver.pid] + cr.children_of(driver.pid))
        try:
            driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        cr.kill_all(cr.processes_using(profile))
        left = [p for p in cr.processes_using(profile) if not cr.zombie(p)]
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
        if left:
            problems.append(f"Chromium processes left behind: {left}")
        if alarm_left:
            signal.alarm(alarm_left)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--harness", required=True, help="ipc-harness")
    ap.add_argument("--sender", required=True, help="the posix-mq example sender")
    ap.add_argument("--receiver", required=True, help="the posix-mq example's broken receiver")
    ap.add_argument("--out", required=True, help="where the cases and the screenshots go")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    ap.add_argument("--deadline", type=int, default=200, help="seconds for the whole test")
    a = ap.parse_args()
    for exe in (a.chromium, a.chromedriver):
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            print(f"check_timeline: {exe} is missing; ci/deps installs chromium and chromium-driver", file=sys.stderr)
            return 1 if os.environ.get("CI") else cr.SKIP
    signal.signal(signal.SIGALRM, cr.on_alarm)
    signal.alarm(a.deadline)
    started = time.monotonic()
    try:
        os.makedirs(a.out, exist_ok=True)
        pages = {"run": (failing_run(a.harness, a.out), True)}
        for i, p in enumerate(failing_check(a.harness, a.sender, a.receiver, a.out)):
            pages[f"check-{i + 1}"] = (p, False)
        problems = open_pages(pages, a.out, a.chromium, a.chromedriver)
        if problems:
            raise cr.Failed("\n".join(problems))
    except cr.Failed as e:
        print(f"check_timeline: FAILED\n{e}", file=sys.stderr)
        return 1
    except (cr.Broken, cr.Deadline, OSError, ValueError, KeyError) as e:
        print(f"check_timeline: could not run: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
    say(f"passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
