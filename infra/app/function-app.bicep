// The Function App on the Flex Consumption plan: Linux, .NET 10 isolated worker, deployed from a blob
// container with the app's identity, identity-based AzureWebJobsStorage, and the app's own settings.
param appName string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param instanceMemoryMB int
param maximumInstanceCount int

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${account.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Identity-based host storage: no connection string, no keys.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: account.properties.primaryEndpoints.blob
      AzureWebJobsStorage__queueServiceUri: account.properties.primaryEndpoints.queue
      AzureWebJobsStorage__tableServiceUri: account.properties.primaryEndpoints.table
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // The app's own settings (src/FashionFunctions.Functions/Hosting/FashionFunctionsOptions.cs).
      FashionFunctions__ModelCacheRevalidateSeconds: '30'
      FashionFunctions__ModelCacheCapacity: '4'
      FashionFunctions__MaxRequestBytes: '10485760'
      FashionFunctions__MaxImagePixels: '16000000'
      FashionFunctions__MaxBatchImages: '256'
      FashionFunctions__MaxRequestPixels: '12000000'
      FashionFunctions__WarmUpOnStart: 'true'
      FashionFunctions__MaxConcurrentDecodes: '4'
      FashionFunctions__DecodeQueueSeconds: '10'
      FashionFunctions__MaxDequeueCount: '3'
      FashionFunctions__JobHeartbeatSeconds: '20'
      FashionFunctions__JobClaimExpirySeconds: '90'
      FashionFunctions__MaxJobAttempts: '5'
      FashionFunctions__CheckpointIntervalSeconds: '10'
      FashionFunctions__KeepCheckpoints: 'false'
      // No Debian package on the workers: the dataset blobs are seeded from the canonical mirror, checked by SHA-256.
      FashionFunctions__DatasetSeedSource: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
