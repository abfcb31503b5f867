// The Function App on the Flex Consumption plan: Linux, .NET 10 isolated worker, deployed from a blob
// container with the host identity, identity-based AzureWebJobsStorage (the host's account, the host identity)
// and FashionFunctionsStorage (the app's data, the data identity), and the app's own settings. Basic-auth
// publishing is off; App Service Authentication (Entra ID) is on when a tenant is given.
param appName string
param planName string
param location string
param tags object
param hostIdentityId string
param hostIdentityClientId string
param dataIdentityId string
param dataIdentityClientId string
param storageAccountName string
param dataStorageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param instanceMemoryMB int
param maximumInstanceCount int
param datasetMirror string

@description('Microsoft Entra tenant of the app registration; empty leaves App Service Authentication off (named keys only).')
param authTenantId string

@description('Application (client) id of the app registration scripts/entra-app.sh creates; used when authTenantId is set.')
param authClientId string

// With a tenant, the platform validates Entra ID tokens and sets X-MS-CLIENT-PRINCIPAL (and strips any a caller
// sends); without one nothing strips it, so the app must not read it: the Auth mode says which holds.
var authEnabled = !empty(authTenantId)

// Named keys: scripts/issue-key.sh writes one app setting per key, FashionFunctions__Auth__Keys__{name}.
// Deploying app settings replaces them all, so these are read back from the app and kept.
var issuedKeyPrefix = 'FashionFunctions__Auth__Keys__'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource dataAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataStorageAccountName
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
    userAssignedIdentities: {
      '${hostIdentityId}': {}
      '${dataIdentityId}': {}
    }
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
            userAssignedIdentityResourceId: hostIdentityId
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

  // No publishing user name and password: azd publishes to Flex Consumption with an Entra ID token.
  resource scmBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }

  // One site configuration change at a time: the platform can refuse concurrent ones (409).
  resource ftpBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
    dependsOn: [scmBasicAuth]
  }

  // AllowAnonymous, not Return401: the page, health and the OpenAPI document stay anonymous, and which route a
  // caller may use is decided in one place, the worker's rights table, from the principal the platform sets.
  resource authSettings 'config' = if (authEnabled) {
    name: 'authsettingsV2'
    dependsOn: [ftpBasicAuth]
    properties: {
      platform: {
        enabled: true
      }
      globalValidation: {
        requireAuthentication: false
        unauthenticatedClientAction: 'AllowAnonymous'
      }
      httpSettings: {
        requireHttps: true
      }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: {
            clientId: authClientId
            openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
          }
          validation: {
            allowedAudiences: ['api://${authClientId}', authClientId]
          }
        }
      }
      login: {
        // The token store needs a blob SAS on Flex Consumption (shared keys are off); callers send bearer tokens.
        tokenStore: { enabled: false }
      }
    }
  }

  resource currentAppSettings 'config' existing = {
    name: 'appsettings'
  }
}

module appSettings 'app-settings.bicep' = {
  dependsOn: [app::ftpBasicAuth, app::authSettings]
  params: {
    appName: app.name
    issuedKeys: toObject(filter(items(app::currentAppSettings.list().properties), setting => startsWith(setting.key, issuedKeyPrefix)), setting => setting.key, setting => setting.value)
    settings: {
      // Identity-based host storage: no connection string, no keys.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: hostIdentityClientId
      AzureWebJobsStorage__blobServiceUri: account.properties.primaryEndpoints.blob
      AzureWebJobsStorage__queueServiceUri: account.properties.primaryEndpoints.queue
      AzureWebJobsStorage__tableServiceUri: account.properties.primaryEndpoints.table
      // The app's data (Hosting/StorageEndpoints), with the data identity: blobs and the table in the data account;
      // the queues stay in the host's, where the queue triggers read them.
      FashionFunctionsStorage__credential: 'managedidentity'
      FashionFunctionsStorage__clientId: dataIdentityClientId
      FashionFunctionsStorage__blobServiceUri: dataAccount.properties.primaryEndpoints.blob
      FashionFunctionsStorage__queueServiceUri: account.properties.primaryEndpoints.queue
      FashionFunctionsStorage__tableServiceUri: dataAccount.properties.primaryEndpoints.table
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${hostIdentityClientId};Authorization=AAD'
      // Who the caller is: EntraId exactly when the platform sets (and strips) X-MS-CLIENT-PRINCIPAL.
      FashionFunctions__Auth__Mode: authEnabled ? 'EntraId' : 'Keys'
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
      FashionFunctions__MaxConcurrentModelLoads: '2'
      FashionFunctions__ModelLoadQueueSeconds: '10'
      FashionFunctions__MaxEventStreams: '100'
      FashionFunctions__EventStreamSeconds: '180'
      FashionFunctions__MaxDequeueCount: '3'
      FashionFunctions__JobHeartbeatSeconds: '20'
      FashionFunctions__JobClaimExpirySeconds: '90'
      FashionFunctions__MaxJobAttempts: '5'
      FashionFunctions__CheckpointIntervalSeconds: '10'
      FashionFunctions__KeepCheckpoints: 'false'
      FashionFunctions__KeepNewestModels: '100'
      FashionFunctions__FinishedJobRetentionDays: '30'
      FashionFunctions__MaxJobCost: '200'
      FashionFunctions__MaxSweepCost: '1000'
      FashionFunctions__MaxActiveJobsPerOwner: '10'
      FashionFunctions__MaxActiveJobs: '50'
      FashionFunctions__MaxRunningSweepsPerOwner: '2'
      FashionFunctions__MaxRunningSweeps: '5'
      FashionFunctions__IdempotencyKeyHours: '24'
      // No Debian package on the workers: the dataset blobs are seeded from a mirror, checked by SHA-256.
      FashionFunctions__DatasetSeedSource: datasetMirror
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
