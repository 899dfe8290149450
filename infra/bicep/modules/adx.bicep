// Azure Data Explorer: cluster, the `demand` database and the adx/*.kql files applied as database
// scripts, one resource per file, in file-name order (tables before mappings, policies, views and
// functions). Each script is idempotent (.create-merge / .create-or-alter / ifnotexists) and re-runs
// only when its text changes.

@description('Azure region.')
param location string

@description('Cluster name: 4-22 lowercase letters and digits, starting with a letter, globally unique.')
@minLength(4)
@maxLength(22)
param clusterName string

@description('Database the pipeline publishes to (DEMAND_ADX_DATABASE).')
param databaseName string = 'demand'

@description('Cluster SKU: the Dev (no SLA) SKU for dev, a Standard SKU for prod.')
param skuName string = 'Dev(No SLA)_Standard_E2a_v4'

@description('Basic for the Dev SKU, Standard otherwise.')
@allowed(['Basic', 'Standard'])
param skuTier string = 'Basic'

@description('Instance count (the Dev SKU allows exactly 1).')
@minValue(1)
@maxValue(1000)
param skuCapacity int = 1

@description('Days data stays queryable in the hot cache.')
@minValue(1)
param hotCacheDays int = 31

@description('Days before data is deleted.')
@minValue(1)
param softDeleteDays int = 365

@description('KQL scripts applied in order: [{ name: string, content: string }].')
param scripts array

@description('Tags applied to every resource.')
param tags object = {}

resource cluster 'Microsoft.Kusto/clusters@2023-08-15' = {
  name: clusterName
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
    capacity: skuCapacity
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    // adx/03-policies.kql enables streaming ingestion on the tables a single-SKU re-forecast writes.
    enableStreamingIngest: true
    enableAutoStop: true
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.Kusto/clusters/databases@2023-08-15' = {
  parent: cluster
  name: databaseName
  location: location
  kind: 'ReadWrite'
  properties: {
    hotCachePeriod: 'P${hotCacheDays}D'
    softDeletePeriod: 'P${softDeleteDays}D'
  }
}

// One at a time: ADX runs a database's scripts serially anyway, and later files depend on earlier ones.
@batchSize(1)
resource schemaScripts 'Microsoft.Kusto/clusters/databases/scripts@2023-08-15' = [for script in scripts: {
  parent: database
  name: script.name
  properties: {
    scriptContent: script.content
    // A new tag re-runs the script; tie it to the text so unchanged scripts are not re-applied.
    forceUpdateTag: uniqueString(script.content)
    continueOnErrors: false
  }
}]

output clusterName string = cluster.name
output databaseName string = database.name
output clusterUri string = cluster.properties.uri
output dataIngestionUri string = cluster.properties.dataIngestionUri
