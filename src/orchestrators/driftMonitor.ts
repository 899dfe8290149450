import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { DriftCheckOutput, PublishInput } from '../lib/pipeline/contracts';
import { runContextOf } from './forecastRun';
import { pipelineOptionsSchema, type ForecastRunInput } from './input';
import { activityNames, orchestratorNames } from './names';
import { activityRetry } from './retry';
import { z } from 'zod';

const inputSchema = z.object({ options: pipelineOptionsSchema });
export type DriftMonitorInput = z.infer<typeof inputSchema>;

export interface DriftMonitorOutput {
  drift: DriftCheckOutput;
  reforecastSkus: number;
  challengerStarted: boolean;
}

/**
 * Drift monitoring between pipeline runs (started by a timer): the same drift check the pipeline
 * runs after each forecast, acting the same way — drifted SKUs are re-forecast through the HTTP
 * re-forecast path, fleet-wide drift starts a challenger run on the latest Silver.
 */
export const driftMonitor: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { options } = inputSchema.parse(context.df.getInput());
  const run = runContextOf(context);
  const retry = activityRetry(options);
  const drift: DriftCheckOutput = yield context.df.callActivityWithRetry(activityNames.checkDrift, retry, { ...run });
  if (drift.events > 0) {
    const driftPublish: PublishInput = { ...run, mode: 'batch', tables: ['drift_events'] };
    yield context.df.callActivityWithRetry(activityNames.publish, retry, driftPublish);
  }
  const skus = drift.driftedSkus.slice(0, options.maxDriftReforecasts);
  if (skus.length > 0) {
    yield context.df.callSubOrchestratorWithRetry(orchestratorNames.reforecastSkus, retry, { skus, reason: 'drift', options }, `${run.runId}:reforecast`);
  }
  if (drift.fleetDrift) {
    const challenger: ForecastRunInput = {
      run: { ...run, runId: `${run.runId}-challenger` },
      trigger: 'challenger',
      dailyDemandVersion: -1,
      tableVersions: {},
      publishMode: 'none',
      options: { ...options, policy: 'wide' },
    };
    yield context.df.callSubOrchestratorWithRetry(orchestratorNames.forecastRun, retry, challenger, `${run.runId}:challenger`);
  }
  const output: DriftMonitorOutput = { drift, reforecastSkus: skus.length, challengerStarted: drift.fleetDrift };
  return output;
};
