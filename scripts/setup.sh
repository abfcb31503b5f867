#!/usr/bin/env bash
# Installs what building, running and testing need: the dataset, Chromium, jq and ShellCheck (apt), Azurite (npm,
# into tools/azurite), and the NuGet packages (dotnet restore). Safe to re-run.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_dotnet
ensure_dataset
ensure_azurite
ensure_chromium
ensure_script_tools
say "Restoring NuGet packages"
dotnet restore "$REPO_ROOT/FashionFunctions.sln" --verbosity quiet
if [ ! -f "$APP_DIR/local.settings.json" ]; then
  cp "$REPO_ROOT/local.settings.sample.json" "$APP_DIR/local.settings.json"
  say "Created src/FashionFunctions.Functions/local.settings.json from local.settings.sample.json"
fi
