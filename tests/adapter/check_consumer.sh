#!/usr/bin/env bash
# The adapter as a user meets it, from an installed tree (see CMakeLists.txt next to this file).
# usage: check_consumer.sh CMAKE BUILD_DIR CONSUMER_SOURCE WORK_DIR CXX
set -uo pipefail
if [ $# -ne 5 ]; then
  echo "usage: $0 CMAKE BUILD_DIR CONSUMER_SOURCE WORK_DIR CXX" >&2
  exit 2
fi
cmake=$1 build=$2 src=$3 work=$4 cxx=$5
repo=$(cd "$src/../../.." && pwd)

fail() {
  echo "adapter test: $*" >&2
  exit 1
}
step() {
  echo "[$((SECONDS - start)) s] $*"
}
# The tests a run started, one full name a line ("[ RUN      ] GoodPipe.Properties").
started() { sed -n 's/^\[ RUN      \] \([^ ]*\).*/\1/p' "$1"; }

start=$SECONDS
rm -rf "$work"
mkdir -p "$work/tmp"
# Reproducers of failing cases (the broken suite's) go to $TMPDIR: keep them in the work folder.
export TMPDIR=$work/tmp

step "install the adapter component of $build into $work/prefix"
"$cmake" --install "$build" --prefix "$work/prefix" --component adapter >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "cmake --install $build --component adapter failed: build the project first (cmake --build $build)"; }
for f in include/ipch/adapter.hpp include/ipch/gtest.hpp include/ipch/channel.hpp include/ipch/contract.hpp; do
  [ -f "$work/prefix/$f" ] || fail "the installed tree lacks $f"
done
config=$(find "$work/prefix" -name ipc_harnessConfig.cmake)
[ -n "$config" ] || fail "the installed tree lacks ipc_harnessConfig.cmake"

step "configure and build the consumer against it"
"$cmake" -S "$src" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configuring the consumer with find_package(ipc_harness) failed"; }
"$cmake" --build "$work/build" -j2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "building the consumer failed"; }
# It must have used the installed tree, not this repository's sources. The build tree (and so the
# prefix) may itself lie inside the repository (build/ci in a fresh clone): only flags naming the
# repository outside the prefix count.
if grep -oE -- "-I *[^ ]+|-isystem *[^ ]+" "$work/build/CMakeFiles/consumer_test.dir/flags.make" |
   sed -E 's/^-I *|^-isystem *//' | grep -v -- "^$work/prefix" | grep -qs -- "^$repo/"; then
  fail "the consumer compiled with include paths into $repo: the installed tree is not self-contained"
fi
bin=$work/build/consumer_test

"$bin" --gtest_list_tests --gtest_filter='GoodPipe*' >"$work/list.log" 2>&1 || { cat "$work/list.log"; fail "listing the tests failed"; }
awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}' "$work/list.log" | sort >"$work/good-tests"
for t in GoodPipe.Properties GoodPipe/GoodPipeFaults.Holds/kill_receiver GoodPipe/GoodPipeFaults.Holds/kill_sender \
  GoodPipe/GoodPipeFaults.Holds/stop GoodPipe/GoodPipeFaults.Holds/full_buffer GoodPipe/GoodPipeFaults.Holds/eintr \
  GoodPipe/GoodPipeFaults.Holds/errno; do
  grep -qxF "$t" "$work/good-tests" || { cat "$work/list.log"; fail "IPCH_MECHANISM_SUITE did not define $t"; }
done

step "the good mechanism's suite must pass ($(wc -l <"$work/good-tests") tests)"
IPCH_CASES=3 "$bin" --gtest_filter='GoodPipe*' >"$work/good.log" 2>&1 || { cat "$work/good.log"; fail "the good mechanism's suite failed"; }
grep -q 'ipc-harness: my-pipe, fault none: pass in 3 cases (seed ' "$work/good.log" ||
  { cat "$work/good.log"; fail "the good suite did not report 3 passing cases and the seed"; }

step "the broken mechanism's suite must fail, naming lost and a replay command"
"$bin" --gtest_filter='BrokenPipe*' >"$work/broken.log" 2>&1 && { cat "$work/broken.log"; fail "the broken mechanism's suite passed"; }
grep -q '^\[  FAILED  \] BrokenPipe.Properties ' "$work/broken.log" || { cat "$work/broken.log"; fail "BrokenPipe.Properties did not fail"; }
# Every fault's test too: a kill must not excuse a message dropped before the killed receiver's
# last one (the delivery checker's fifo rule).
for f in kill_receiver kill_sender stop eintr errno; do
  grep -q "^\[  FAILED  \] BrokenPipe/BrokenPipeFaults.Holds/$f," "$work/broken.log" ||
    { cat "$work/broken.log"; fail "BrokenPipe's $f test did not fail"; }
done
grep -q '^  lost: ' "$work/broken.log" || { cat "$work/broken.log"; fail "the broken suite's failure does not name the violation kind lost"; }
replay=$(grep -m1 '^  replay it: IPCH_REPLAY=' "$work/broken.log" | sed 's/^  replay it: //')
[ -n "$replay" ] || { cat "$work/broken.log"; fail "the broken suite's failure gives no replay command"; }
grep -q '^  rerun every case: IPCH_SEED=7 ' "$work/broken.log" || { cat "$work/broken.log"; fail "the failure does not give the seed"; }

step "its replay command must fail again with lost, in one case: $replay"
(eval "$replay") >"$work/replay.log" 2>&1 && { cat "$work/replay.log"; fail "the replay command passed: $replay"; }
grep -q '^  lost: ' "$work/replay.log" && grep -q ': violations in 1 case ' "$work/replay.log" ||
  { cat "$work/replay.log"; fail "the replay did not fail with lost in one case: $replay"; }

step "GTEST_TOTAL_SHARDS=2: shards 0 and 1 together run every good test exactly once"
: >"$work/sharded"
for i in 0 1; do
  IPCH_CASES=1 GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=$i "$bin" --gtest_filter='GoodPipe*' >"$work/shard$i.log" 2>&1 ||
    { cat "$work/shard$i.log"; fail "shard $i of the good suite failed"; }
  n=$(started "$work/shard$i.log" | wc -l)
  [ "$n" -gt 0 ] || { cat "$work/shard$i.log"; fail "shard $i ran no test"; }
  [ "$n" -lt "$(wc -l <"$work/good-tests")" ] || fail "shard $i ran every test: sharding did not split the suite"
  started "$work/shard$i.log" >>"$work/sharded"
done
dups=$(sort "$work/sharded" | uniq -d)
[ -z "$dups" ] || fail "tests run by both shards: $dups"
sort "$work/sharded" | cmp -s - "$work/good-tests" ||
  fail "the shards did not run every test: $(sort "$work/sharded" | comm -13 - "$work/good-tests" | tr '\n' ' ')"

step "done; logs and the broken suite's reproducers are in $work"
