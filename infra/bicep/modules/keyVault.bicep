// Key Vault in RBAC mode (no access policies). Holds the secrets the app and Data Factory need:
// the orders API Authorization header and the MLflow token (when given at deployment) and the
// Functions host key that Data Factory's WebHook sends (written by functionKeySecret.bicep).

@description('Azure region.')
param location string

@description('Key Vault name: 3-24 letters, digits and hyphens, starting with a letter, globally unique.')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

@description('Purge protection cannot be turned off once on: enable it for prod.')
param enablePurgeProtection bool = false

@description('Orders API Authorization header value; empty = no secret is created.')
@secure()
param ordersAuthHeader string = ''

@description('Databricks MLflow token; empty = no secret is created.')
@secure()
param mlflowTrackingToken string = ''

@description('Secret names (fixed so app settings can reference them).')
param ordersAuthHeaderSecretName string = 'orders-auth-header'
param mlflowTrackingTokenSecretName string = 'mlflow-tracking-token'

@description('Tags applied to every resource.')
param tags object = {}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // ARM rejects `false` once purge protection is on, so only send `true`.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource ordersAuthHeaderSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(ordersAuthHeader)) {
  parent: vault
  name: ordersAuthHeaderSecretName
  properties: {
    value: ordersAuthHeader
    contentType: 'HTTP Authorization header for the orders API'
  }
}

resource mlflowTrackingTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(mlflowTrackingToken)) {
  parent: vault
  name: mlflowTrackingTokenSecretName
  properties: {
    value: mlflowTrackingToken
    contentType: 'Databricks personal access or service principal token for MLflow'
  }
}

output vaultName string = vault.name
output vaultId string = vault.id
output vaultUri string = vault.properties.vaultUri
