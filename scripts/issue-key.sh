#!/usr/bin/env bash
# Issues a named key for one caller and role, or revokes one. The app (FashionFunctions__Auth__Mode = Keys) hashes
# the key a caller sends and finds the app setting FashionFunctions__Auth__Keys__{name} = {role}:{sha256 of the key};
# its rights table then opens exactly the routes of that role. The key is printed once, on standard output; only
# its hash is stored, in the app's settings. The host's own function keys play no part (every function is
# anonymous to the host; the app decides), so none are issued.
#
#   scripts/issue-key.sh NAME ROLE          issue (ROLE: classifier, trainer or admin)
#   scripts/issue-key.sh --revoke NAME      revoke
#   options: --resource-group RG --app NAME (default: the azd environment's AZURE_RESOURCE_GROUP and
#            AZURE_FUNCTION_APP_NAME)
#
# NAME: lower-case letters and digits, single underscores between them (it becomes part of an app setting's name).
# Needs the Azure CLI, signed in, with rights on the Function App. `azd provision` keeps the issued keys' settings.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AZ=${AZ:-az}
AZD=${AZD:-azd}
ROLES_FILE="$REPO_ROOT/infra/roles.json"
SETTING_PREFIX=FashionFunctions__Auth__Keys__

usage() { die "usage: scripts/issue-key.sh NAME ROLE | --revoke NAME  [--resource-group RG] [--app NAME]"; }

revoke=false
resource_group=""
app=""
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --revoke) revoke=true ;;
    --resource-group) [ $# -ge 2 ] || usage; resource_group=$2; shift ;;
    --app) [ $# -ge 2 ] || usage; app=$2; shift ;;
    -h | --help) usage ;;
    -*) die "unknown option: $1" ;;
    *) positional+=("$1") ;;
  esac
  shift
done

command -v jq >/dev/null 2>&1 || die "jq is needed (apt-get install jq)"
command -v "$AZ" >/dev/null 2>&1 || die "the Azure CLI ($AZ) is needed"

if $revoke; then
  [ ${#positional[@]} -eq 1 ] || usage
  name=${positional[0]}
  role=""
else
  [ ${#positional[@]} -eq 2 ] || usage
  name=${positional[0]}
  role=${positional[1]}
  jq -e --arg role "$role" '.roles | has($role)' "$ROLES_FILE" >/dev/null \
    || die "unknown role '$role': one of $(jq -r '.roles | keys_unsorted | join(", ")' "$ROLES_FILE")"
fi
if ! [[ "$name" =~ ^[a-z0-9]+(_[a-z0-9]+)*$ ]] || [ ${#name} -gt 40 ]; then
  die "NAME must be lower-case letters and digits, with single underscores between them, at most 40 characters: '$name'"
fi

if [ -z "$resource_group" ] || [ -z "$app" ]; then
  command -v "$AZD" >/dev/null 2>&1 || die "give --resource-group and --app, or run this in an azd environment"
  [ -n "$resource_group" ] || resource_group=$("$AZD" env get-value AZURE_RESOURCE_GROUP)
  [ -n "$app" ] || app=$("$AZD" env get-value AZURE_FUNCTION_APP_NAME)
fi
target=(--resource-group "$resource_group" --name "$app")
setting="$SETTING_PREFIX$name"

current=$("$AZ" functionapp config appsettings list "${target[@]}" --query "[?name=='$setting'].value | [0]" --output tsv)

if $revoke; then
  [ -n "$current" ] || die "no key named '$name' on $app (no app setting $setting)"
  role=${current%%:*}
  say "Revoking $name's $role key on $app"
  "$AZ" functionapp config appsettings delete "${target[@]}" --setting-names "$setting" --output none
  say "Revoked."
  exit 0
fi

[ -z "$current" ] || die "a key named '$name' exists ($current); revoke it first: scripts/issue-key.sh --revoke $name"

key=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)

say "Issuing a $role key named $name on $app"
"$AZ" functionapp config appsettings set "${target[@]}" --settings "$setting=$role:$hash" --output none

say "Issued. The key is shown this once; send it as the x-functions-key header. Revoke: scripts/issue-key.sh --revoke $name"
printf '%s\n' "$key"
