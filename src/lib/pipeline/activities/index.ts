import { failureOf } from '../activityFailure';
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

/**
 * An activity as registered: failures that no retry can fix come back as an ActivityFailure
 * result (the orchestrator fails fast on it); others are thrown, named by activity, and retried.
 */
export function classified(name: string, implementation: ActivityImplementation): ActivityImplementation {
  return async (input, services) => {
    try {
      return await implementation(input, services);
    } catch (err) {
      return failureOf(name, err);
    }
  };
}

const implementations: Record<ActivityName, ActivityImplementation> = {
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

/** Every activity by name: registered with df.app in Azure and with the local host here. */
export const activityImplementations = Object.fromEntries(
  Object.entries(implementations).map(([name, implementation]) => [name, classified(name as ActivityName, implementation)]),
) as Record<ActivityName, ActivityImplementation>;
