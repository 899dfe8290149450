/** Function names shared by the registrations (src/functions), the orchestrators and the local host. */
export const activityNames = {
  ingestOrders: 'ingestOrders',
  ingestInventory: 'ingestInventory',
  buildSilver: 'buildSilver',
  planForecast: 'planForecast',
  forecastBatch: 'forecastBatch',
  finalizeForecast: 'finalizeForecast',
  planInventory: 'planInventory',
  publish: 'publish',
  checkDrift: 'checkDrift',
  notifyCallback: 'notifyCallback',
} as const;

export const orchestratorNames = {
  demandPipeline: 'demandPipeline',
  forecastRun: 'forecastRun',
  forecastFanOut: 'forecastFanOut',
  reforecastSkus: 'reforecastSkus',
  driftMonitor: 'driftMonitor',
  challengerRun: 'challengerRun',
} as const;

export type ActivityName = (typeof activityNames)[keyof typeof activityNames];
export type OrchestratorName = (typeof orchestratorNames)[keyof typeof orchestratorNames];
