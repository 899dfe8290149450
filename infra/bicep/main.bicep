// Demand forecasting pipeline — every Azure resource for one environment, in one resource group.
//   az deployment group create -g <rg> --template-file infra/bicep/main.bicep --parameters infra/bicep/dev.bicepparam
// See docs/deploy.md for the full sequence (deploy, publish the code, store the function key, ADF).
targetScope = 'resourceGroup'

@description('Environment name; part of resource names and tags.')
@allowed(['dev', 'prod'])
param environmentName string

@description('Short prefix (2-8 letters/digits; hyphens and underscores are dropped, uppercase is lowered) for resource names.')
@minLength(2)
@maxLength(8)
param namePrefix string = 'demand'

@description('Azure region for every resource (must offer Flex Consumption and Azure Data Explorer).')
param location string = resourceGroup().location

@description('Lake replication: Standard_LRS for dev, Standard_ZRS or Standard_GZRS for prod.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param lakeSkuName string = 'Standard_LRS'

@description('Flex Consumption memory per instance (MB).')
@allowed([512, 2048, 4096])
param functionInstanceMemoryMB int = 2048

@description('Flex Consumption scale-out ceiling.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 40

@description('ADX SKU name, e.g. Dev(No SLA)_Standard_E2a_v4 (dev) or Standard_E2ads_v5 (prod).')
param adxSkuName string = 'Dev(No SLA)_Standard_E2a_v4'

@description('ADX SKU tier: Basic for the Dev SKU, Standard otherwise.')
@allowed(['Basic', 'Standard'])
param adxSkuTier string = 'Basic'

@description('ADX instance count (1 for the Dev SKU, 2+ for Standard).')
@minValue(1)
param adxSkuCapacity int = 1

@description('ADX database name (DEMAND_ADX_DATABASE).')
param adxDatabaseName string = 'demand'

@description('Databricks pricing tier.')
@allowed(['standard', 'premium'])
param databricksSkuName string = 'premium'

@description('Key Vault purge protection (irreversible; use for prod).')
param keyVaultPurgeProtection bool = false

@description('Orders REST API base URL (DEMAND_ORDERS_API_URL); empty = orders ingestion is skipped by the app.')
param ordersApiUrl string = ''

@description('Entra ID scope for a managed-identity token to the orders API (DEMAND_ORDERS_AUTH_SCOPE).')
param ordersAuthScope string = ''

@description('Orders API Authorization header; stored in Key Vault, the app gets a Key Vault reference.')
@secure()
param ordersAuthHeader string = ''

@description('Experiment tracker: tables (Table storage) or mlflow (Databricks MLflow).')
@allowed(['tables', 'mlflow'])
param tracker string = 'tables'

@description('MLflow tracking URI; empty = the Databricks workspace URL.')
param mlflowTrackingUri string = ''

@description('MLflow token; stored in Key Vault, the app gets a Key Vault reference.')
@secure()
param mlflowTrackingToken string = ''

@description('Where forecasts are published: adx (Azure Data Explorer) or local (lake files only).')
@allowed(['adx', 'local'])
param publisher string = 'adx'

@description('NCRONTAB schedule of the timer trigger (DEMAND_PIPELINE_SCHEDULE).')
param pipelineSchedule string = '0 0 2 * * *'

@description('NCRONTAB schedule of the drift monitor timer (DEMAND_DRIFT_SCHEDULE); "off" disables it.')
param driftSchedule string = '0 30 */6 * * *'

@description('Timer trigger on/off. Off when Data Factory schedules the pipeline, so runs are not doubled.')
param pipelineTimerEnabled bool = false

@description('Copy the Functions host key into Key Vault. Only once code is published (the host answers listKeys only then); the release stores it in a step of its own after publishing.')
param storeFunctionKey bool = false

@description('Durable Functions backend. AzureStorage (default): queues and tables in the runtime storage account, as host.json says. DurableTaskScheduler: the managed scheduler (docs/deploy.md, "Durable backend").')
@allowed(['AzureStorage', 'DurableTaskScheduler'])
param durableBackend string = 'AzureStorage'

@description('Durable Task Scheduler SKU when durableBackend is DurableTaskScheduler.')
@allowed(['Consumption', 'Dedicated'])
param durableTaskSchedulerSku string = 'Consumption'

@description('Code version recorded on every tracked run (DEMAND_CODE_VERSION), e.g. the git sha.')
param codeVersion string = ''

@description('Overrides of the pipeline tuning settings below, by app setting name (values as strings).')
param pipelineSettingOverrides object = {}

var tags = {
  project: 'demand-forecast'
  environment: environmentName
}

// Deterministic per subscription + group + environment, so redeploying updates in place.
var token = uniqueString(subscription().id, resourceGroup().id, environmentName)
// Storage account and ADX cluster names allow only lowercase letters and digits, Key Vault no "--":
// the prefix is normalised once, so a prefix like 'My-Shop' deploys instead of failing late.
var prefix = toLower(replace(replace(namePrefix, '-', ''), '_', ''))
var names = {
  lakeAccount: take('st${prefix}lake${token}', 24)
  runtimeAccount: take('st${prefix}fn${token}', 24)
  deploymentContainer: 'app-package'
  keyVault: take('kv-${prefix}-${token}', 24)
  logAnalytics: 'log-${prefix}-${environmentName}-${token}'
  appInsights: 'appi-${prefix}-${environmentName}-${token}'
  plan: 'plan-${prefix}-${environmentName}-${token}'
  functionApp: 'func-${prefix}-${environmentName}-${token}'
  adxCluster: take('adx${prefix}${token}', 22)
  dataFactory: 'adf-${prefix}-${environmentName}-${token}'
  databricks: 'dbw-${prefix}-${environmentName}-${token}'
  databricksConnector: 'dbac-${prefix}-${environmentName}-${token}'
  durableTaskScheduler: 'dts-${prefix}-${environmentName}-${token}'
}
// host.json's hub name, kept as the scheduler's task hub name.
var durableHubName = 'DemandPipeline'
var useDurableTaskScheduler = durableBackend == 'DurableTaskScheduler'
var functionKeySecretName = 'function-host-key'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.logAnalytics
    appInsightsName: names.appInsights
    tags: tags
  }
}

