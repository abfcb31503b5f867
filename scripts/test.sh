#!/usr/bin/env bash
# Runs every test: installs what they need, then `dotnet test` on the solution. The tests start and stop
# their own Azurite processes; the end-to-end suite skips, saying why, when no Functions host is available.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$REPO_ROOT/scripts/setup.sh"
say "Building (Release)"
dotnet build "$REPO_ROOT/FashionFunctions.sln" -c Release --verbosity quiet -nologo

# The infrastructure tests inspect the deployment package this produces.
"$REPO_ROOT/scripts/package.sh"

say "Testing"
log="$(mktemp)"
set +e
dotnet test "$REPO_ROOT/FashionFunctions.sln" -c Release --no-build --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Why tests were skipped (xunit prints the reason on the line after [SKIP]).
grep -A1 '\[SKIP\]' "$log" | grep -vE '\[SKIP\]|^--$' | sed -E 's/^\[xUnit[^]]*\] +/skip reason: /' | sort | uniq -c || true
# One closing line over all test assemblies.
awk '/^ +Passed: +[0-9]+$/ {p+=$2} /^ +Failed: +[0-9]+$/ {f+=$2} /^ +Skipped: +[0-9]+$/ {s+=$2}
     END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' "$log"
rm -f "$log"
exit "$status"
