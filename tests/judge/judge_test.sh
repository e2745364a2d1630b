#!/usr/bin/env bash
# ipc-harness judge on stored histories, as a user meets it: the same verdict and violations as
# the run that wrote them (a deadlock, a pass, a `check` case), and a malformed or missing file
# refused with exit 2 and one line naming the file and the line. `cases` and `replay` take the
# ipc-harness with the mutants in it: the shrunk failure of `run --cases` and a failing replay of
# its reproducer, judged again from the history.jsonl each wrote.
# Usage: judge_test.sh HARNESS WORKDIR CASE [SENDER RECEIVER]
set -u
bin=$1; work=$2; case=$3
rm -rf "$work/$case"; mkdir -p "$work/$case"; cd "$work/$case" || exit 1
py=$(command -v python3)
fail() { echo "FAIL: $*"; exit 1; }

# The verdict and the violations (kind and detail) of a --json object, one line.
same() {  # run.json judge.json
  "$py" - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ka = a["verdict"], [(v["kind"], v["detail"]) for v in a["violations"]]
kb = b["verdict"], [(v["kind"], v["detail"]) for v in b["violations"]]
if ka != kb:
    print("run:  ", ka); print("judge:", kb); sys.exit(1)
print("same verdict", ka[0], "and", len(ka[1]), "violations")
PY
}

case $case in
  deadlock)
    "$bin" run --mechanism pipe --workload request-response --depth 64 --max-size 65536 --seed 7 --json --out D >run.json
    rc=$?; [ $rc = 1 ] || fail "run exit $rc, expected 1"
    grep -q '"deadlock"' run.json || fail "the run did not deadlock: $(cat run.json)"
    "$bin" judge D --json >judge.json; jrc=$?
    [ $jrc = 1 ] || fail "judge exit $jrc, expected 1"
    same run.json judge.json || fail "judge differs from the run"
    "$bin" judge D/history.jsonl >judge.txt || true
    grep -q "verdict: deadlock" judge.txt || fail "text output: $(cat judge.txt)"
    ;;
  pass)
    "$bin" run --mechanism unix-stream --senders 2 --messages 3000 --seed 3 --json --out P >run.json || fail "run failed: $(cat run.json)"
    "$bin" judge P --json >judge.json || fail "judge exit $? on a passing run"
    same run.json judge.json || fail "judge differs from the run"
    # The contract words override the file's: the same history under `lossy,unordered` still passes.
    "$bin" judge P --contract lossy,unordered >/dev/null || fail "judge --contract"
    "$bin" judge P --contract relaible 2>err.txt; [ $? = 2 ] || fail "a bad --contract word is not exit 2"
    [ "$(wc -l <err.txt)" = 1 ] || fail "bad --contract: $(cat err.txt)"
    ;;
  check)
    sender=$4; receiver=$5
    "$bin" check --sender "$sender" --receiver "$receiver" --cases 2 --messages 20 --seed 5 --out C --json >check.json
    found=0
    for r in $(find C -name result.json); do
      d=$(dirname "$r"); [ -f "$d/history.jsonl" ] || continue
      found=1
      "$bin" judge "$d" --json >judge.json; jrc=$?
      [ $jrc = 1 ] || fail "judge exit $jrc on a failing check case"
      same "$r" judge.json || fail "judge differs from check's result.json in $d"
    done
    [ $found = 1 ] || fail "check kept no failing case's history: $(cat check.json)"
    ;;
  cases)
    # Every case of the truncating mutant fails (a 1 KiB receive buffer, no MSG_TRUNC): the shrunk
    # first failure's history is the run it reported, so judge gives its verdict and first violation.
    "$bin" run --mechanism mutant-truncating-unix-dgram --cases 3 --seed 1 --json --out K >cases.json
    rc=$?; [ $rc = 1 ] || fail "run --cases exit $rc, expected 1: $(cat cases.json)"
    "$py" - cases.json <<'PY' || fail "run --cases JSON: $(cat cases.json)"
import json, os, sys
f = json.load(open(sys.argv[1]))["first_failure"]
assert f["verdict"] == "violations" and f["history"], f
assert os.path.samefile(f["history"], "K/history.jsonl"), f["history"]
PY
    "$bin" judge K --json >judge.json; jrc=$?
    [ $jrc = 1 ] || fail "judge exit $jrc, expected 1"
    "$py" - cases.json judge.json <<'PY' || fail "judge differs from run --cases"
import json, sys
f = json.load(open(sys.argv[1]))["first_failure"]
j = json.load(open(sys.argv[2]))
first = j["violations"][0]["kind"] + ": " + j["violations"][0]["detail"] if j["violations"] else ""
if (f["verdict"], f["why"]) != (j["verdict"], first):
    print("run --cases:", f["verdict"], f["why"]); print("judge:      ", j["verdict"], first); sys.exit(1)
