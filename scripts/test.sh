#!/usr/bin/env bash
# Runs every test: installs what they need, checks the format, then `dotnet test` on the solution. The tests start
# and stop their own Azurite processes; the end-to-end suite skips, saying why, when no Functions host is available.
#
# --fast: only the tests that need no Azurite, no child process, no browser and no deployment package (test classes
# carry [Trait("Category", ...)] with Azurite, ChildProcess, Browser or Package when they need one). Installs nothing
# but the dataset, leaves the format check to the full run (it costs about a minute) and does not publish the
# package; still builds everything.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fast=false
for arg in "$@"; do
  case "$arg" in
    --fast) fast=true ;;
    *) die "unknown option: $arg (usage: scripts/test.sh [--fast])" ;;
  esac
done

if $fast; then
  ensure_dotnet
  ensure_dataset
else
  "$REPO_ROOT/scripts/setup.sh"
fi

# Whitespace and the .editorconfig's code style; the analyzers run in the build (warnings are errors there).
if ! $fast; then
  say "Checking the format (dotnet format whitespace, style)"
  for check in whitespace style; do
    dotnet format "$check" "$REPO_ROOT/FashionFunctions.sln" --verify-no-changes --no-restore \
      || die "dotnet format $check found changes to make: run \`dotnet format FashionFunctions.sln\` and commit them"
  done
fi

say "Building (Release)"
dotnet build "$REPO_ROOT/FashionFunctions.sln" -c Release --verbosity quiet -nologo

test_filter=()
if $fast; then
  test_filter=(--filter "Category!=Azurite&Category!=ChildProcess&Category!=Browser&Category!=Package")
else
  # The infrastructure tests inspect the deployment package this produces.
  "$REPO_ROOT/scripts/package.sh"
fi

if $fast; then say "Testing (fast: nothing that needs Azurite, a child process, a browser or the package)"; else say "Testing"; fi
log="$(mktemp)"
set +e
dotnet test "$REPO_ROOT/FashionFunctions.sln" -c Release --no-build --logger "console;verbosity=normal" "${test_filter[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Why tests were skipped (xunit prints the reason on the line after [SKIP]).
grep -A1 '\[SKIP\]' "$log" | grep -vE '\[SKIP\]|^--$' | sed -E 's/^\[xUnit[^]]*\] +/skip reason: /' | sort | uniq -c || true
# One closing line over all test assemblies.
awk '/^ +Passed: +[0-9]+$/ {p+=$2} /^ +Failed: +[0-9]+$/ {f+=$2} /^ +Skipped: +[0-9]+$/ {s+=$2}
     END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' "$log"
rm -f "$log"
exit "$status"
