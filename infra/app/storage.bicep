// The host's storage account, behind AzureWebJobsStorage: the Functions host's own state (its keys, leases and
// timer schedules, in containers it creates), the training queue and its poison queue (the queue triggers read
// them through AzureWebJobsStorage), and the container Flex Consumption deploys the app from. The app's data is
// in its own account (data-storage.bicep).
// Shared-key access is off: everything authenticates with Microsoft Entra ID.
param name string
param location string
param tags object

var containers = [deploymentContainerName]
var queues = ['training-jobs', 'training-jobs-poison']
var deploymentContainerName = 'app-package'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in containers: {
  parent: blobService
  name: container
  properties: { publicAccess: 'None' }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queues: {
  parent: queueService
  name: queue
}]

output name string = account.name
output deploymentContainerName string = deploymentContainerName
output queueNames array = queues
