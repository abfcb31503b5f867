# shellcheck shell=bash
# Shared helpers for the scripts in this folder. Source it; do not run it.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATASET_DIR=/usr/share/datasets/fashion-mnist
AZURITE_DIR="$REPO_ROOT/tools/azurite"
AZURITE_BIN="$AZURITE_DIR/node_modules/.bin/azurite"
# shellcheck disable=SC2034 # used by the scripts that source this file
APP_DIR="$REPO_ROOT/src/FashionFunctions.Functions"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by hand"
  say "Installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_dataset() {
  if [ ! -f "$DATASET_DIR/train-images-idx3-ubyte.gz" ] && [ ! -f "$DATASET_DIR/train-images-idx3-ubyte" ]; then
    apt_install dataset-fashion-mnist
  fi
}

# jq for issue-key.sh and entra-app.sh; ShellCheck for the infrastructure tests, which check every script here.
ensure_script_tools() {
  command -v jq >/dev/null 2>&1 || apt_install jq
  command -v shellcheck >/dev/null 2>&1 || apt_install shellcheck
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is needed (https://dot.net); dotnet is not on PATH"
}

ensure_azurite() {
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  if [ ! -x "$AZURITE_BIN" ] || [ "$AZURITE_DIR/package-lock.json" -nt "$AZURITE_DIR/node_modules/.package-lock.json" ]; then
    say "Installing Azurite into tools/azurite (npm ci)"
    npm ci --prefix "$AZURITE_DIR" --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

# Headless Chromium for the browser tests (Playwright drives Debian's build; no browser is downloaded).
ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-dejavu-core
}