print("same verdict", j["verdict"], "and first violation")
PY
    ls K | grep -q 'part\|failed' && fail "run --cases left part files: $(ls K)"
    "$bin" run --mechanism mutant-truncating-unix-dgram --cases 1 --seed 1 --out T >cases.txt
    grep -qx "judge it again: ipc-harness judge T" cases.txt || fail "text output: $(cat cases.txt)"
    # A passing run --cases keeps no history, and no folder it made for one.
    "$bin" run --mechanism pipe --cases 2 --seed 1 --out P >/dev/null || fail "passing run --cases"
    [ -e P ] && fail "a passing run --cases left $(ls -A P)"
    ;;
  replay)
    # The reproducer of the shrunk failure replayed: the last failing replay's history replaces the
    # one beside the reproducer, and judge gives what the replay reported.
    "$bin" run --mechanism mutant-truncating-unix-dgram --cases 3 --seed 1 --out K >/dev/null; rc=$?
    [ $rc = 1 ] && [ -f K/reproducer.json ] || fail "run --cases exit $rc, no reproducer"
    rm K/history.jsonl
    "$bin" replay K/reproducer.json --times 2 --json >replay.json; rc=$?
    [ $rc = 1 ] || fail "replay exit $rc, expected 1: $(cat replay.json)"
    grep -q '"verdicts":\["violations","violations"\]' replay.json || fail "a replay passed: $(cat replay.json)"
    grep -q '"history":"[^"]*K/history.jsonl"' replay.json || fail "replay JSON names no history: $(cat replay.json)"
    "$bin" judge K --json >judge.json; jrc=$?
    [ $jrc = 1 ] || fail "judge exit $jrc, expected 1"
    same replay.json judge.json || fail "judge differs from the replay"
    ls K | grep -q 'part' && fail "replay left part files: $(ls K)"
    "$bin" replay K/reproducer.json >replay.txt
    grep -q "^judge it again: ipc-harness judge .*/K$" replay.txt || fail "text output: $(cat replay.txt)"
    ;;
  malformed)
    "$bin" run --mechanism pipe --messages 50 --seed 1 --out M >/dev/null || fail "run"
    head -3 M/history.jsonl >bad.jsonl; echo '{"t_ns":1,"worker":0,"event":"send-ok","seq":"x"}' >>bad.jsonl
    "$bin" judge bad.jsonl 2>err.txt; rc=$?
    [ $rc = 2 ] || fail "malformed: exit $rc"
    [ "$(wc -l <err.txt)" = 1 ] || fail "malformed: $(cat err.txt)"
    grep -q "bad.jsonl line 4: 'seq'" err.txt || fail "malformed: $(cat err.txt)"
    echo 'not json' >nojson.jsonl
    "$bin" judge nojson.jsonl 2>err.txt; [ $? = 2 ] && grep -q "nojson.jsonl line 1" err.txt || fail "not json: $(cat err.txt)"
    "$bin" judge missing-folder 2>err.txt; [ $? = 2 ] && [ "$(wc -l <err.txt)" = 1 ] || fail "missing: $(cat err.txt)"
    : >empty.jsonl
    "$bin" judge empty.jsonl 2>err.txt; [ $? = 2 ] || fail "empty file"
    ;;
  sigint)
    # SIGINT at any moment stops a run within a second, exit 130, nothing left; its history
    # (end line included) is judged "error", as the run said.
    setsid "$bin" run --mechanism pipe --messages 100000000 --max-size 64 --seed 2 --out I >run.txt 2>&1 &
    # The 1 s aim is measured by the acceptance check and reported here; the test's own deadline
    # is only a hang guard (5 s), so a loaded CI machine cannot turn it red.
    p=$!; sleep 3; kill -INT $p; t0=$(date +%s%N)
    for _ in $(seq 1 100); do kill -0 $p 2>/dev/null || break; sleep 0.05; done
    if kill -0 $p 2>/dev/null; then kill -9 $p; fail "still running 5 s after SIGINT"; fi
    wait $p; rc=$?; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ $rc = 130 ] || fail "exit $rc after SIGINT, expected 130"
    pgrep -f "worker .*runner $p)" >/dev/null && fail "a worker outlived the run"
    "$bin" judge I --json >judge.json; jrc=$?
    [ $jrc = 3 ] || fail "judge of an interrupted run: exit $jrc, expected 3"
    grep -q '"verdict":"error"' judge.json || fail "judge: $(cat judge.json)"
    echo "stopped in $ms ms"
    ;;
  memory)
    # Memory grows with the messages in flight, not with those sent: a million pipe messages
    # stay far within the README's 64 MB.
    # Peak RSS from getrusage (python3 is already a test dependency; /usr/bin/time is not installed
    # on a fresh Debian).
    kb=$("$py" -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=open("run.txt", "w"), stderr=subprocess.STDOUT)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)' \
      "$bin" run --mechanism pipe --messages 1000000 --max-size 64 --seed 1 --out R)
    [ "$kb" != -1 ] || fail "run: $(cat run.txt)"
    [ "$kb" -le 65536 ] || fail "peak RSS $kb KB"
    rm -f R/history.jsonl
    echo "peak RSS $kb KB"
    ;;
esac
echo "ok: $case"
