// The Function App's app settings. Deploying them replaces every setting the app has, so the caller passes the
// named-key settings scripts/issue-key.sh wrote (read back from the app) to be kept beside the templates' own.
param appName string
param settings object

@secure()
param issuedKeys object

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(issuedKeys, settings)
}
