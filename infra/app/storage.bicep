// The storage account behind AzureWebJobsStorage: the host's own state, the training queue and its poison
// queue, the job table, the dataset, model and checkpoint containers, and the container Flex Consumption
// deploys the app from.
// Shared-key access is off: everything authenticates with Microsoft Entra ID.
param name string
param location string
param tags object

var containers = ['datasets', 'models', 'checkpoints', deploymentContainerName]
var queues = ['training-jobs', 'training-jobs-poison']
var tables = ['trainingjobs']
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

// A backstop for checkpoints: runs delete their own (superseded ones at once, the rest when the job ends), so a
// checkpoint older than this is one a crash or a storage fault left behind. No job trains this long.
@description('Days after which a checkpoint blob left behind is deleted.')
param checkpointRetentionDays int = 7

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-stale-checkpoints'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['checkpoints/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: checkpointRetentionDays } } }
          }
        }
      ]
    }
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queues: {
  parent: queueService
  name: queue
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tables: {
  parent: tableService
  name: table
}]

output name string = account.name
output deploymentContainerName string = deploymentContainerName
