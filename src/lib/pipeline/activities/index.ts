import type { PipelineServices } from '../contracts';
import { activityNames, type ActivityName } from '../../../orchestrators/names';
import { buildSilver } from './buildSilver';
import { checkDrift } from './checkDrift';
import { finalizeForecast } from './finalizeForecast';
import { forecastBatch } from './forecastBatch';
import { ingestInventory } from './ingestInventory';
import { ingestOrders } from './ingestOrders';
import { notifyCallback } from './notifyCallback';
import { planForecast } from './planForecast';
import { planInventory } from './planInventory';
import { publish } from './publish';

// Inputs arrive as JSON from the orchestrator; each activity validates what it relies on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActivityImplementation = (input: any, services: PipelineServices) => Promise<unknown>;

/** Every activity by name: registered with df.app in Azure and with the local host here. */
export const activityImplementations: Record<ActivityName, ActivityImplementation> = {
  [activityNames.ingestOrders]: ingestOrders,
  [activityNames.ingestInventory]: ingestInventory,
  [activityNames.buildSilver]: buildSilver,
  [activityNames.planForecast]: planForecast,
  [activityNames.forecastBatch]: forecastBatch,
  [activityNames.finalizeForecast]: finalizeForecast,
  [activityNames.planInventory]: planInventory,
  [activityNames.publish]: publish,
  [activityNames.checkDrift]: checkDrift,
  [activityNames.notifyCallback]: notifyCallback,
};
