// The data identity's roles, each scoped to the one container, table or queue it is for — never to an account:
// - Storage Blob Data Contributor on each data container (datasets, models, checkpoints): read, write and delete
//   blobs, with ETag conditions; not Owner (no ACLs, no ownership changes).
// - Storage Table Data Contributor on the job table.
// - Storage Queue Data Contributor on the training queue and its poison queue, in the host's account (the queue
//   triggers read them through AzureWebJobsStorage): the API and the watchdog enqueue.
// The app creates these containers, the table and the queues if missing (CreateIfNotExists); the templates create
// them first, so those calls find them.
param dataAccountName string
param containerNames array
param tableNames array
param hostAccountName string
param queueNames array
param principalId string

var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var tableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var queueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'

resource dataAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }

  resource tableService 'tableServices' existing = {
    name: 'default'
  }
}

resource hostAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostAccountName

  resource queueService 'queueServices' existing = {
    name: 'default'
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for container in containerNames: {
  parent: dataAccount::blobService
  name: container
}]

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = [for table in tableNames: {
  parent: dataAccount::tableService
  name: table
}]

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = [for queue in queueNames: {
  parent: hostAccount::queueService
  name: queue
}]

resource containerAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (container, i) in containerNames: {
  name: guid(containers[i].id, principalId, blobDataContributor)
  scope: containers[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource tableAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (table, i) in tableNames: {
  name: guid(tables[i].id, principalId, tableDataContributor)
  scope: tables[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', tableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource queueAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (queue, i) in queueNames: {
  name: guid(queues[i].id, principalId, queueDataContributor)
  scope: queues[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', queueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
