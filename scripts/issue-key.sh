#!/usr/bin/env bash
# Issues a named function key for one caller and role, or revokes one. The key opens exactly the functions its role
# may call (infra/roles.json: classifier and trainer keys are issued per function; an admin key is a host-level
# function key), and the app setting FashionFunctions__Auth__Keys__{name} = {role}:{sha256 of the key} tells the app
# who holds it. The key is printed once, on standard output; only its hash is stored in the app's settings.
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

# The role's functions, one a line; nothing for a host-level (admin) key.
functions_of() { jq -r --arg role "$1" '.roles[$role] | select(.keyScope == "functions") | .functions[]' "$ROLES_FILE"; }
key_scope_of() { jq -r --arg role "$1" '.roles[$role].keyScope' "$ROLES_FILE"; }

current=$("$AZ" functionapp config appsettings list "${target[@]}" --query "[?name=='$setting'].value | [0]" --output tsv)

if $revoke; then
  [ -n "$current" ] || die "no key named '$name' on $app (no app setting $setting)"
  role=${current%%:*}
  say "Revoking $name's $role key on $app"
  # The setting goes first: from then on the app refuses the key, whatever the host still holds.
  "$AZ" functionapp config appsettings delete "${target[@]}" --setting-names "$setting" --output none
  if [ "$(key_scope_of "$role")" = host ]; then
    "$AZ" functionapp keys delete "${target[@]}" --key-type functionKeys --key-name "$name" --output none
  else
    while read -r function; do
      "$AZ" functionapp function keys delete "${target[@]}" --function-name "$function" --key-name "$name" --output none
    done < <(functions_of "$role")
  fi
  say "Revoked."
  exit 0
fi

[ -z "$current" ] || die "a key named '$name' exists ($current); revoke it first: scripts/issue-key.sh --revoke $name"

key=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)

say "Issuing a $role key named $name on $app"
# The key reaches the Azure CLI as an argument, as `az functionapp ... keys set` takes it.
if [ "$(key_scope_of "$role")" = host ]; then
  "$AZ" functionapp keys set "${target[@]}" --key-type functionKeys --key-name "$name" --key-value "$key" --output none
else
  while read -r function; do
    "$AZ" functionapp function keys set "${target[@]}" --function-name "$function" --key-name "$name" --key-value "$key" --output none
  done < <(functions_of "$role")
fi
"$AZ" functionapp config appsettings set "${target[@]}" --settings "$setting=$role:$hash" --output none

say "Issued. The key is shown this once; send it as the x-functions-key header. Revoke: scripts/issue-key.sh --revoke $name"
printf '%s\n' "$key"
