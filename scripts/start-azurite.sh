#!/usr/bin/env bash
# Starts Azurite on its default loopback ports (10000-10002), keeping data in .azurite/, unless it already runs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_azurite
if (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then
  say "Something already listens on 127.0.0.1:10000; assuming it is Azurite"
  exit 0
fi
mkdir -p "$REPO_ROOT/.azurite"
say "Starting Azurite (data in .azurite/, log in .azurite/azurite.log)"
nohup "$AZURITE_BIN" --silent --skipApiVersionCheck --loose \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --location "$REPO_ROOT/.azurite" >"$REPO_ROOT/.azurite/azurite.log" 2>&1 &
echo $! >"$REPO_ROOT/.azurite/azurite.pid"
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/10001) 2>/dev/null && exit 0
  sleep 0.2
done
die "Azurite did not start; see .azurite/azurite.log"
