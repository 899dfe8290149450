// The lake: StorageV2 with hierarchical namespace (ADLS Gen2). One filesystem, `lake`, with the
// top-level folders bronze/ silver/ gold/ landing/ — the app addresses everything relative to
// DEMAND_LAKE_URL = https://<account>.dfs.core.windows.net/lake, so one URL covers all layers and
// renames stay inside one filesystem (an ADLS rename cannot cross filesystems).
// Pipeline state tables (watermarks, runs, registry, drift) live in this account's Table service:
// they describe the data, so they are backed up, retained and access-controlled with it.

@description('Azure region.')
param location string

@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param accountName string

@description('Replication: LRS for dev, ZRS (or GZRS) for prod.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param skuName string = 'Standard_LRS'

@description('Filesystem (container) holding bronze/ silver/ gold/ landing/.')
param filesystemName string = 'lake'

@description('Tags applied to every resource.')
param tags object = {}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    isHnsEnabled: true
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Entra ID only: every caller (Functions, Data Factory, Databricks) uses a managed identity.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource filesystem 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: filesystemName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

output accountName string = account.name
output accountId string = account.id
output filesystemName string = filesystem.name
output dfsEndpoint string = account.properties.primaryEndpoints.dfs
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
