// Copies the Function App's default host key into Key Vault at deployment time so Data Factory
// (Key Vault Secrets User) can send it to the HTTP starter. The key never appears in an output;
// it moves from the Functions host API straight into the secret.
// The host answers listKeys only once it has started; on a brand-new app run the deployment
// with storeFunctionKey=false, publish the code, then deploy again (see docs/deploy.md).

@description('Function App whose default host key is stored.')
param functionAppName string

@description('Key Vault (RBAC mode) that receives the secret.')
param keyVaultName string

@description('Secret name Data Factory reads (pipeline parameter functionKeySecretName).')
param secretName string = 'function-host-key'

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource hostKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: secretName
  properties: {
    value: listKeys('${functionApp.id}/host/default', '2024-04-01').functionKeys.default
    contentType: 'Azure Functions host key (default) for the Data Factory WebHook'
  }
}

output secretName string = hostKeySecret.name
