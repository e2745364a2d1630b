#!/usr/bin/env python3
"""The include graph of the production folders against the layering (ctest: layering.includes).

Every #include of a production file is resolved to the folder that holds the header (includes
are by bare name, e.g. "runner.hpp", or by a path under include/, e.g. <ipch/adapter.hpp>). An
edge from folder A to folder B is allowed iff B is A itself or is reachable from A through
MAY_USE. Each bad edge is printed as `file -> header (layer A may not use layer B)`.

The same data is held against each folder's CMakeLists.txt: a target that links a library of a
folder it may not use is a bad edge too, so the table cannot drift from the build.

A folder with sources that is neither in MAY_USE nor in NOT_PRODUCTION fails the test: a new
folder must be placed in the layering, which is one line below.

Exit status: 0 no bad edge, 1 bad edges (or an unknown folder), 2 bad invocation.
--self-test copies the tree to a temporary folder, plants bad edges, and fails unless each is
caught (and the unplanted copy passes): the check can fail.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Each production folder and the folders it uses directly; what those use is allowed too.
# Derived from the target_link_libraries of each folder's CMakeLists.txt. Adding a folder is
# one line; a folder that does not exist is simply absent from the graph.
MAY_USE = {
    "mechanisms": [],
    "core":       ["mechanisms"],                   # history and events, read back by judge
    "faults":     ["core"],
    "harness":    ["faults"],
    "properties": ["harness"],
    "bench":      ["harness"],
    "external":   ["properties"],
    "claims":     ["properties", "bench"],
    "include":    ["mechanisms"],                   # the adapter's installed headers
    "adapter":    ["include", "properties"],
    "campaign":   ["properties", "external"],       # cases, seeds, shards, corpus, JUnit
    "cli":        ["campaign", "external", "bench", "claims"],
}

# Top-level folders that hold no production code (or are not ours).
NOT_PRODUCTION = {"tests", "examples", "build", "docs", "ci", "cmake", ".git", ".github"}

SOURCE = re.compile(r".*\.(cpp|hpp|h|cc|hh)$")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def closure(folder):
    """The folders `folder` may include from: itself and everything reachable through MAY_USE."""
    seen, todo = {folder}, list(MAY_USE[folder])
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo.extend(MAY_USE.get(f, []))
    return seen


def production_folders(root):
    """Returns (known, unknown): top-level folders holding sources, in MAY_USE or not."""
    known, unknown = [], []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if not os.path.isdir(path) or name in NOT_PRODUCTION or name.startswith("."):
            continue
        has_sources = any(SOURCE.match(f) for _, _, files in os.walk(path) for f in files)
        if name in MAY_USE:
            known.append(name)
        elif has_sources:
            unknown.append(name)
    return known, unknown


def sources(root, folder):
    for d, _, files in os.walk(os.path.join(root, folder)):
        for f in sorted(files):
            if SOURCE.match(f):
                yield os.path.relpath(os.path.join(d, f), root)


def header_index(root, folders):
    """Maps each header's path below its folder (and each suffix of it) to the folders that hold it."""
    index = {}
    for folder in folders:
        for rel in sources(root, folder):
            parts = rel.split(os.sep)[1:]
            for i in range(len(parts)):
                index.setdefault("/".join(parts[i:]), set()).add(folder)
    return index


def include_edges(root, folders):
    """Yields (file, header, from folder, to folder) for every include that crosses folders."""
    index = header_index(root, folders)
    for folder in folders:
        for rel in sources(root, folder):
            own_dir = os.path.dirname(os.path.join(root, rel))
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    header = m.group(1)
                    # A quoted include finds the includer's own folder first, as the compiler does.
                    if os.path.exists(os.path.join(own_dir, header)):
                        continue
                    holders = index.get(header, set())
                    if not holders:
                        continue  # a system or third-party header
                    if folder in holders:
                        continue
                    for to in sorted(holders):
                        yield rel, header, folder, to


def cmake_targets(root, folders):
    """Maps each library or executable name to the folder whose CMakeLists.txt defines it."""
    out = {}
    for folder in folders:
        path = os.path.join(root, folder, "CMakeLists.txt")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for m in re.finditer(r"add_(?:library|executable)\(\s*([A-Za-z0-9_.-]+)", f.read()):
                    out[m.group(1)] = folder
    return out