module lake 'modules/lakeStorage.bicep' = {
  name: 'lake'
  params: {
    location: location
    accountName: names.lakeAccount
    skuName: lakeSkuName
    tags: tags
  }
}

module runtimeStorage 'modules/runtimeStorage.bicep' = {
  name: 'runtimeStorage'
  params: {
    location: location
    accountName: names.runtimeAccount
    deploymentContainerName: names.deploymentContainer
    tags: tags
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    location: location
    vaultName: names.keyVault
    enablePurgeProtection: keyVaultPurgeProtection
    ordersAuthHeader: ordersAuthHeader
    mlflowTrackingToken: mlflowTrackingToken
    tags: tags
  }
}

// Every adx/*.kql file, in name order (test/infra/bicep.test.ts fails when one is missing here).
var adxScripts = [
  { name: '01-tables', content: loadTextContent('../../adx/01-tables.kql') }
  { name: '02-mappings', content: loadTextContent('../../adx/02-mappings.kql') }
  { name: '03-policies', content: loadTextContent('../../adx/03-policies.kql') }
  { name: '04-views', content: loadTextContent('../../adx/04-views.kql') }
  { name: '05-functions', content: loadTextContent('../../adx/05-functions.kql') }
]

module adx 'modules/adx.bicep' = {
  name: 'adx'
  params: {
    location: location
    clusterName: names.adxCluster
    databaseName: adxDatabaseName
    skuName: adxSkuName
    skuTier: adxSkuTier
    skuCapacity: adxSkuCapacity
    scripts: adxScripts
    tags: tags
  }
}

module databricks 'modules/databricks.bicep' = {
  name: 'databricks'
  params: {
    location: location
    workspaceName: names.databricks
    accessConnectorName: names.databricksConnector
    skuName: databricksSkuName
    tags: tags
  }
}

module durableTaskScheduler 'modules/durableTaskScheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'durableTaskScheduler'
  params: {
    location: location
    schedulerName: names.durableTaskScheduler
    taskHubName: durableHubName
    skuName: durableTaskSchedulerSku
    tags: tags
  }
}

// The scheduler backend overrides host.json's storage provider through app settings (the
// AzureFunctionsJobHost__ prefix addresses host.json paths), so one package serves both backends.
var durableSettings = useDurableTaskScheduler ? {
  AzureFunctionsJobHost__extensions__durableTask__hubName: durableHubName
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskScheduler.outputs.endpoint};Authentication=ManagedIdentity'
} : {}

