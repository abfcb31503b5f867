#!/usr/bin/env bash
# The Microsoft Entra app registration App Service Authentication validates tokens for: creates it (or brings an
# existing one up to date) with the app roles in infra/entra/app-roles.json (Classifier, Trainer, Admin), an
# Application ID URI api://{appId}, v2 access tokens, a delegated scope the Azure CLI may ask for, and a service
# principal that requires an app role assignment before Entra ID issues a token for it. Then it sets
# FASHION_AUTH_TENANT_ID and FASHION_AUTH_CLIENT_ID in the azd environment, so that the next `azd provision` turns
# App Service Authentication on. (Plain Bicep cannot create an app registration, and the Microsoft Graph Bicep
# extension comes from a registry, which the templates do not use.)
#
#   scripts/entra-app.sh [--name DISPLAY_NAME]                  create or update (default name: fashion-functions)
#   scripts/entra-app.sh --assign OBJECT_ID ROLE [--name ...]   give a user, group or service principal a role
#                                                               (ROLE: classifier, trainer or admin)
#
# Needs the Azure CLI signed in to the tenant, with rights to create app registrations (and, for --assign, to
# assign their roles); jq.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AZ=${AZ:-az}
AZD=${AZD:-azd}
GRAPH=https://graph.microsoft.com/v1.0
APP_ROLES="$REPO_ROOT/infra/entra/app-roles.json"
API="$REPO_ROOT/infra/entra/api.json"
ROLES_FILE="$REPO_ROOT/infra/roles.json"

usage() { die "usage: scripts/entra-app.sh [--name DISPLAY_NAME] | --assign OBJECT_ID ROLE [--name DISPLAY_NAME]"; }

display_name=fashion-functions
assign_to=""
assign_role=""
while [ $# -gt 0 ]; do
  case "$1" in
    --name) [ $# -ge 2 ] || usage; display_name=$2; shift ;;
    --assign) [ $# -ge 3 ] || usage; assign_to=$2; assign_role=$3; shift 2 ;;
    *) usage ;;
  esac
  shift
done

command -v jq >/dev/null 2>&1 || die "jq is needed (apt-get install jq)"
command -v "$AZ" >/dev/null 2>&1 || die "the Azure CLI ($AZ) is needed"

app_id=$("$AZ" ad app list --display-name "$display_name" --query '[0].appId' --output tsv)

if [ -n "$assign_to" ]; then
  [ -n "$app_id" ] || die "no app registration named '$display_name': run scripts/entra-app.sh first"
  value=$(jq -r --arg role "$assign_role" '.roles[$role].appRole // empty' "$ROLES_FILE")
  [ -n "$value" ] || die "unknown role '$assign_role': one of $(jq -r '.roles | keys_unsorted | join(", ")' "$ROLES_FILE")"
  role_id=$(jq -r --arg value "$value" '.[] | select(.value == $value) | .id' "$APP_ROLES")
  sp_id=$("$AZ" ad sp show --id "$app_id" --query id --output tsv)
  say "Assigning $value on $display_name to $assign_to"
  "$AZ" rest --method POST --uri "$GRAPH/servicePrincipals/$sp_id/appRoleAssignedTo" --headers Content-Type=application/json \
    --body "$(jq -n --arg principal "$assign_to" --arg resource "$sp_id" --arg role "$role_id" \
      '{principalId: $principal, resourceId: $resource, appRoleId: $role}')" --output none
  exit 0
fi

tenant_id=$("$AZ" account show --query tenantId --output tsv)
if [ -z "$app_id" ]; then
  say "Creating the app registration $display_name"
  app_id=$("$AZ" ad app create --display-name "$display_name" --sign-in-audience AzureADMyOrg \
    --app-roles "@$APP_ROLES" --query appId --output tsv)
else
  say "Updating the app registration $display_name ($app_id)"
  "$AZ" ad app update --id "$app_id" --app-roles "@$APP_ROLES"
fi
object_id=$("$AZ" ad app show --id "$app_id" --query id --output tsv)

# The scope has to exist before an application can be pre-authorized for it: two updates.
"$AZ" rest --method PATCH --uri "$GRAPH/applications/$object_id" --headers Content-Type=application/json \
  --body "$(jq --arg appId "$app_id" '{identifierUris: [.identifierUris[] | sub("{appId}"; $appId)], api: (.api | del(.preAuthorizedApplications))}' "$API")" \
  --output none
"$AZ" rest --method PATCH --uri "$GRAPH/applications/$object_id" --headers Content-Type=application/json \
  --body "$(jq '{api: {preAuthorizedApplications: .api.preAuthorizedApplications}}' "$API")" --output none

if ! "$AZ" ad sp show --id "$app_id" --output none 2>/dev/null; then
  "$AZ" ad sp create --id "$app_id" --output none
fi
# Tokens only for callers holding one of the roles.
"$AZ" ad sp update --id "$app_id" --set appRoleAssignmentRequired=true --output none

if command -v "$AZD" >/dev/null 2>&1 && "$AZD" env get-values >/dev/null 2>&1; then
  "$AZD" env set FASHION_AUTH_TENANT_ID "$tenant_id"
  "$AZD" env set FASHION_AUTH_CLIENT_ID "$app_id"
  say "Set FASHION_AUTH_TENANT_ID and FASHION_AUTH_CLIENT_ID in the azd environment: run \`azd provision\`."
else
  say "No azd environment here: pass authTenantId=$tenant_id and authClientId=$app_id to infra/main.bicep."
fi
cat >&2 <<DONE
tenant:    $tenant_id
client id: $app_id (audience api://$app_id)
Assign roles: scripts/entra-app.sh --assign OBJECT_ID classifier|trainer|admin
  (a user: az ad user show --id someone@example.com --query id -o tsv;
   a client app's service principal: az ad sp show --id CLIENT_APP_ID --query id -o tsv)
A user's token: az account get-access-token --resource api://$app_id --query accessToken -o tsv
DONE
