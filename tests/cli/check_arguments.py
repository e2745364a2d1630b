#!/usr/bin/env python3
"""Argument lists over every subcommand, run against the real binary (ctest: cli.arguments).

Generated from a seed (printed first; --seed repeats a run): valid lists kept cheap (a few small
messages, one or two cases), boundary values, and hostile ones (negative, zero, huge, overflowing,
non-decimal, empty, unknown options and names). For each list the binary must

  * exit 0, 1 or 2: never 3 (a harness error), never a signal, never a hang (a guard kills it);
  * exit 2 with one line on stderr naming the option, whenever a number is outside the range
    RANGES gives for it (the README's options tables): refused up front, not run;
  * leave nothing behind: no file in its private TMPDIR (run folders, object journals), no new
    /dev/shm or /dev/mqueue entry named ipch-<its pid>-*, no SysV object under a key of one of
    its names, no worker process left.

A failure prints the argument list as a shell line, with what was wrong; exit 1 iff any failed.
"""
import argparse
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GUARD_S = 30  # a hang guard: the slowest valid list here runs well within a second or two

MECHANISMS = ["pipe", "fifo", "sysv-msg", "posix-mq", "sysv-shm", "posix-shm", "unix-stream", "unix-dgram",
              "unix-seqpacket", "tcp", "udp"]
WORKLOADS = ["stream", "request-response", "fan-in"]
FAULTS = ["kill-receiver", "kill-sender", "stop", "full-buffer", "eintr", "short-io", "leaked-fd"]

# The ranges the command line promises (README, "Options"): (subcommand, option) -> (lo, hi).
# "workers" is the machine's ceiling, worked out below from the limits the binary runs under.
U64 = 2**64 - 1
RANGES = {
    ("run", "--cases"): (1, 1_000_000),
    ("run", "--senders"): (1, "workers-1"),
    ("run", "--receivers"): (1, "workers-1"),
    ("run", "--messages"): (1, 1_000_000_000),
    ("run", "--max-size"): (32, 16 * 1024 * 1024),
    ("run", "--depth"): (1, 65536),
    ("run", "--seed"): (0, U64),
    ("run", "--stall-ms"): (100, 3_600_000),
    ("replay", "--times"): (1, 10_000),
    ("claims", "--seed"): (0, U64),
    ("check", "--cases"): (1, 1_000_000),
    ("check", "--messages"): (1, 1_000_000_000),
    ("check", "--max-size"): (32, 16 * 1024 * 1024),
    ("check", "--seed"): (0, U64),
    ("check", "--stall-ms"): (100, 3_600_000),
}

HOSTILE_NUMBERS = ["-1", "-5", "0", "", " ", "abc", "1x", "-1x", "0x10", "010", "1e3", "3.5", "+4", "nan",
                   "99999999999999999999999", "18446744073709551616", "18446744073709551615", "4294967296",
                   "4294967297", "-18446744073709551615", "--", "1 2"]
HOSTILE_NAMES = ["nope", "", "PIPE", "pipe ", "all,pipe", "../pipe", "-", "--json", "\u00e9"]
HOSTILE_SETTINGS = ["capacity=-4", "capacity=0", "capacity=17592186044417M", "capacity=99999999999999999999",
                    "capacity=", "capacity", "capacity=4x", "blocking=maybe", "colour=red", "=", ",", "capacity=1K,,"]
HOSTILE_FAULTS = ["nope", "", "kill-receiver:k=-1", "kill-receiver:k=99999999999999999999", "kill-receiver:k=abc",
                  "kill-receiver:bogus=1", "stop:for=-3", "short-io:bytes=0", "errno:n=-1", ":", "kill-receiver:"]
HOSTILE_SHARDS = ["-1/4", "0/-1", "4/4", "0/0", "1", "/", "a/b", "0/99999999999999999999", "0/1000001"]