// Tuning settings: the code's defaults (src/lib/config/settings.ts), set explicitly so the
// portal shows what runs; change them per environment with pipelineSettingOverrides.
var pipelineTuningDefaults = {
  DEMAND_ORDERS_PAGE_SIZE: '500'
  DEMAND_ORDERS_OVERLAP_MINUTES: '60'
  DEMAND_ORDERS_RETRY_BUDGET_MS: '120000'
  DEMAND_ORDERS_REQUEST_TIMEOUT_MS: '30000'
  DEMAND_INVENTORY_LANDING_PREFIX: 'landing/inventory'
  DEMAND_ORDERS_PAGES_PER_PART: '20'
  DEMAND_FORECAST_HORIZON_DAYS: '28'
  DEMAND_FORECAST_SEASON: '7'
  DEMAND_FORECAST_BATCH_SIZE: '100'
  DEMAND_FORECAST_MAX_ACTIVITIES_PER_SUBORCHESTRATION: '500'
  DEMAND_FORECAST_MODEL_TIMEOUT_MS: '5000'
  DEMAND_FULL_SELECTION_EVERY_DAYS: '7'
  DEMAND_HOLIDAY_COUNTRY: ''
  DEMAND_HOLIDAY_REGION: ''
  DEMAND_EVENTS_PATH: ''
  DEMAND_ORDERS_SOURCE: 'online-retail'
  DEMAND_INVENTORY_SOURCE: ''
  DEMAND_CATALOGUE_SOURCE: ''
  DEMAND_SHOP_TIME_ZONE: ''
  DEMAND_QUARANTINE_MAX_SHARE: '0.5'
  DEMAND_QUARANTINE_WARN_SHARE: '0.05'
  DEMAND_MAX_ORDER_QUANTITY: '1000000'
  DEMAND_MAX_UNIT_PRICE: '1000000'
  DEMAND_MAX_STOCK_UNITS: '1000000000'
  DEMAND_MAX_FUTURE_MINUTES: '1440'
  DEMAND_EARLIEST_DATE: '1990-01-01'
  DEMAND_LAKE_LOCK_WAIT_MS: '600000'
  DEMAND_LAKE_LOCK_DURATION_MS: '60000'
  DEMAND_SILVER_WORKERS: 'auto'
  DEMAND_MALLOC_TRIM: 'on'
  DEMAND_SERVICE_LEVEL: '0.95'
  DEMAND_LEAD_TIME_DAYS: '7'
  DEMAND_REVIEW_PERIOD_DAYS: '7'
  DEMAND_EXPERIMENT_NAME: 'demand-forecast'
  DEMAND_REGISTERED_MODEL_NAME: 'demand-forecast-policy'
  DEMAND_PROMOTION_MARGIN: '0.02'
  DEMAND_PROMOTION_SEGMENT_TOLERANCE: '0.05'
  DEMAND_DRIFT_PSI_THRESHOLD: '0.25'
  DEMAND_DRIFT_ACCURACY_RATIO: '1.5'
  DEMAND_DRIFT_FLEET_SHARE: '0.3'
  DEMAND_DRIFT_MAX_REFORECASTS: '50'
  DEMAND_DRIFT_STOCKOUT_DELTA: '0.1'
  DEMAND_ACTIVITY_MAX_ATTEMPTS: '3'
  DEMAND_ACTIVITY_FIRST_RETRY_MS: '5000'
  DEMAND_REFORECAST_WAIT_MS: '10000'
}

var tableEndpoint = lake.outputs.tableEndpoint
// Key Vault references resolve with the app's identity; '' (unset) when no secret was given.
var ordersAuthHeaderSetting = empty(ordersAuthHeader) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.vaultUri}secrets/orders-auth-header/)'
var mlflowTrackingTokenSetting = empty(mlflowTrackingToken) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.vaultUri}secrets/mlflow-tracking-token/)'

// Forecast worker threads per Flex Consumption instance: its cores, not the CPUs the process may run
// on (os.availableParallelism counts affinity, not the CPU quota). Microsoft's Flex Consumption page
// gives 512 MB 0.25, 2,048 MB 1 and 4,096 MB 2 cores; a worker beyond them adds a heap and no
// throughput (docs/sizing.md, stop 28). Overridable per environment (pipelineSettingOverrides).
// Silver's stay 'auto' (a number would also start a worker for small builds, which auto runs
// in-process), capped at the same cores for a large build (docs/sizing.md, stop 29).
var instanceWorkerSettings = {
  DEMAND_FORECAST_WORKERS: string(max(1, functionInstanceMemoryMB / 2048))
  DEMAND_SILVER_MAX_WORKERS: string(max(1, functionInstanceMemoryMB / 2048))
}

