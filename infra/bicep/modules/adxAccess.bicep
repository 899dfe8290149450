// Database roles for the Function App identity: Ingestor to queue ingestion of forecasts and
// actions, Viewer to read them back (drift checks, dashboards). Kept out of adx.bicep so the
// Function App (which needs the cluster URIs) can be created in between.

@description('ADX cluster name.')
param clusterName string

@description('ADX database name.')
param databaseName string

@description('Object (principal) id of the Function App system-assigned identity.')
param functionPrincipalId string

resource cluster 'Microsoft.Kusto/clusters@2023-08-15' existing = {
  name: clusterName
}

resource database 'Microsoft.Kusto/clusters/databases@2023-08-15' existing = {
  parent: cluster
  name: databaseName
}

resource functionIngestor 'Microsoft.Kusto/clusters/databases/principalAssignments@2023-08-15' = {
  parent: database
  name: 'function-ingestor'
  properties: {
    principalId: functionPrincipalId
    principalType: 'App'
    role: 'Ingestor'
    tenantId: subscription().tenantId
  }
}

resource functionViewer 'Microsoft.Kusto/clusters/databases/principalAssignments@2023-08-15' = {
  parent: database
  name: 'function-viewer'
  properties: {
    principalId: functionPrincipalId
    principalType: 'App'
    role: 'Viewer'
    tenantId: subscription().tenantId
  }
}
