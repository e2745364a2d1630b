#!/usr/bin/env bash
# Validates a JUnit XML file against tests/external/junit.xsd (the Jenkins JUnit schema).
# Usage: validate_junit.sh FILE.xml
# Exit: 0 iff FILE is valid; 1 if it is not (xmllint's complaint is printed); 2 on bad usage or
# when xmllint is missing (ci/deps installs it, from libxml2-utils).
set -uo pipefail

schema="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/junit.xsd"
if [ $# -ne 1 ]; then
  echo "usage: validate_junit.sh FILE.xml (exits 0 iff FILE is valid JUnit XML)" >&2
  exit 2
fi
file=$1
command -v xmllint >/dev/null ||
  { echo "validate_junit.sh: xmllint not found: install libxml2-utils (ci/deps does)" >&2; exit 2; }
[ -r "$file" ] || { echo "validate_junit.sh: cannot read $file: give the path of a JUnit XML file" >&2; exit 2; }

# xmllint says "FILE validates" on success, and the errors otherwise; keep it quiet when valid.
if complaint=$(xmllint --noout --nonet --schema "$schema" "$file" 2>&1); then
  exit 0
fi
echo "validate_junit.sh: $file is not valid JUnit XML (schema $schema):" >&2
echo "$complaint" >&2
exit 1
