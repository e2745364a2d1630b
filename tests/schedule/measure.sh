#!/usr/bin/env bash
# tests/schedule/measure.sh BIN_DIR [TRIALS] [BUDGET]: how many schedules each strategy of
# `ipc-harness check --schedule` needs to find each planted bug of tests/schedule/bugs/.
#
#   BIN_DIR  holds ipc-harness and the bug-<name>-sender/-receiver programs (build/ci/bin)
#   TRIALS   seeds per bug and strategy (5); BUDGET: schedules per seed (20)
#   env      MESSAGES (20) messages a case, STALL_MS (1000) the stall window, SEED (1) the first
#            seed, KEEP=1 keeps the folder of cases and outputs (printed)
#
# For each bug x strategy (os random pct dfs) and each of TRIALS seeds it runs one case,
#   ipc-harness check --sender ... --receiver ... --cases 1 --messages M --seed S
#                     --schedule X --schedules BUDGET --json [--fault F] [--contract C]
# and reads the JSON's verdict and schedules_tried: the schedules to the first failure, or
# none found (a pass). Without --schedule in `check --help` (the supervisor not built yet) it
# measures os only: up to BUDGET single cases a trial, seeds S, S+1000, S+2000..., and counts the
# cases to the first failure. The table gives each strategy's median over the trials (">BUDGET"
# when at most half the trials found the bug) and how many trials found it.
# Every invocation runs under `timeout`; a timeout or exit 2/3 is reported in the cell ("err").
# Exit: 0 the table was printed; 2 bad arguments or a missing program.
set -u
usage() { echo "usage: $0 BIN_DIR [TRIALS] [BUDGET]" >&2; exit 2; }
(($# >= 1 && $# <= 3)) || usage
bin=$(cd "$1" 2>/dev/null && pwd) || usage
trials=${2:-5} budget=${3:-20}
[[ $trials =~ ^[1-9][0-9]*$ && $budget =~ ^[1-9][0-9]*$ ]] || usage
messages=${MESSAGES:-20} stall=${STALL_MS:-1000} seed0=${SEED:-1}
harness=$bin/ipc-harness
[ -x "$harness" ] || { echo "$0: no $harness" >&2; exit 2; }

# name depth fault contract: the fault each bug needs (none: a fault-free case; depth 1+kill: the
# kill must land inside the critical section), and the contract that makes its failure visible
# (eof: a receiver left asleep after its sender exited is a hang).
bugs=(
  "lost-wakeup 2 none reliable,fifo,boundaries,eof"
  "sem-no-undo 1+kill kill-sender reliable,fifo,boundaries"
  "early-reply 1 none reliable,fifo,boundaries"
  "both-write-first 1 none reliable,fifo,boundaries,eof"
)
for b in "${bugs[@]}"; do
  set -- $b
  for role in sender receiver; do
    [ -x "$bin/bug-$1-$role" ] || { echo "$0: no $bin/bug-$1-$role (cmake --build ... --target schedule-bugs)" >&2; exit 2; }
  done
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ipch-measure.XXXXXX") || exit 2
[ "${KEEP:-0}" = 1 ] && echo "cases and outputs: $work" >&2 || trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if "$harness" check --help 2>/dev/null | grep -q -- --schedule; then
  strategies=(os random pct dfs) scheduled=1
else
  strategies=(os) scheduled=0
  echo "note: this ipc-harness has no --schedule: os only, $budget single cases a trial" >&2
fi

# The case's verdict (pass, deadlock, violations) and schedules_tried (top level, else the case's;
# 1 without the field) of a JSON file.
read_json='import json, sys
try: d = json.load(open(sys.argv[1]))
except Exception: print("err 0"); sys.exit(0)
c = (d.get("cases") or [{}])[0]
tried = d.get("schedules_tried", c.get("schedules_tried", 1))
print(c.get("verdict", d.get("verdict", "err")), tried)'

# One invocation; prints "VERDICT TRIED", VERDICT err on a timeout or an exit other than 0 or 1.
run_case() {  # name fault contract seed schedules strategy...
  local name=$1 fault=$2 contract=$3 seed=$4 n=$5 out=$work/$1-$4-${6:-plain}
  shift 5
  local extra=() limit=$((30 + n * (stall / 1000 + 5)))
  (($#)) && extra=(--schedule "$1" --schedules "$n")
  timeout -k 5 "$limit" "$harness" check --sender "$bin/bug-$name-sender" --receiver "$bin/bug-$name-receiver" \
    --cases 1 --messages "$messages" --seed "$seed" --fault "$fault" --contract "$contract" \
    --stall-ms "$stall" --out "$out.d" --json "${extra[@]}" >"$out.json" 2>"$out.err"
  local st=$?
  if ((st == 0 || st == 1)); then python3 -c "$read_json" "$out.json"; else echo "err $st"; fi
}

# The median of the numbers on stdin, each a count or 0 (not found): ">BUDGET" when at most half
# found it; then "(found/trials)".
summarise='import sys
b, xs = int(sys.argv[1]), [int(x) for x in sys.stdin.read().split()]
found = sorted(x for x in xs if x > 0)
miss = len(xs) - len(found)
vals = found + [b + 1] * miss
vals.sort()
m = vals[(len(vals) - 1) // 2] if vals else b + 1
print((f">{b}" if m > b else str(m)) + f" ({len(found)}/{len(xs)})")'

header="| bug | depth |" rule="|---|---|"
for s in os random pct dfs; do header+=" $s |"; rule+="---|"; done
rows=()
for b in "${bugs[@]}"; do
  set -- $b
  name=$1 depth=$2 fault=$3 contract=$4
  row="| $name | $depth |"
  for s in os random pct dfs; do
    if ((!scheduled)) && [ "$s" != os ]; then row+=" n/a |"; continue; fi
    counts=() errs=0
    for ((t = 0; t < trials; ++t)); do
      seed=$((seed0 + t))
      if ((scheduled)); then
        read -r verdict tried < <(run_case "$name" "$fault" "$contract" "$seed" "$budget" "$s")
        case $verdict in
          pass) counts+=(0) ;;
          err) errs=$((errs + 1)) ;;
          *) counts+=("$tried") ;;
        esac
      else
        found=0
        for ((i = 1; i <= budget; ++i)); do
          read -r verdict tried < <(run_case "$name" "$fault" "$contract" $((seed + 1000 * (i - 1))) 1)
          [ "$verdict" = err ] && { errs=$((errs + 1)); continue; }
          [ "$verdict" != pass ] && { found=$i; break; }
        done
        counts+=("$found")
      fi
      echo "  $name $s seed $seed: $verdict, ${counts[-1]:-none} (0: not found)" >&2
    done
    cell=$(printf '%s\n' "${counts[@]}" | python3 -c "$summarise" "$budget")
    ((errs)) && cell+=" err=$errs"
    row+=" $cell |"
  done
  rows+=("$row")
done
echo "schedules to the first failure, median over $trials seeds (found/trials), budget $budget, $messages messages a case"
echo
echo "$header"
echo "$rule"
printf '%s\n' "${rows[@]}"
