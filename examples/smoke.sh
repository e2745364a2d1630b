#!/usr/bin/env bash
# examples/smoke.sh: runs example sender/receiver pairs by hand, without the harness, the way
# the protocol in examples/README.md describes, and checks that the receiver wrote out exactly
# the messages the sender was given, in order, that a sender that acknowledges acknowledged each
# of them, and that no queue or shared memory object was left behind.
#
#   examples/smoke.sh                                     every correct pair
#   examples/smoke.sh posix-mq sender broken_receiver     one pair: MECHANISM SENDER RECEIVER
#   examples/smoke.sh unix-stream broken_sender receiver
#
# MESSAGES (100) frames of 8..8192 bytes (8..65536 on posix-shm), the first 4 bytes of each its
# index. The sender's stdout is kept apart and read as acknowledgements when its first 4 bytes
# are zero. The unix-stream, posix-mq-eos and posix-shm receivers must end by themselves once
# the sender has finished; posix-mq receivers get SIGTERM once all the bytes are out or 10 s have
# passed. Every step has a timeout; the processes, the queue or shared memory object and the
# temporary directory are removed on every path.
# Exit: 0 every pair passed; 1 a pair failed; 2 bad arguments or the build failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESSAGES=${MESSAGES:-100}

# Frames on stdout: argv[1] of them, of 8 to argv[2] bytes; sizes and bytes from a fixed seed.
gen='import random, struct, sys
r = random.Random(8); out = bytearray()
for i in range(int(sys.argv[1])):
    n = r.randint(8, int(sys.argv[2]))
    out += struct.pack("<I", n) + struct.pack("<I", i) + r.randbytes(n - 4)
sys.stdout.buffer.write(out)'

# Compares the receiver output argv[2] with the frames sent, argv[1]; prints what differs.
compare='import struct, sys
def frames(path, what):
    b = open(path, "rb").read(); i = 0; out = []
    while i < len(b):
        if i + 4 > len(b): sys.exit(f"malformed {what}: it ends inside a length at byte {i}")
        n = struct.unpack_from("<I", b, i)[0]
        if i + 4 + n > len(b): sys.exit(f"malformed {what}: frame {len(out)} claims {n} B, {len(b) - i - 4} left")
        out.append(bytes(b[i + 4:i + 4 + n])); i += 4 + n
    return out
sent = frames(sys.argv[1], "input"); got = frames(sys.argv[2], "receiver output")
if not got or got[0] != b"": sys.exit("no ready frame (4 zero bytes) at the start of the receiver output")
got = got[1:]
if got == sent: print(f"{len(got)} messages, {sum(map(len, got))} B, all intact and in order"); sys.exit(0)
index = {m: i for i, m in enumerate(sent)}
ids = [index.get(m) for m in got]
problems = []
damaged = [(k, m) for k, m in enumerate(got) if index.get(m) is None]
for k, m in damaged[:3]:
    whose = [i for i, s in enumerate(sent) if len(m) < len(s) and s.startswith(m)]
    problems.append(f"boundary: output message {k} ({len(m)} B) is " +
                    (f"the first {len(m)} B of message {whose[0]} ({len(sent[whose[0]])} B)" if whose else "no message sent (the rest of a split one?)"))
if len(damaged) > 3: problems.append(f"... {len(damaged)} damaged messages in all")
seen = [i for i in ids if i is not None]
lost = sorted(set(range(len(sent))) - set(seen))
if lost and len(lost) < len(sent) and damaged: lost = [i for i in lost if not any(sent[i].startswith(m) for _, m in damaged)]
if lost: problems.append(f"lost: {len(lost)} messages, first {lost[:5]}")
dups = len(seen) - len(set(seen))
if dups: problems.append(f"duplicated: {dups} messages")
for a, b in zip(seen, seen[1:]):
    if b < a: problems.append(f"reordered: message {b} came out after message {a} (first of {sum(y < x for x, y in zip(seen, seen[1:]))} inversions)"); break
print("; ".join(problems) or "the output differs from the input"); sys.exit(1)'

# The queue or shared memory object IPCH_ENDPOINT: `exists mq|shm` answers 0 if it is there,
# `unlink` removes either.
ipc='import ctypes, os, sys
rt = ctypes.CDLL("librt.so.1", use_errno=True); name = os.environ["IPCH_ENDPOINT"].encode()
if sys.argv[1] == "unlink": rt.mq_unlink(name); rt.shm_unlink(name); sys.exit(0)
if sys.argv[2] == "mq":
    q = rt.mq_open(name, os.O_RDONLY)
    if q >= 0: rt.mq_close(q); sys.exit(0)
else:
    f = rt.shm_open(name, os.O_RDONLY, 0)
    if f >= 0: os.close(f); sys.exit(0)
sys.exit(1)'

# Reads the sender's stdout, argv[1], after it exited 0 having been given argv[2] messages: 4 zero
# bytes first mean it acknowledges, and then it must have acknowledged each message, once.
acks='import sys
b = open(sys.argv[1], "rb").read(); n = int(sys.argv[2])
if not b: print("the sender wrote no acknowledgements"); sys.exit(0)
if b[:4] != bytes(4): print(f"the sender wrote {len(b)} B of its own output, no acknowledgements"); sys.exit(0)
if b.strip(bytes(1)): sys.exit(f"the sender wrote bytes that are not acknowledgements (4 zero bytes) at byte {len(b) - len(b.lstrip(bytes(1)))}")
if len(b) != 4 * n: sys.exit(f"the sender acknowledged {len(b) / 4:g} of the {n} messages it was given")
print(f"the sender acknowledged each of the {n}")'

rpid='' spid='' tmp='' failures=0 cases=0

