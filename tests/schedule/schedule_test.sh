#!/usr/bin/env bash
# tests/schedule/schedule_test.sh BIN_DIR [SUBTEST] [SRC_DIR]: `--schedule` as users meet it.
#
#   BIN_DIR  holds ipc-harness and the planted-bug programs bug-<name>-{sender,receiver}
#   SUBTEST  one of the sub-tests below (default: all of them)
#   SRC_DIR  the source tree, for examples/ (default: two folders above this script)
#
# Sub-tests (each prints one line per check, PASS or FAIL with what it measured):
#   deadlock              a pipe request-response deadlock found by construction under random,
#                         its wait-for graph in the text output, its reproducer replayed 5/5
#   replay_with_hogs      the same replay 5/5 beside two busy-looping CPU hogs
#   divergence            a reproducer whose steps were cut or swapped must diverge loudly (never
#                         the recorded verdict silently); steps that are not base64 are exit 2
#   no_false_alarm_run    run --mechanism all --cases 30 passes under random, pct and dfs
#   no_false_alarm_check  the correct example pairs pass check under random, pct and dfs
#   planted               each planted bug of tests/schedule/bugs/ found within 60 schedules
#                         under pct and dfs (sem-no-undo: pct; dfs reported only)
#   bad_input             bad --schedule/--schedules values are exit 2 with one line naming them
#   os_default            without --schedule run reports no schedule at all
# Every harness call runs under `timeout`; there are no timing assertions (timeouts are hang
# guards). Exit: 0 every check passed; 1 one failed; 2 bad arguments.
set -u
usage() { echo "usage: $0 BIN_DIR [SUBTEST] [SRC_DIR]" >&2; exit 2; }
(($# >= 1 && $# <= 3)) || usage
bin=$(cd "$1" 2>/dev/null && pwd) || usage
only=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
src=${3:-$here/../..}
src=$(cd "$src" 2>/dev/null && pwd) || usage
harness=$bin/ipc-harness
[ -x "$harness" ] || { echo "$0: no $harness" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ipch-schedule-test.XXXXXX") || exit 2
hogs=()
finish() {
  local p
  for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  hogs=()
  # No `ipc-harness clean` here: it would remove the objects of other tests' killed runners,
  # which those tests (running beside this one under ctest -j) count on. Every run cleans up.
  rm -rf "$work"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$work" || exit 2  # anything the harness writes by default lands in the temporary folder

failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() {  # check CONDITION-STATUS NAME DETAIL: PASS when the status is 0
  if (($1 == 0)); then pass "$2: $3"; else fail "$2: $3"; fi
}

# h LIMIT ARGS...: the harness under a hang guard; stdout to $work/out, stderr to $work/err,
# the exit status in $rc.
rc=0
h() {
  local limit=$1
  shift
  timeout -k 5 "$limit" "$harness" "$@" >"$work/out" 2>"$work/err"
  rc=$?
}
# j FILE EXPR: a Python expression over the JSON `d` read from FILE, printed ("ERR" if unreadable).
j() {
  python3 -c 'import json, sys
try: d = json.load(open(sys.argv[1]))
except Exception as e: print("ERR"); sys.exit(0)
try: print(eval(sys.argv[2]))
except Exception as e: print("ERR")' "$1" "$2"
}

# The pipe request-response deadlock of every sub-test that needs a reproducer: D/reproducer.json.
deadlock_args=(--mechanism pipe --workload request-response --depth 64 --max-size 65536 --seed 7 --schedule random)
make_deadlock() {
  [ -f "$work/D/reproducer.json" ] && return 0
  h 120 run "${deadlock_args[@]}" --json --out "$work/D"
  cp "$work/out" "$work/deadlock.json"
  [ -f "$work/D/reproducer.json" ]
}

t_deadlock() {
  make_deadlock
  local v dbc repro notes
  v=$(j "$work/deadlock.json" 'd["verdict"]')
  dbc=$(j "$work/deadlock.json" 'd["schedule"]["deadlock_by_construction"]')
  notes=$(j "$work/deadlock.json" 'any("deadlock by construction" in n for n in d["notes"])')
  repro=$(j "$work/deadlock.json" 'd["reproducer"]')
  [ "$v" = deadlock ] && [ "$dbc" = True ] && [ "$notes" = True ] && [ -f "$repro" ] && ((rc == 1))
  check $? deadlock.json "exit $rc, verdict $v, deadlock_by_construction $dbc, note 'deadlock by construction' $notes, reproducer $repro"

  h 120 run "${deadlock_args[@]}" --out "$work/T"
  local graph=0 parked=0
  grep -q "wait-for graph:" "$work/out" && graph=1
  grep -Eq "\(pid [0-9]+\) parked in write\(fd [0-9]+.*no room to write; .* \(pid [0-9]+\) holds it for read" "$work/out" && parked=1
  ((rc == 1 && graph && parked))
  check $? deadlock.text "exit $rc, 'wait-for graph:' $graph, 'X (pid N) parked in write(fd ...): no room to write; Y (pid M) holds it for read' $parked"
  ((graph && parked)) || sed 's/^/  | /' "$work/out" | head -30

  h 200 replay "$work/D/reproducer.json" --times 5 --json
  local same verdicts
  same=$(j "$work/out" 'd["same_verdict"]')
  verdicts=$(j "$work/out" '",".join(d["verdicts"])')
  [ "$same" = 5 ] && ((rc == 1))
  check $? deadlock.replay "exit $rc, same_verdict $same of 5 ($verdicts)"
}

t_replay_with_hogs() {
  if ! make_deadlock; then fail "replay_with_hogs: no reproducer from run ${deadlock_args[*]} (exit $rc)"; return; fi
  sh -c 'while :; do :; done' &
  hogs+=($!)
  sh -c 'while :; do :; done' &
  hogs+=($!)
  h 200 replay "$work/D/reproducer.json" --times 5 --json
  local p
  for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  hogs=()
  local same verdicts
  same=$(j "$work/out" 'd["same_verdict"]')
  verdicts=$(j "$work/out" '",".join(d["verdicts"])')
  [ "$same" = 5 ] && ((rc == 1))
  check $? replay_with_hogs "beside 2 CPU hogs: exit $rc, same_verdict $same of 5 ($verdicts)"
}

# edit SRC DST EXPR: DST = the reproducer SRC with d["schedule"]["steps"] = EXPR (s: the old steps,
# o: the steps of $work/O/reproducer.json if any).
edit() {
  mkdir -p "$(dirname "$2")"
  python3 -c 'import json, sys, os
d = json.load(open(sys.argv[1])); s = d["schedule"]["steps"]
other = os.path.join(os.path.dirname(os.path.dirname(sys.argv[2])), "O", "reproducer.json")
o = json.load(open(other))["schedule"]["steps"] if os.path.exists(other) else None
d["schedule"]["steps"] = eval(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=2)' "$1" "$2" "$3"
}

# replay_diverges NAME REPRODUCER: the replay must say it diverged (text) and, as JSON, carry
# `divergence`, both with an exit status other than 0, and never the recorded verdict silently.
replay_diverges() {
  local name=$1 r=$2 line text_rc div json_rc v
  h 120 replay "$r"
  text_rc=$rc
  line=$(grep -m1 -o "replay diverged at step [0-9]*" "$work/out")
  h 120 replay "$r" --json
  json_rc=$rc
  div=$(j "$work/out" 'd.get("divergence", "")')
  v=$(j "$work/out" 'd["verdict"]')
  [ -n "$line" ] && ((text_rc != 0)) && [ -n "$div" ] && [ "$div" != ERR ] && ((json_rc != 0)) && [ "$v" != deadlock ]
  check $? "divergence.$name" "text: exit $text_rc, '${line:-no divergence line}'; json: exit $json_rc, verdict $v, divergence '${div:0:100}'"
}

t_divergence() {
  if ! make_deadlock; then fail "divergence: no reproducer from run ${deadlock_args[*]} (exit $rc)"; return; fi
  edit "$work/D/reproducer.json" "$work/cut/reproducer.json" 's[:len(s) // 3]'
  replay_diverges cut_to_a_third "$work/cut/reproducer.json"

  # The steps of another scenario's controlled run: the same workload with another seed (its
  # message sizes differ, so the decisions do too).
  local seed found=0
  for seed in 8 9 10 11 12; do
    rm -rf "$work/O"
    h 120 run --mechanism pipe --workload request-response --depth 64 --max-size 65536 --seed "$seed" \
      --schedule random --json --out "$work/O"
    [ -f "$work/O/reproducer.json" ] || continue
    [ "$(j "$work/O/reproducer.json" 'd["schedule"]["steps"]')" != "$(j "$work/D/reproducer.json" 'd["schedule"]["steps"]')" ] || continue
    found=1
    break
  done
  if ((found)); then
    edit "$work/D/reproducer.json" "$work/swap/reproducer.json" 'o'
    replay_diverges "steps_of_seed_$seed" "$work/swap/reproducer.json"
  else
    fail "divergence.swapped: no other seed in 8..12 gave a reproducer with other steps to swap in"
  fi

  edit "$work/D/reproducer.json" "$work/bad/reproducer.json" '"!!!"'
  h 60 replay "$work/bad/reproducer.json"
  local lines named=0
  lines=$(wc -l <"$work/err")
  grep -q "'schedule.steps'" "$work/err" && named=1
  ((rc == 2 && lines == 1 && named))
  check $? divergence.not_base64 "steps '!!!': exit $rc, $lines line(s) on stderr, naming 'schedule.steps' $named: $(head -c 200 "$work/err")"
}

t_no_false_alarm_run() {
  local s v failed
  for s in random pct dfs; do
    h 280 run --mechanism all --cases 30 --schedule "$s" --seed 21 --json --out "$work/run-$s"
    v=$(j "$work/out" 'd["verdict"]')
    failed=$(j "$work/out" 'd["failures"]')
    [ "$v" = pass ] && ((rc == 0))
    check $? "no_false_alarm_run.$s" "run --mechanism all --cases 30 --schedule $s --seed 21: exit $rc, verdict $v, $failed of 30 cases failed"
    if [ "$v" != pass ]; then
      j "$work/out" '"\n".join("  case %s: %s: %s (%s)" % (c["case"], c["scenario"], c["verdict"], c["why"]) for c in d["failed_cases"])'
      j "$work/out" '"  shrunk to: " + json.dumps(d["first_failure"]["scenario"])'
      head -5 "$work/err"
    fi
  done
}

# example NAME PROGRAM: the example program, built by examples/Makefile when it is missing.
example() {
  local p=$src/examples/$1/$2
  if [ ! -x "$p" ]; then
    timeout 120 make -s -C "$src/examples" >/dev/null 2>"$work/make.err" || { cat "$work/make.err" >&2; return 1; }
  fi
  [ -x "$p" ] && echo "$p"
}

t_no_false_alarm_check() {
  local pairs=(
    "posix-mq -"
    "posix-mq-eos reliable,fifo,boundaries,eof,restart"
    "posix-shm reliable,fifo,boundaries,eof,restart"
    "unix-stream reliable,fifo,boundaries,no-restart"
  )
  local entry s snd rcv contract extra v verdicts tried
  for entry in "${pairs[@]}"; do
    set -- $entry
    snd=$(example "$1" sender) && rcv=$(example "$1" receiver) || { fail "no_false_alarm_check.$1: cannot build examples/$1"; continue; }
    extra=()
    [ "$2" != - ] && extra=(--contract "$2")
    for s in random pct dfs; do
      h 120 check --sender "$snd" --receiver "$rcv" "${extra[@]}" --cases 4 --messages 50 --seed 11 \
        --schedule "$s" --json --out "$work/check-$1-$s"
      verdicts=$(j "$work/out" '",".join(c["verdict"] for c in d["cases"])')
      tried=$(j "$work/out" 'd["schedules_tried"]')
      v=$(j "$work/out" 'len(d["cases"]) == 4 and all(c["verdict"] == "pass" for c in d["cases"])')
      [ "$v" = True ] && ((rc == 0))
      check $? "no_false_alarm_check.$1.$s" "exit $rc, case verdicts [$verdicts], schedules_tried $tried"
      if [ "$v" != True ]; then
        j "$work/out" '[(c.get("verdict"), c.get("violations", c.get("error"))) for c in d["cases"] if c.get("verdict") != "pass"]' | head -c 1500
        echo
        head -5 "$work/err"
      fi
    done
  done
}

t_planted() {
  local bugs=(
    "lost-wakeup none reliable,fifo,boundaries,eof pct,dfs"
    "early-reply none - pct,dfs"
    "both-write-first none reliable,fifo,boundaries,eof pct,dfs"
    "sem-no-undo kill-sender - pct"
  )
  local entry name fault contract must s extra v tried
  for entry in "${bugs[@]}"; do
    set -- $entry
    name=$1 fault=$2 contract=$3 must=$4
    if [ ! -x "$bin/bug-$name-sender" ] || [ ! -x "$bin/bug-$name-receiver" ]; then
      fail "planted.$name: no $bin/bug-$name-sender or -receiver (build target schedule-bugs)"
      continue
    fi
    extra=()
    [ "$contract" != - ] && extra=(--contract "$contract")
    for s in pct dfs; do
      h 280 check --sender "$bin/bug-$name-sender" --receiver "$bin/bug-$name-receiver" --cases 1 --messages 20 \
        --stall-ms 1000 --seed 3 --fault "$fault" "${extra[@]}" --schedule "$s" --schedules 60 --json \
        --out "$work/planted-$name-$s"
      v=$(j "$work/out" 'd["cases"][0]["verdict"]')
      tried=$(j "$work/out" 'd["cases"][0].get("schedules_tried", d.get("schedules_tried"))')
      if [[ ,$must, == *,$s,* ]]; then
        [ "$v" != pass ] && [ "$v" != ERR ] && ((rc == 1))
        check $? "planted.$name.$s" "exit $rc, cases[0].verdict $v after $tried schedule(s) (budget 60)"
      elif [ "$v" != pass ] && [ "$v" != ERR ]; then
        pass "planted.$name.$s: (not required) found: $v after $tried schedule(s)"
      else
        echo "INFO planted.$name.$s: (not required) not found within $tried schedule(s): exit $rc, verdict $v"
      fi
    done
  done
}

# one_line_naming NAME WHAT ARGS...: exit 2 with exactly one line on stderr that contains WHAT.
one_line_naming() {
  local name=$1 what=$2 lines named=0
  shift 2
  h 60 "$@"
  lines=$(wc -l <"$work/err")
  grep -qF -- "$what" "$work/err" && named=1
  ((rc == 2 && lines == 1 && named))
  check $? "bad_input.$name" "$*: exit $rc, $lines line(s) on stderr, naming $what $named: $(head -c 160 "$work/err")"
}

t_bad_input() {
  one_line_naming bogus --schedule run --mechanism pipe --schedule bogus
  one_line_naming pct_depth_0 --schedule run --mechanism pipe --schedule pct:depth=0
  one_line_naming dfs_preemptions_99 --schedule run --mechanism pipe --schedule dfs:preemptions=99
  one_line_naming schedules_0 --schedules run --mechanism pipe --schedules 0
  one_line_naming random_schedules_0 --schedules run --mechanism pipe --schedule random --schedules 0
  local snd=$bin/bug-early-reply-sender rcv=$bin/bug-early-reply-receiver
  one_line_naming check_nope --schedule check --sender "$snd" --receiver "$rcv" --cases 1 --schedule nope
}

t_os_default() {
  h 120 run --mechanism pipe --messages 100 --seed 1 --json
  local v has
  v=$(j "$work/out" 'd["verdict"]')
  has=$(j "$work/out" '",".join(k for k in ("schedule", "schedules_tried", "strategy", "divergence") if k in d) or "none"')
  [ "$v" = pass ] && [ "$has" = none ] && ((rc == 0))
  check $? os_default "run --mechanism pipe --messages 100 --seed 1: exit $rc, verdict $v, schedule keys present: $has"
}

# A statically linked program is held the same way: seccomp works below libc.
t_static_program() {
  local dir=$work/static s v
  mkdir -p "$dir"
  if ! cc -O2 -static -o "$dir/sender" "$src/examples/posix-mq/sender.c" -lrt 2>"$dir/cc.err" ||
     ! cc -O2 -static -o "$dir/receiver" "$src/examples/posix-mq/receiver.c" -lrt 2>>"$dir/cc.err"; then
    cat "$dir/cc.err" >&2
    fail "static_program: cannot link examples/posix-mq statically (libc6-dev's libc.a)"
    return
  fi
  for s in random pct dfs; do
    h 120 check --sender "$dir/sender" --receiver "$dir/receiver" --cases 4 --messages 50 --seed 11 --schedule "$s" \
      --json --out "$work/static-$s"
    v=$(j "$work/out" 'len(d["cases"]) == 4 and all(c["verdict"] == "pass" and c.get("decisions", 0) > 0 for c in d["cases"])')
    [ "$v" = True ] && ((rc == 0))
    check $? "static_program.$s" "exit $rc: every case passed with its calls scheduled: $v"
  done
}

all=(deadlock replay_with_hogs divergence no_false_alarm_run no_false_alarm_check planted bad_input os_default static_program)
if [ "$only" = all ]; then
  for t in "${all[@]}"; do "t_$t"; done
elif [[ " ${all[*]} " == *" $only "* ]]; then
  "t_$only"
else
  usage
fi
((failures == 0))
