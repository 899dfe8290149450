using './main.bicep'

// Prod: zone-redundant lake, a Standard ADX cluster with two instances, purge protection.
//   az deployment group create -g rg-demand-prod -f infra/bicep/main.bicep -p infra/bicep/prod.bicepparam
param environmentName = 'prod'
param namePrefix = 'demand'
param lakeSkuName = 'Standard_ZRS'
param functionInstanceMemoryMB = 2048
param functionMaximumInstanceCount = 100
param adxSkuName = 'Standard_E2ads_v5'
param adxSkuTier = 'Standard'
param adxSkuCapacity = 2
param adxDatabaseName = 'demand'
param databricksSkuName = 'premium'
param keyVaultPurgeProtection = true
param ordersApiUrl = readEnvironmentVariable('DEMAND_ORDERS_API_URL', '')
param ordersAuthScope = readEnvironmentVariable('DEMAND_ORDERS_AUTH_SCOPE', '')
// Secrets come from the deploying shell, never from this file.
param ordersAuthHeader = readEnvironmentVariable('DEMAND_ORDERS_AUTH_HEADER', '')
param tracker = 'mlflow'
param mlflowTrackingUri = ''
param mlflowTrackingToken = readEnvironmentVariable('MLFLOW_TRACKING_TOKEN', '')
param publisher = 'adx'
param pipelineSchedule = '0 0 2 * * *'
param pipelineTimerEnabled = false
param codeVersion = readEnvironmentVariable('DEMAND_CODE_VERSION', '')
// false unless asked: on an empty resource group the app has no code yet and listKeys fails.
param storeFunctionKey = bool(readEnvironmentVariable('STORE_FUNCTION_KEY', 'false'))
param pipelineSettingOverrides = {}
