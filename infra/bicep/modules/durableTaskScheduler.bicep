// Durable Task Scheduler: the managed Durable Functions backend (main.bicep durableBackend =
// 'DurableTaskScheduler'). A scheduler with one task hub; the Function App reaches it with its
// managed identity (Durable Task Data Contributor, roleAssignments.bicep) through the connection
// string setting DURABLE_TASK_SCHEDULER_CONNECTION_STRING (main.bicep), never with a key.

@description('Azure region (az provider show --namespace Microsoft.DurableTask lists where schedulers exist).')
param location string

@description('Scheduler name: 3-64 letters, digits and hyphens.')
@minLength(3)
@maxLength(64)
param schedulerName string

@description('Task hub name; the Function App uses it as its Durable hub name.')
@minLength(3)
@maxLength(64)
param taskHubName string

@description('Consumption: billed per action, no capacity to size. Dedicated: reserved capacity units for sustained throughput.')
@allowed(['Consumption', 'Dedicated'])
param skuName string = 'Consumption'

@description('Dedicated only: capacity units.')
@minValue(1)
param capacity int = 1

@description('Client addresses allowed to reach the scheduler. An empty list denies every caller; Flex Consumption has no fixed outbound addresses, so the default allows all and access is by Entra ID role.')
param ipAllowlist array = ['0.0.0.0/0']

@description('Tags applied to every resource.')
param tags object = {}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: schedulerName
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: skuName == 'Dedicated' ? { name: 'Dedicated', capacity: capacity } : { name: 'Consumption' }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

output schedulerName string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
output dashboardUrl string = taskHub.properties.dashboardUrl
