// The app's data: the dataset, model and checkpoint containers and the job table, in an account of their own, so
// that the app's data identity holds roles on these and nothing else of the host's (its keys, the deployment
// package). Models are protected against a mistaken overwrite or delete: blob versioning, blob and container
// soft delete. Shared-key access is off: everything authenticates with Microsoft Entra ID.
param name string
param location string
param tags object

@description('Days a deleted blob (or a deleted version) and a deleted container can be restored.')
param softDeleteRetentionDays int = 14

// A backstop for checkpoints: runs delete their own (superseded ones at once, the rest when the job ends), so a
// checkpoint older than this is one a crash or a storage fault left behind. No job trains this long.
@description('Days after which a checkpoint blob left behind is deleted.')
param checkpointRetentionDays int = 7

@description('Days a previous version of a model blob (an overwritten or deleted current.json, manifest or weights) is kept.')
param modelVersionRetentionDays int = 90

var containers = ['datasets', 'models', 'checkpoints']
var tables = ['trainingjobs']

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

// Versioning is a property of the account's blob service, not of one container: checkpoints and the dataset get
// versions too, and the lifecycle rules below keep only the models' for long.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in containers: {
  parent: blobService
  name: container
  properties: { publicAccess: 'None' }
}]

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
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: checkpointRetentionDays } }
              // Every checkpoint a run deletes becomes a previous version: nothing restores one, so it goes soon.
              version: { delete: { daysAfterCreationGreaterThan: 1 } }
            }
          }
        }
        {
          name: 'expire-previous-model-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['models/'] }
            actions: {
              version: { delete: { daysAfterCreationGreaterThan: modelVersionRetentionDays } }
            }
          }
        }
      ]
    }
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tables: {
  parent: tableService
  name: table
}]

output name string = account.name
output containerNames array = containers
output tableNames array = tables
