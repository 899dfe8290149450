// Function App on the Flex Consumption plan (FC1), Node.js 22, system-assigned identity.
// Flex takes runtime, scale and deployment storage from `functionAppConfig`, so the app settings
// FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION / WEBSITE_RUN_FROM_PACKAGE are not set here
// (Flex rejects them). Every storage connection is identity-based: no keys in settings.

@description('Azure region (must offer Flex Consumption: az functionapp list-flexconsumption-locations).')
param location string

@description('Flex Consumption plan name.')
param planName string

@description('Function App name (2-60 letters, digits, hyphens); also the default host name prefix.')
@minLength(2)
@maxLength(60)
param functionAppName string

@description('Runtime storage account (AzureWebJobsStorage, Durable task hub).')
param runtimeStorageAccountName string

@description('Blob container URL that holds the deployment package.')
param deploymentContainerUrl string

@description('Application Insights component in this resource group.')
param appInsightsName string

@description('Memory per instance. 2048 MB gives one vCPU-equivalent per instance for the CPU-bound forecast activities.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on scale-out (caps cost and the load on the lake and ADX).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Pipeline settings (name -> value) added to the platform settings below.')
param appSettings object

@description('Durable backend settings (host.json overrides and the scheduler connection); empty for the Azure Storage backend of host.json.')
param durableSettings object = {}

@description('Tags applied to every resource.')
param tags object = {}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// Platform settings: identity-based host storage (the Durable task hub uses the same
// AzureWebJobsStorage connection, see host.json) and telemetry over Entra ID.
var platformSettings = {
  AzureWebJobsStorage__accountName: runtimeStorageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
}

// Process memory: glibc malloc settings read by the Node worker at start (app settings reach it as
// environment variables). Without them memory freed by worker threads and large buffers stays
// resident; docs/settings.md ("Process memory") and docs/sizing.md have the measurements. The same
// values as src/host/memoryTuning.ts (the local CLI's), checked by test/infra/bicep.test.ts.
var processMemorySettings = {
  MALLOC_ARENA_MAX: '2'
  MALLOC_MMAP_THRESHOLD_: '131072'
  MALLOC_TRIM_THRESHOLD_: '131072'
}

var allSettings = union(appSettings, platformSettings, processMemorySettings, durableSettings)

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [for setting in items(allSettings): {
        name: setting.key
        value: string(setting.value)
      }]
    }
  }
}

output functionAppName string = functionApp.name
output functionAppId string = functionApp.id
output principalId string = functionApp.identity.principalId
output defaultHostName string = functionApp.properties.defaultHostName
