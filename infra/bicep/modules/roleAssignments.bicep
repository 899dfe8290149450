// Every data-plane permission, granted to managed identities so no component holds a key.
//   Function App  -> lake: Storage Blob Data Contributor (read/write Bronze/Silver/Gold, rename)
//                 -> lake: Storage Table Data Contributor (watermarks, runs, registry tables)
//                 -> runtime: Storage Blob Data Owner (host leases, deployment package, task hub blobs)
//                 -> runtime: Storage Queue Data Contributor + Table Data Contributor (Durable task hub)
//                 -> Key Vault: Key Vault Secrets User (resolve @Microsoft.KeyVault references)
//                 -> Application Insights: Monitoring Metrics Publisher (telemetry over Entra ID)
//   Data Factory  -> lake filesystem: Storage Blob Data Contributor (copy partner files into landing/)
//                 -> Key Vault: Key Vault Secrets User (read the Functions host key)
//                 -> Durable Task Scheduler (when it is the backend): Durable Task Data Contributor
//   Databricks access connector -> lake: Storage Blob Data Contributor (Delta compaction)
// ADX database roles are in adxAccess.bicep.

@description('Lake storage account name.')
param lakeAccountName string

@description('Lake filesystem (container) name.')
param lakeFilesystemName string

@description('Runtime storage account name.')
param runtimeAccountName string

@description('Key Vault name.')
param keyVaultName string

@description('Application Insights component name.')
param appInsightsName string

@description('Function App identity (object id).')
param functionPrincipalId string

@description('Data Factory identity (object id).')
param dataFactoryPrincipalId string

@description('Databricks access connector identity (object id).')
param databricksPrincipalId string

@description('Durable Task Scheduler the Function App uses as its Durable backend; empty for the Azure Storage backend.')
param durableTaskSchedulerName string = ''

var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402'
}

resource lake 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: lakeAccountName
}

resource lakeBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: lake
  name: 'default'
}

resource lakeFilesystem 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: lakeBlobService
  name: lakeFilesystemName
}

resource runtime 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: runtimeAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = {
  name: empty(durableTaskSchedulerName) ? 'none' : durableTaskSchedulerName
}

// Scheduler scope: every task hub in it (the app has one).
resource functionDurableTask 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(durableTaskSchedulerName)) {
  name: guid(scheduler.id, functionPrincipalId, roles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor)
  }
}

resource functionLakeBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(lake.id, functionPrincipalId, roles.storageBlobDataContributor)
  scope: lake
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

resource functionLakeTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(lake.id, functionPrincipalId, roles.storageTableDataContributor)
  scope: lake
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

resource functionRuntimeBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtime.id, functionPrincipalId, roles.storageBlobDataOwner)
  scope: runtime
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

resource functionRuntimeQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtime.id, functionPrincipalId, roles.storageQueueDataContributor)
  scope: runtime
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
  }
}

resource functionRuntimeTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtime.id, functionPrincipalId, roles.storageTableDataContributor)
  scope: runtime
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

resource functionKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource functionTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource factoryLakeFilesystem 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(lakeFilesystem.id, dataFactoryPrincipalId, roles.storageBlobDataContributor)
  scope: lakeFilesystem
  properties: {
    principalId: dataFactoryPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

resource factoryKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, dataFactoryPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: dataFactoryPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource databricksLake 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(lake.id, databricksPrincipalId, roles.storageBlobDataContributor)
  scope: lake
  properties: {
    principalId: databricksPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}
