#!/usr/bin/env bash
# The JUnit document to_junit_xml() writes validates against the schema, and the validator can
# fail: the same document, each time broken in exactly one way, is rejected.
# Usage: junit_schema_test.sh JUNIT_SAMPLE_BINARY WORK_DIR
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
validate="$here/validate_junit.sh"
sample=$1
work=$2
mkdir -p "$work" || exit 1
good="$work/junit-sample.xml"
rm -f "$work"/*.xml

"$sample" "$good" || { echo "FAIL: $sample did not write $good"; exit 1; }
if ! "$validate" "$good"; then
  echo "FAIL: the document to_junit_xml() wrote is not valid: $good"
  exit 1
fi
echo "ok: $good validates"

failed=0
# Each: a name, then a sed expression applied once to the valid document.
mutations=(
  "testcase-without-name|0,/<testcase name=\"[^\"]*\"/s//<testcase/"
  "failures-not-a-number|0,/<testsuite \\(.*\\) failures=\"[0-9]*\"/s//<testsuite \\1 failures=\"many\"/"
  "tests-missing|0,/<testsuite \\(.*\\) tests=\"[0-9]*\"/s//<testsuite \\1/"
  "negative-errors|0,/ errors=\"[0-9]*\"/s// errors=\"-1\"/"
  "time-not-seconds|0,/ time=\"[0-9.]*\"/s// time=\"1.5s\"/"
  "timestamp-with-zone|s/timestamp=\"\\([^\"]*\\)\"/timestamp=\"\\1Z\"/"
  "failure-outside-testcase|0,/<testcase /s//<failure\\/><testcase /"
  "unknown-element|0,/<system-out>/s//<stdout\\/><system-out>/"
  "not-well-formed|0,/<\\/testcase>/s///"
)
for m in "${mutations[@]}"; do
  name=${m%%|*}
  expr=${m#*|}
  bad="$work/broken-$name.xml"
  sed -e "$expr" "$good" >"$bad"
  if cmp -s "$good" "$bad"; then
    echo "FAIL: mutation $name changed nothing (sed: $expr): the test is stale"
    failed=1
    continue
  fi
  out=$("$validate" "$bad" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "FAIL: $name was accepted by the schema: $bad"
    failed=1
  elif [ $rc -ne 1 ]; then  # 2: the validator could not judge at all
    echo "FAIL: $name: validate_junit.sh exited $rc: $out"
    failed=1
  else
    echo "ok: $name rejected: $(printf '%s\n' "$out" | sed -n 2p)"
  fi
done
exit $failed
