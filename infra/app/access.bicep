// The host identity's roles: what the Functions host needs of its own account (identity-based
// AzureWebJobsStorage), and telemetry. The app's data is not here: the data identity's roles are in
// data-access.bicep.
// - Storage Blob Data Owner: the host's identity-based AzureWebJobsStorage requires it (its keys, leases and timer
//   schedules, in containers it creates); Flex Consumption reads the deployment package with this identity.
// - Storage Queue Data Contributor: the queue triggers receive and delete messages, and move failed ones to the
//   poison queue.
// - Storage Table Data Contributor: the host records diagnostic events in a table of AzureWebJobsStorage.
// - Monitoring Metrics Publisher: telemetry to Application Insights with local authentication disabled.
param storageAccountName string
param applicationInsightsName string
param principalId string

var storageRoles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in items(storageRoles): {
  name: guid(account.id, principalId, role.value)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource telemetryAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