def ceiling(nofile):
    """The machine's ceiling on workers under RLIMIT_NOFILE `nofile` (cli/worker_ceiling.hpp)."""
    w = 128
    if nofile != resource.RLIM_INFINITY:
        w = min(w, max(nofile - 32, 0) // 4)
    return w


def as_int(text):
    """The value of `text` iff it is plain decimal (the only form the command line takes)."""
    return int(text) if re.fullmatch(r"[0-9]+", text) else None


class Case:
    def __init__(self, argv, nofile=None, other_hostile=True):
        self.argv = argv
        self.nofile = nofile  # a lowered RLIMIT_NOFILE for this list, or None
        # False iff every element but the numbers in RANGES is known good: then an out-of-range
        # number must be the one the refusal names.
        self.other_hostile = other_hostile

    def shell(self):
        prefix = f"(ulimit -n {self.nofile}; " if self.nofile else ""
        return prefix + "ipc-harness " + " ".join(shlex.quote(a) for a in self.argv) + (")" if self.nofile else "")

    def all_out_of_range(self, workers):
        """Every (option, value) whose value RANGES refuses."""
        sub, out = (self.argv[0] if self.argv else ""), []
        for i, a in enumerate(self.argv[:-1]):
            rng = RANGES.get((sub, a))
            if not rng:
                continue
            v, lo, hi = as_int(self.argv[i + 1]), rng[0], rng[1]
            if hi == "workers-1":
                hi = workers - 1
            if v is None or v < lo or v > hi:
                out.append((a, self.argv[i + 1]))
        return out

    def out_of_range(self, workers):
        """The first (option, value) whose value RANGES refuses, or None."""
        bad = self.all_out_of_range(workers)
        return bad[0] if bad else None


class Gen:
    def __init__(self, rnd, repro, check_repro):
        self.r = rnd
        self.repro = repro
        self.check_repro = check_repro

    def pick(self, xs):
        return self.r.choice(xs)

    def number(self, lo, hi, cheap_hi):
        """A value for a numeric option: valid and small, at a boundary, or hostile."""
        k = self.r.random()
        if k < 0.45:
            return str(self.r.randint(lo, min(hi, cheap_hi)))
        if k < 0.6:
            return self.pick([str(lo), str(lo - 1) if lo > 0 else "-1", str(hi + 1)])
        return self.pick(HOSTILE_NUMBERS)

    def run(self):
        hostile = False
        mech = self.pick(MECHANISMS)
        if self.r.random() < 0.1:
            mech, hostile = self.pick(HOSTILE_NAMES + ["all"]), True
        opts = {"--mechanism": mech}
        nofile = None
        if self.r.random() < 0.25:
            opts["--cases"] = self.number(1, 1_000_000, 2)
            opts["--seed"] = str(self.r.randint(0, U64))
            if self.r.random() < 0.3:
                opts["--mechanism"] = "all"
            if self.r.random() < 0.3:
                opts["--shard"] = self.pick(HOSTILE_SHARDS + ["0/1", "1/2", "0/3"])
                hostile |= opts["--shard"] in HOSTILE_SHARDS
            return Case(["run"] + [x for kv in opts.items() for x in kv], None, hostile)
        opts["--workload"] = self.pick(WORKLOADS)
        if self.r.random() < 0.1:
            opts["--workload"], hostile = self.pick(["zigzag", ""]), True
        # Cheap by default: a pipe deadlock at a large depth waits out the stall window.
        opts["--messages"] = self.number(1, 1_000_000_000, 50)
        opts["--stall-ms"] = "500"
        flags = []
        for _ in range(self.r.randint(0, 3)):
            opt = self.pick(["--senders", "--receivers", "--max-size", "--depth", "--seed", "--stall-ms", "--setting",
                             "--fault", "--bogus", "--json", "--senders-at-ceiling"])
            if opt == "--senders-at-ceiling":
                # The machine's ceiling under a lowered RLIMIT_NOFILE: at it the run goes, above it
                # it is refused naming the limit.
                nofile = 128
                hi = ceiling(nofile) - 1
                opts.update({"--workload": "fan-in", "--senders": str(self.pick([hi, hi + 1, 2 * hi])),
                             "--messages": "30"})
            elif opt in ("--senders", "--receivers"):
                opts[opt] = self.number(1, 127, 4) if self.r.random() < 0.8 else self.pick(["127", "128", "100000"])
            elif opt == "--max-size":
                opts[opt] = self.number(32, 16 * 1024 * 1024, 65536)
                if self.r.random() < 0.15:
                    opts[opt] = str(16 * 1024 * 1024)
                opts["--messages"] = "3"
            elif opt == "--depth":
                opts[opt] = self.number(1, 65536, 8)
            elif opt == "--seed":
                opts[opt] = self.pick([str(self.r.randint(0, U64)), "0", "007", str(U64)] + HOSTILE_NUMBERS)
            elif opt == "--stall-ms":
                opts[opt] = self.number(100, 3_600_000, 3000)
            elif opt == "--setting":
                opts[opt] = self.pick(HOSTILE_SETTINGS + ["capacity=4096", "capacity=64K", "blocking=false"])
                hostile |= opts[opt] in HOSTILE_SETTINGS
            elif opt == "--fault":
                opts[opt] = self.pick(HOSTILE_FAULTS + FAULTS)
                hostile |= opts[opt] in HOSTILE_FAULTS
            else:
                flags.append(opt)
                hostile |= opt == "--bogus"
        argv = ["run"] + [x for kv in opts.items() for x in kv] + flags
        return Case(argv, nofile, hostile)

    def replay(self):
        path = self.pick([self.repro, self.check_repro, "/dev/null", "/nonexistent/reproducer.json", "/tmp", "",
                          "/etc/passwd"])
        argv = ["replay", path]
        if self.r.random() < 0.6:
            argv += ["--times", self.number(1, 10_000, 2)]
        if self.r.random() < 0.3:
            argv += ["--json"]
        return Case(argv)

    def check(self):
        prog = self.pick(["/bin/true", "cat", "/bin/false", "/nonexistent/program", "", "'unclosed"])
        argv = ["check", "--sender", prog, "--receiver", self.pick(["/bin/true", "cat", ""])]
        for opt, lo, hi, cheap in [("--cases", 1, 1_000_000, 2), ("--messages", 1, 1_000_000_000, 5),
                                   ("--max-size", 32, 16 * 1024 * 1024, 4096), ("--stall-ms", 100, 3_600_000, 1000),
                                   ("--seed", 0, U64, U64)]:
            if self.r.random() < 0.4:
                argv += [opt, self.number(lo, hi, cheap)]
        if not any(a == "--cases" for a in argv):
            argv += ["--cases", "1"]
        if not any(a == "--messages" for a in argv):
            argv += ["--messages", "2"]
        if not any(a == "--stall-ms" for a in argv):
            argv += ["--stall-ms", "500"]
        if self.r.random() < 0.3:
            argv += ["--shard", self.pick(HOSTILE_SHARDS + ["0/1"])]
        if self.r.random() < 0.2:
            argv += ["--contract", self.pick(["reliable,fifo,boundaries", "window=-1", "window=99999999999999999999",
                                              "bogus", ""])]
        if self.r.random() < 0.2:
            argv += ["--fault", self.pick(["kill-sender", "nope", ""])]
        return Case(argv)

    def other(self):
        return Case(self.pick([
            ["list", self.pick(["mechanisms", "faults", "claims", "bogus", ""])] + self.pick([[], ["--json"]]),
            ["list"],
            ["clean", "--bogus"],
            ["clean", "extra"],
            ["bench", "--mechanism", self.pick(HOSTILE_NAMES)],
            ["bench", "--bogus"],
            ["bench", "--help"],
            # A valid seed would run every claim (minutes): only refused ones here.
            ["claims", "--seed", self.pick([n for n in HOSTILE_NUMBERS if as_int(n) is None])],
            ["claims", "--only", self.pick(["nope", ",", ""])],
            ["claims", "--help"],
            [],
            ["--version"],
            ["--help"],
            ["frobnicate"],
            ["-x"],
            ["run"],
            ["run", "--mechanism"],
            ["run", "--mechanism", "pipe", "--messages"],
            ["replay"],
            ["check", "--sender", "/bin/true"],
        ]))

    def case(self):
        k = self.r.random()
        if k < 0.45:
            return self.run()
        if k < 0.6:
            return self.replay()
        if k < 0.8:
            return self.check()
        return self.other()


def fnv1a(name):
    h = 2166136261
    for c in name.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    h = h or 1
    return h - 2**32 if h >= 2**31 else h  # key_t is signed, as /proc/sysvipc prints it


def sysv_keys():
    keys = set()
    for f in ("/proc/sysvipc/msg", "/proc/sysvipc/shm", "/proc/sysvipc/sem"):
        try:
            with open(f) as fh:
                next(fh, None)
                for line in fh:
                    parts = line.split()
                    if parts:
                        keys.add(int(parts[0]))
        except OSError:
            pass
    return keys


def entries(pid):
    out = []
    for d in ("/dev/shm", "/dev/mqueue"):
        try:
            out += [f"{d}/{n}" for n in os.listdir(d) if n.startswith(f"ipch-{pid}-")]
        except OSError:
            pass
    return out


def workers_of(pid):
    tag = f"(runner {pid})".encode()
    left = []
    for n in os.listdir("/proc"):
        if not n.isdigit():
            continue
        try:
            with open(f"/proc/{n}/cmdline", "rb") as f:
                if tag in f.read():
                    left.append(int(n))
        except OSError:
            pass
    return left


def execute(binary, case, work, index):
    """Runs one list; returns a list of what was wrong (empty: it held)."""
    cwd = os.path.join(work, f"case-{index}")
    tmp = os.path.join(cwd, "tmp")
    os.makedirs(tmp)
    env = dict(os.environ, TMPDIR=tmp)

    def limits():
        if case.nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (case.nofile, case.nofile))

    before = sysv_keys()
    t0 = time.monotonic()
    p = subprocess.Popen([binary] + case.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True, preexec_fn=limits)
    problems = []
    try:
        out, err = p.communicate(timeout=GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        problems.append(f"hang: still running after {GUARD_S} s (killed)")
    secs = time.monotonic() - t0
    rc = p.returncode
    err_text = err.decode(errors="replace")
    if rc < 0:
        problems.append(f"killed by signal {signal.Signals(-rc).name}")
    elif rc not in (0, 1, 2):
        problems.append(f"exit {rc} (only 0, 1 or 2 are allowed here)")
    soft = case.nofile or resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    bad = case.out_of_range(ceiling(soft))
    if bad and not problems:
        option, value = bad
        lines = [l for l in err_text.splitlines() if l.strip()]
        if rc != 2:
            problems.append(f"{option} {value!r} is out of range, yet exit {rc} (expected 2)")
        elif len(lines) != 1:
            problems.append(f"{option} {value!r}: expected one line on stderr, got {len(lines)}")
        elif not case.other_hostile and not any(f"{o}: " in lines[0] for o, _ in case.all_out_of_range(
                ceiling(soft))):
            problems.append(f"{option} {value!r}: the refusal names no out-of-range option")
    elif any(case.argv[i] == "--setting" and case.argv[i + 1] in HOSTILE_SETTINGS for i in range(len(case.argv) - 1)) \
            and rc != 2 and not problems:
        problems.append(f"a malformed --setting was taken (exit {rc}, expected 2)")
    elif rc == 2 and len([l for l in err_text.splitlines() if l.strip()]) > 2:
        problems.append("exit 2 with more than two lines on stderr")
    # A number is taken as the decimal it reads as: "010" is ten, not eight (CLI11 alone says octal).
    if rc in (0, 1) and case.argv[:1] == ["run"] and "--seed" in case.argv and "--json" not in case.argv:
        typed = as_int(case.argv[case.argv.index("--seed") + 1])
        if typed is not None and f"seed {typed}" not in out.decode(errors="replace"):
            problems.append(f"--seed {case.argv[case.argv.index('--seed') + 1]} was not run as seed {typed}")
    # What it may have left: give a dying worker a moment to be reaped.
    for _ in range(20):
        left = workers_of(p.pid)
        if not left:
            break
        time.sleep(0.05)
    if left:
        problems.append(f"workers left running: {left}")
        for w in left:
            try:
                os.kill(w, signal.SIGKILL)
            except OSError:
                pass
    stray = entries(p.pid)
    if stray:
        problems.append(f"left {stray}")
    ours = {fnv1a(f"ipch-{p.pid}-{n}") for n in range(1, 2049)}
    kept = (sysv_keys() - before) & ours
    if kept:
        problems.append(f"left SysV objects under keys {sorted(kept)}")
    leftovers = sorted(os.listdir(tmp))
    if leftovers:
        problems.append(f"left in its TMPDIR: {leftovers}")
    if problems:
        problems.append(f"stderr: {err_text.strip()[:600]!r}")
    shutil.rmtree(cwd, ignore_errors=True)
    return rc, secs, problems


def make_reproducers(binary, work):
    """A run reproducer (a pipe deadlock, quick) and a check reproducer, for replay to read."""
    run_dir, check_dir = os.path.join(work, "repro-run"), os.path.join(work, "repro-check")
    subprocess.run([binary, "run", "--mechanism", "pipe", "--workload", "request-response", "--depth", "64",
                    "--max-size", "65536", "--seed", "7", "--stall-ms", "200", "--out", run_dir],
                   capture_output=True, timeout=GUARD_S, cwd=work)
    subprocess.run([binary, "check", "--sender", "/bin/true", "--receiver", "/bin/true", "--cases", "1",
                    "--messages", "1", "--stall-ms", "200", "--seed", "1", "--out", check_dir],
                   capture_output=True, timeout=GUARD_S, cwd=work)
    found = [os.path.join(d, f) for d, _, fs in os.walk(check_dir) for f in fs if f == "reproducer.json"]
    return os.path.join(run_dir, "reproducer.json"), (found[0] if found else "/nonexistent/check-reproducer.json")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--harness", required=True, help="the ipc-harness binary")
    ap.add_argument("--seed", type=int, help="repeat the lists of an earlier run (default: random, printed)")
    ap.add_argument("--count", type=int, default=300, help="how many argument lists at most")
    ap.add_argument("--budget", type=float, default=60, help="stop starting new lists after this many seconds")
    a = ap.parse_args()
    a.harness = os.path.abspath(a.harness)  # each list runs in a folder of its own
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(2**63)
    print(f"check_arguments: seed {seed} (repeat with --seed {seed})", flush=True)
    work = tempfile.mkdtemp(prefix="ipch-args-")
    try:
        repro, check_repro = make_reproducers(a.harness, work)
        gen = Gen(random.Random(seed), repro, check_repro)
        start, failures, codes, ran = time.monotonic(), [], {}, 0
        for i in range(a.count):
            if time.monotonic() - start > a.budget:
                break
            case = gen.case()
            rc, secs, problems = execute(a.harness, case, work, i)
            ran += 1
            codes[rc] = codes.get(rc, 0) + 1
            if problems:
                failures.append((case, problems))
                print(f"FAIL {case.shell()}\n  " + "\n  ".join(problems), flush=True)
            elif secs > 5:
                print(f"slow ({secs:.1f} s): {case.shell()}", flush=True)
        summary = ", ".join(f"exit {k}: {v}" for k, v in sorted(codes.items()))
        print(f"check_arguments: {ran} argument lists in {time.monotonic() - start:.1f} s ({summary}); "
              f"{len(failures)} failed; seed {seed}")
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