# Ends what this run started, by pid, and removes its queue and directory. Safe to call twice.
cleanup() {
  local p
  for p in $spid $rpid; do
    if kill -TERM "$p" 2>/dev/null && ! wait_for 2 dead "$p"; then kill -KILL "$p" 2>/dev/null; fi
    wait "$p" 2>/dev/null
  done
  rpid='' spid=''
  [ -n "${IPCH_ENDPOINT:-}" ] && timeout 5 python3 -c "$ipc" unlink
  [ -n "$tmp" ] && rm -rf "$tmp"
  tmp=
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

# Polls the command "$2..." every 50 ms for up to $1 seconds; 0 as soon as it succeeds.
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $(( t / 1000 )); }
wait_for() {
  local until=$(( $(now_ms) + $1 * 1000 ))
  shift
  while ! "$@"; do
    (( $(now_ms) > until )) && return 1
    sleep 0.05
  done
}
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
alive() { kill -0 "$1" 2>/dev/null; }
ready_or_dead() { (( $(size_of "$tmp/out") >= 4 )) || ! alive "$rpid"; }
all_out_or_dead() { (( $(size_of "$tmp/out") >= $(size_of "$tmp/in") + 4 )) || ! alive "$rpid"; }
dead() { ! alive "$1"; }

# run_pair MECHANISM SENDER RECEIVER: one case; prints PASS or FAIL with the reason.
run_pair() {
  local mech=$1 label="$1: $2 -> $3" eof=0 max=8192 object='' acked='' st why=
  local snd=$here/$1/$2 rcv=$here/$1/$3
  case $mech in  # eof: the receiver ends by itself; object: what it must not leave behind
    unix-stream) eof=1 ;;
    posix-mq) object=mq ;;
    posix-mq-eos) eof=1 object=mq ;;
    posix-shm) eof=1 object=shm max=65536 ;;
  esac
  cases=$((cases + 1))
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipch-smoke.XXXXXX") || { echo "FAIL $label: mktemp"; failures=$((failures + 1)); return; }
  export IPCH_DIR=$tmp/dir IPCH_ENDPOINT=/ipch-smoke-$$-$cases
  mkdir -m 700 "$IPCH_DIR"
  timeout 10 python3 -c "$gen" "$MESSAGES" "$max" >"$tmp/in" || why="could not generate the input"

  if [ -z "$why" ]; then
    "$rcv" >"$tmp/out" 2>"$tmp/receiver.err" &
    rpid=$!
    wait_for 5 ready_or_dead
    if (( $(size_of "$tmp/out") >= 4 )); then
      [ "$(head -c 4 "$tmp/out" | od -An -tx1 | tr -d ' \n')" = 00000000 ] ||
        why="the receiver's first frame is not the ready frame (4 zero bytes)"
    elif alive "$rpid"; then
      why="the receiver wrote no ready frame within 5 s"
    else
      wait "$rpid"; st=$?; rpid=
      why="the receiver exited $st before writing its ready frame"
    fi
  fi
  if [ -z "$why" ]; then
    timeout -k 2 20 "$snd" <"$tmp/in" >"$tmp/acks" 2>"$tmp/sender.err" &
    spid=$!
    wait "$spid"; st=$?; spid=
    (( st == 124 || st == 137 )) && why="the sender did not finish within 20 s"
    (( st != 0 )) && [ -z "$why" ] && why="the sender exited $st"
    if [ -z "$why" ]; then
      acked=$(timeout 10 python3 -c "$acks" "$tmp/acks" "$MESSAGES" 2>&1) || { why=$acked; acked=; }
    fi
  fi
  if [ -z "$why" ] && (( eof )); then
    wait_for 10 dead "$rpid" || why="the receiver did not end by itself within 10 s of the end of the stream"
  elif [ -z "$why" ]; then
    wait_for 10 all_out_or_dead || true
    kill -TERM "$rpid" 2>/dev/null
    wait_for 5 dead "$rpid" || why="the receiver did not end within 5 s of SIGTERM"
  fi
  if [ -z "$why" ]; then
    wait "$rpid"; st=$?; rpid=
    (( st != 0 )) && why="the receiver exited $st"
    if [ -n "$object" ] && timeout 5 python3 -c "$ipc" exists "$object"; then
      why="${why:+$why; }leaked: the $object object $IPCH_ENDPOINT is still there"
    fi
    local verdict
    verdict=$(timeout 20 python3 -c "$compare" "$tmp/in" "$tmp/out" 2>&1)
    st=$?
    if (( st == 0 )) && [ -z "$why" ]; then
      echo "PASS $label: $verdict; $acked; the receiver ended $( ((eof)) && echo by itself || echo on SIGTERM)"
    else
      why="${why:+$why; }$verdict"
    fi
  fi
  if [ -n "$why" ]; then
    echo "FAIL $label: $why"
    local f
    for f in "$tmp/sender.err" "$tmp/receiver.err"; do
      [ -s "$f" ] && sed "s/^/  ${f##*/}: /" "$f" | head -5
    done
    failures=$((failures + 1))
  fi
  cleanup
}

make -s -C "$here" >/dev/null || { echo "smoke: make -C $here failed" >&2; exit 2; }
if (( $# == 0 )); then
  run_pair posix-mq sender receiver
  run_pair posix-mq-eos sender receiver
  run_pair posix-shm sender receiver
  run_pair unix-stream sender receiver
elif (( $# == 3 )) && [ -x "$here/$1/$2" ] && [ -x "$here/$1/$3" ]; then
  run_pair "$@"
else
  echo "usage: $0 [MECHANISM SENDER RECEIVER]   e.g. $0 posix-mq sender broken_receiver" >&2
  exit 2
fi
(( failures == 0 ))