def link_edges(root, folders):
    """Yields (CMakeLists.txt, target linked, from folder, to folder) for links that cross folders."""
    targets = cmake_targets(root, folders)
    for folder in folders:
        path = os.path.join(root, folder, "CMakeLists.txt")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"#[^\n]*", "", f.read())
        for m in re.finditer(r"target_link_libraries\(([^)]*)\)", text):
            for word in m.group(1).split()[1:]:
                to = targets.get(word)
                if to and to != folder:
                    yield os.path.relpath(path, root), word, folder, to


def check(root, out):
    """Prints every bad edge and unknown folder to `out`. Returns (problems, cross-folder edges seen)."""
    known, unknown = production_folders(root)
    problems = 0
    for name in unknown:
        print(f"{name}/: a folder with sources that the layering does not know; add one line for it to "
              f"MAY_USE in {os.path.relpath(__file__)}", file=out)
        problems += 1
    edges = list(include_edges(root, known)) + list(link_edges(root, known))
    for rel, header, a, b in edges:
        if b not in closure(a):
            print(f"{rel} -> {header} (layer {a} may not use layer {b})", file=out)
            problems += 1
    return problems, len(edges)


def plant(root, rel, line):
    with open(os.path.join(root, rel), "a", encoding="utf-8") as f:
        f.write("\n" + line + "\n")


def self_test(root):
    """Returns 0 iff a clean copy passes and each planted bad edge or folder is caught by name."""
    ok = True
    with tempfile.TemporaryDirectory(prefix="ipch-layering-") as tmp:
        copy = os.path.join(tmp, "src")
        os.makedirs(copy)
        shutil.copy(os.path.join(root, "CMakeLists.txt"), copy)
        for folder in production_folders(root)[0]:
            shutil.copytree(os.path.join(root, folder), os.path.join(copy, folder))
        baseline, _ = check(copy, sys.stdout)
        if baseline:
            print(f"self-test: the unplanted copy already has {baseline} problem(s); fix those first")
            return 1
        # Each plant: (file to append to, line, text the report must contain).
        plants = [
            ("harness/runner.cpp", '#include "cli_run.hpp"', "harness/runner.cpp -> cli_run.hpp (layer harness may not use layer cli)"),
            ("harness/history.hpp", '#include "claims_catalogue.hpp"', "(layer harness may not use layer claims)"),
            ("mechanisms/pipe.cpp", '#include "plan.hpp"', "(layer mechanisms may not use layer faults)"),
            ("bench/suite.cpp", '#include "check.hpp"', "(layer bench may not use layer properties)"),
            ("properties/check.cpp", "#include <ipch/adapter.hpp>", "(layer properties may not use layer include)"),
            ("harness/CMakeLists.txt", "target_link_libraries(ipch_harness PUBLIC ipch_external)",
             "(layer harness may not use layer external)"),
        ]
        for rel, line, expect in plants:
            one = os.path.join(tmp, "one")
            shutil.rmtree(one, ignore_errors=True)
            shutil.copytree(copy, one)
            plant(one, rel, line)
            report = _capture(one)
            if expect not in report:
                print(f"self-test: planted `{line}` in {rel}; expected a line containing '{expect}', got:\n{report}")
                ok = False
            else:
                print(f"self-test: caught {rel}: {line}")
        one = os.path.join(tmp, "one")
        shutil.rmtree(one, ignore_errors=True)
        shutil.copytree(copy, one)
        os.makedirs(os.path.join(one, "zzz"))
        plant(one, "zzz/thing.cpp", '#include "runner.hpp"')
        report = _capture(one)
        if "zzz/: a folder with sources that the layering does not know" not in report:
            print(f"self-test: an unknown folder zzz/ was not reported:\n{report}")
            ok = False
        else:
            print("self-test: caught the unknown folder zzz/")
    return 0 if ok else 1


def _capture(root):
    """The report of a check of `root`, run as its own process as ctest runs it."""
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--root", root],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 1:
        return f"(exit {r.returncode}, expected 1)\n{r.stdout}{r.stderr}"
    return r.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="the source tree (the folder of the top CMakeLists.txt)")
    p.add_argument("--self-test", action="store_true", help="plant bad edges in a copy and require each caught")
    a = p.parse_args()
    if not os.path.exists(os.path.join(a.root, "CMakeLists.txt")):
        print(f"--root {a.root}: no CMakeLists.txt there; give the source tree", file=sys.stderr)
        return 2
    if a.self_test:
        return self_test(a.root)
    problems, edges = check(a.root, sys.stdout)
    known, _ = production_folders(a.root)
    if problems:
        print(f"{problems} problem(s) among {edges} cross-folder includes and links of {', '.join(known)}")
        return 1
    print(f"no bad edge among {edges} cross-folder includes and links of {', '.join(known)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
