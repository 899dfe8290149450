// Azure Databricks workspace (runs the Delta compaction job) and an Access Connector whose
// managed identity Unity Catalog uses to reach the lake without keys.

@description('Azure region.')
param location string

@description('Workspace name (3-64 letters, digits, hyphens, underscores).')
@minLength(3)
@maxLength(64)
param workspaceName string

@description('Access connector name.')
param accessConnectorName string

@description('premium is needed for Unity Catalog and job access control.')
@allowed(['standard', 'premium'])
param skuName string = 'premium'

@description('Tags applied to every resource.')
param tags object = {}

resource workspace 'Microsoft.Databricks/workspaces@2024-05-01' = {
  name: workspaceName
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    // Databricks owns this group (its VNet, NSG and managed storage); it must not exist beforehand.
    managedResourceGroupId: subscriptionResourceId('Microsoft.Resources/resourceGroups', 'databricks-rg-${workspaceName}-${uniqueString(workspaceName, resourceGroup().id)}')
  }
}

resource accessConnector 'Microsoft.Databricks/accessConnectors@2024-05-01' = {
  name: accessConnectorName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {}
}

output workspaceName string = workspace.name
output workspaceUrl string = workspace.properties.workspaceUrl
output accessConnectorId string = accessConnector.id
output accessConnectorPrincipalId string = accessConnector.identity.principalId
