// FashionFunctions on Azure: a Function App on the Flex Consumption plan (Linux, .NET 10 isolated worker),
// its storage account (queue, containers; no shared keys), a user-assigned identity with the data roles the
// app needs, and Application Insights on a Log Analytics workspace. Deploy with `azd up`.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('The azd environment name; resource names and tags derive from it.')
param environmentName string

@minLength(1)
@description('Region for every resource (one that offers the Flex Consumption plan).')
param location string

@allowed([2048, 4096])
@description('Memory of each instance, in MB. Training the model and holding libtorch needs more than 2 GB to be comfortable.')
param instanceMemoryMB int = 4096

@minValue(1)
@maxValue(1000)
@description('The most instances the app scales out to.')
param maximumInstanceCount int = 40

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  scope: resourceGroup
  params: {
    name: 'id-fashion-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-fashion-${resourceToken}'
    applicationInsightsName: 'appi-fashion-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  scope: resourceGroup
  params: {
    name: 'stfashion${resourceToken}'
    location: location
    tags: tags
  }
}

module access 'app/access.bicep' = {
  scope: resourceGroup
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: identity.outputs.principalId
  }
}

module functionApp 'app/function-app.bicep' = {
  scope: resourceGroup
  params: {
    appName: 'func-fashion-${resourceToken}'
    planName: 'plan-fashion-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
  dependsOn: [access]
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
