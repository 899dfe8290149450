// Data Factory with a system-assigned identity. The adf/ folder holds the pipeline, datasets,
// linked services and trigger (Git layout); the global parameters below carry the
// environment-specific endpoints into them, so the same JSON deploys to dev and prod.

@description('Azure region.')
param location string

@description('Data Factory name: 3-63 letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(63)
param factoryName string

@description('https://<app>.azurewebsites.net — the HTTP starter lives under /api/pipeline/start.')
param functionBaseUrl string

@description('https://<vault>.vault.azure.net/ — where the function key secret is read.')
param keyVaultUri string

@description('Name of the secret holding the Functions host key.')
param functionKeySecretName string

@description('https://<account>.dfs.core.windows.net/ — the lake endpoint.')
param lakeDfsEndpoint string

@description('Filesystem in the lake (bronze/ silver/ gold/ landing/).')
param lakeFilesystem string

@description('Tags applied to every resource.')
param tags object = {}

resource factory 'Microsoft.DataFactory/factories@2018-06-01' = {
  name: factoryName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publicNetworkAccess: 'Enabled'
    globalParameters: {
      functionBaseUrl: { type: 'String', value: functionBaseUrl }
      keyVaultUri: { type: 'String', value: keyVaultUri }
      functionKeySecretName: { type: 'String', value: functionKeySecretName }
      lakeDfsEndpoint: { type: 'String', value: lakeDfsEndpoint }
      lakeFilesystem: { type: 'String', value: lakeFilesystem }
    }
  }
}

output factoryName string = factory.name
output principalId string = factory.identity.principalId
