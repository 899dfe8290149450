using './main.bicep'

// Dev: smallest SKUs. Deploy with:
//   az deployment group create -g rg-demand-dev -f infra/bicep/main.bicep -p infra/bicep/dev.bicepparam
param environmentName = 'dev'
param namePrefix = 'demand'
param lakeSkuName = 'Standard_LRS'
param functionInstanceMemoryMB = 2048
param functionMaximumInstanceCount = 10
param adxSkuName = 'Dev(No SLA)_Standard_E2a_v4'
param adxSkuTier = 'Basic'
param adxSkuCapacity = 1
param adxDatabaseName = 'demand'
param databricksSkuName = 'premium'
param keyVaultPurgeProtection = false
param ordersApiUrl = readEnvironmentVariable('DEMAND_ORDERS_API_URL', '')
param ordersAuthScope = readEnvironmentVariable('DEMAND_ORDERS_AUTH_SCOPE', '')
// Secrets come from the deploying shell, never from this file.
param ordersAuthHeader = readEnvironmentVariable('DEMAND_ORDERS_AUTH_HEADER', '')
param tracker = 'tables'
param mlflowTrackingToken = readEnvironmentVariable('MLFLOW_TRACKING_TOKEN', '')
param publisher = 'adx'
param pipelineSchedule = '0 0 2 * * *'
param pipelineTimerEnabled = false
param codeVersion = readEnvironmentVariable('DEMAND_CODE_VERSION', '')
// false unless asked: on an empty resource group the app has no code yet and listKeys fails.
param storeFunctionKey = bool(readEnvironmentVariable('STORE_FUNCTION_KEY', 'false'))
param pipelineSettingOverrides = {
  DEMAND_FORECAST_BATCH_SIZE: '50'
  DEMAND_DRIFT_MAX_REFORECASTS: '10'
}
