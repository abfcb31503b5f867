#!/usr/bin/env bash
# Publishes the Function App as azd would (linux-x64, Release), zips it, and checks the deployment package
# against its size budget. Output: artifacts/functions-app/ and artifacts/functions-app.zip.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Budget for the package (MiB). libtorch_cpu.so alone is ~440 MiB unzipped; see docs/deploy.md ("Deployment package").
MAX_UNZIPPED_MIB=${MAX_UNZIPPED_MIB:-600}
MAX_ZIPPED_MIB=${MAX_ZIPPED_MIB:-200}

out="$REPO_ROOT/artifacts/functions-app"
rm -rf "$out" "$out.zip"
say "Publishing the Function App (linux-x64)"
dotnet publish "$APP_DIR" -c Release -o "$out" --verbosity quiet -nologo
command -v zip >/dev/null 2>&1 || apt_install zip
(cd "$out" && zip -qr -X "$out.zip" .)

unzipped=$(( $(du -sb "$out" | cut -f1) / 1048576 ))
zipped=$(( $(stat -c %s "$out.zip") / 1048576 ))
echo "deployment package: ${unzipped} MiB unzipped, ${zipped} MiB zipped (budget ${MAX_UNZIPPED_MIB} / ${MAX_ZIPPED_MIB} MiB)"
[ "$unzipped" -le "$MAX_UNZIPPED_MIB" ] || die "the package is ${unzipped} MiB unzipped, over its ${MAX_UNZIPPED_MIB} MiB budget"
[ "$zipped" -le "$MAX_ZIPPED_MIB" ] || die "the package is ${zipped} MiB zipped, over its ${MAX_ZIPPED_MIB} MiB budget"
