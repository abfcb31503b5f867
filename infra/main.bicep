// FashionFunctions on Azure: a Function App on the Flex Consumption plan (Linux, .NET 10 isolated worker), two
// storage accounts (the host's: its state, the queues, the deployment package; the app's data: dataset, models,
// checkpoints, jobs; no shared keys), two user-assigned identities (the host's, with the roles the host needs on
// its account; the data identity, with roles scoped to each container, table and queue the app uses), and
// Application Insights on a Log Analytics workspace. Deploy with `azd up`.
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

@description('The https mirror the dataset blobs are seeded from on first use (every file is checked by SHA-256 and size). Keras downloads Fashion-MNIST from this one; the project\'s own S3 website answers http only.')
param datasetMirror string = 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'

@description('Microsoft Entra tenant id for App Service Authentication; empty (the default) leaves it off and callers use named keys (scripts/issue-key.sh).')
param authTenantId string = ''

@description('Application (client) id of the app registration (scripts/entra-app.sh); needed when authTenantId is set.')
param authClientId string = ''

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

module dataIdentity 'app/identity.bicep' = {
  scope: resourceGroup
  params: {
    name: 'id-fashion-data-${resourceToken}'
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

module dataStorage 'app/data-storage.bicep' = {
  scope: resourceGroup
  params: {
    name: 'stfashdata${resourceToken}'
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

module dataAccess 'app/data-access.bicep' = {
  scope: resourceGroup
  params: {
    dataAccountName: dataStorage.outputs.name
    containerNames: dataStorage.outputs.containerNames
    tableNames: dataStorage.outputs.tableNames
    hostAccountName: storage.outputs.name
    queueNames: storage.outputs.queueNames
    principalId: dataIdentity.outputs.principalId
  }
}

module functionApp 'app/function-app.bicep' = {
  scope: resourceGroup
  params: {
    appName: 'func-fashion-${resourceToken}'
    planName: 'plan-fashion-${resourceToken}'
    location: location
    tags: tags
    hostIdentityId: identity.outputs.id
    hostIdentityClientId: identity.outputs.clientId
    dataIdentityId: dataIdentity.outputs.id
    dataIdentityClientId: dataIdentity.outputs.clientId
    storageAccountName: storage.outputs.name
    dataStorageAccountName: dataStorage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    datasetMirror: datasetMirror
    authTenantId: authTenantId
    authClientId: authClientId
  }
  dependsOn: [access, dataAccess]
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_DATA_STORAGE_ACCOUNT_NAME string = dataStorage.outputs.name
output FASHION_AUTH_MODE string = empty(authTenantId) ? 'Keys' : 'EntraId'
