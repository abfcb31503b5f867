#!/usr/bin/env bash
# The main job: set up, start Azurite, seed the dataset into it, build, and serve the app with `func start`.
# Where Azure Functions Core Tools cannot be installed, stops with a message and what works without them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$REPO_ROOT/scripts/setup.sh"
"$REPO_ROOT/scripts/start-azurite.sh"

say "Building"
dotnet build "$REPO_ROOT/FashionFunctions.sln" -c Release --verbosity quiet -nologo
say "Seeding the dataset into Azurite (datasets/fashion-mnist/)"
dotnet "$REPO_ROOT/src/FashionFunctions.Cli/bin/Release/net10.0/fashion.dll" seed

FUNC="$(command -v func || true)"
if [ -z "$FUNC" ] && [ -x "$REPO_ROOT/tools/func/node_modules/.bin/func" ]; then
  FUNC="$REPO_ROOT/tools/func/node_modules/.bin/func"
fi
if [ -z "$FUNC" ]; then
  say "Installing Azure Functions Core Tools (npm, into tools/func)"
  mkdir -p "$REPO_ROOT/tools/func"
  if npm install --prefix "$REPO_ROOT/tools/func" --no-audit --no-fund --loglevel=error azure-functions-core-tools@4 >"$REPO_ROOT/tools/func/install.log" 2>&1; then
    FUNC="$REPO_ROOT/tools/func/node_modules/.bin/func"
  else
    cat >&2 <<MSG

Azure Functions Core Tools could not be installed: its npm package downloads the Functions host from
Microsoft's CDN, which this machine cannot reach (details: tools/func/install.log).

What works without it, against the Azurite that is now running:
  fashion train               train locally and write models/<id>/   (dotnet src/FashionFunctions.Cli/bin/Release/net10.0/fashion.dll)
  fashion classify -m DIR IMG classify image files with a saved model
  fashion enqueue             put a training job on the app's queue (picked up once the app runs)
  scripts/test.sh             every test below the Functions host, against a real Azurite

Install Core Tools another way (https://learn.microsoft.com/azure/azure-functions/functions-run-local)
and run this script again to serve the app on http://localhost:7071.
MSG
    exit 3
  fi
fi

# func start builds the app Debug. FashionFunctions.Core is optimised in every configuration (its .csproj), so a
# job trains as fast here as with `fashion train`; fashion-bench prints a job through the app built Debug against the
# Release CLI's epoch (bench/trainer-notes.md).
say "Starting the Functions host on http://localhost:7071 (Ctrl+C to stop)"
cd "$APP_DIR"
exec "$FUNC" start --csharp