// Settings that follow from the resources above. The app ignores DEMAND_LAKE_DIR and
// DEMAND_STATE_DIR when the URLs are set; they point at the writable /tmp just in case.
var pipelineResourceSettings = {
  DEMAND_LAKE_URL: '${lake.outputs.dfsEndpoint}${lake.outputs.filesystemName}'
  DEMAND_LAKE_DIR: '/tmp/demand/lake'
  DEMAND_TABLES_URL: endsWith(tableEndpoint, '/') ? substring(tableEndpoint, 0, length(tableEndpoint) - 1) : tableEndpoint
  DEMAND_STATE_DIR: '/tmp/demand/state'
  DEMAND_ORDERS_API_URL: ordersApiUrl
  DEMAND_ORDERS_AUTH_HEADER: ordersAuthHeaderSetting
  DEMAND_ORDERS_AUTH_SCOPE: ordersAuthScope
  DEMAND_TRACKER: tracker
  MLFLOW_TRACKING_URI: empty(mlflowTrackingUri) ? 'https://${databricks.outputs.workspaceUrl}' : mlflowTrackingUri
  MLFLOW_TRACKING_TOKEN: mlflowTrackingTokenSetting
  DEMAND_PUBLISHER: publisher
  DEMAND_ADX_CLUSTER_URL: adx.outputs.clusterUri
  DEMAND_ADX_INGEST_URL: adx.outputs.dataIngestionUri
  DEMAND_ADX_DATABASE: adx.outputs.databaseName
  DEMAND_DASHBOARD_PATH: '/tmp/demand/dashboard.html'
  DEMAND_PIPELINE_SCHEDULE: pipelineSchedule
  DEMAND_PIPELINE_TIMER_ENABLED: pipelineTimerEnabled ? 'true' : 'false'
  DEMAND_DRIFT_SCHEDULE: driftSchedule
  DEMAND_CODE_VERSION: codeVersion
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    location: location
    planName: names.plan
    functionAppName: names.functionApp
    runtimeStorageAccountName: runtimeStorage.outputs.accountName
    deploymentContainerUrl: runtimeStorage.outputs.deploymentContainerUrl
    appInsightsName: monitoring.outputs.appInsightsName
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    appSettings: union(pipelineTuningDefaults, instanceWorkerSettings, pipelineSettingOverrides, pipelineResourceSettings)
    durableSettings: durableSettings
    tags: tags
  }
}

module adxAccess 'modules/adxAccess.bicep' = {
  name: 'adxAccess'
  params: {
    clusterName: adx.outputs.clusterName
    databaseName: adx.outputs.databaseName
    functionPrincipalId: functionApp.outputs.principalId
  }
}

module dataFactory 'modules/dataFactory.bicep' = {
  name: 'dataFactory'
  params: {
    location: location
    factoryName: names.dataFactory
    functionBaseUrl: 'https://${functionApp.outputs.defaultHostName}'
    keyVaultUri: keyVault.outputs.vaultUri
    functionKeySecretName: functionKeySecretName
    lakeDfsEndpoint: lake.outputs.dfsEndpoint
    lakeFilesystem: lake.outputs.filesystemName
    tags: tags
  }
}

module roles 'modules/roleAssignments.bicep' = {
  name: 'roleAssignments'
  params: {
    lakeAccountName: lake.outputs.accountName
    lakeFilesystemName: lake.outputs.filesystemName
    runtimeAccountName: runtimeStorage.outputs.accountName
    keyVaultName: keyVault.outputs.vaultName
    appInsightsName: monitoring.outputs.appInsightsName
    functionPrincipalId: functionApp.outputs.principalId
    dataFactoryPrincipalId: dataFactory.outputs.principalId
    databricksPrincipalId: databricks.outputs.accessConnectorPrincipalId
    durableTaskSchedulerName: useDurableTaskScheduler ? durableTaskScheduler.outputs.schedulerName : ''
  }
}

// listKeys needs a running host, and the host needs its runtime storage roles to start.
module functionKey 'modules/functionKeySecret.bicep' = if (storeFunctionKey) {
  name: 'functionKeySecret'
  dependsOn: [roles]
  params: {
    functionAppName: functionApp.outputs.functionAppName
    keyVaultName: keyVault.outputs.vaultName
    secretName: functionKeySecretName
  }
}

// Names and endpoints only: no keys, tokens or connection strings.
output functionAppName string = functionApp.outputs.functionAppName
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'
output lakeAccountName string = lake.outputs.accountName
output lakeUrl string = '${lake.outputs.dfsEndpoint}${lake.outputs.filesystemName}'
output runtimeStorageAccountName string = runtimeStorage.outputs.accountName
output keyVaultName string = keyVault.outputs.vaultName
output adxClusterUri string = adx.outputs.clusterUri
output adxDatabaseName string = adx.outputs.databaseName
output dataFactoryName string = dataFactory.outputs.factoryName
output databricksWorkspaceUrl string = 'https://${databricks.outputs.workspaceUrl}'
output databricksAccessConnectorId string = databricks.outputs.accessConnectorId
output functionKeySecretName string = functionKeySecretName
output durableBackend string = durableBackend
output durableTaskSchedulerDashboardUrl string = useDurableTaskScheduler ? durableTaskScheduler.outputs.dashboardUrl : ''
