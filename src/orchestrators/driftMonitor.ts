import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { DriftCheckInput, DriftCheckOutput, PublishInput } from '../contracts/messages';
import { callActivity, callSubOrchestrator } from './calls';
import type { ChallengerRunInput } from './challengerRun';
import { runContextOf } from './forecastRun';
import { pipelineOptionsSchema, parseOrchestrationInput } from './input';
import { activityNames, orchestratorNames } from '../contracts/names';
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
 * re-forecast path. Fleet-wide drift starts a challenger run (its own orchestration, challengerRun)
 * when one is due: at most one per production run, however many checks see the drift.
 */
export const driftMonitor: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { options } = parseOrchestrationInput(inputSchema, context.df.getInput());
  const run = runContextOf(context);
  const retry = activityRetry(options);
  const driftInput: DriftCheckInput = { ...run, horizonDays: options.horizonDays, season: options.season };
  const drift = yield* callActivity<DriftCheckOutput>(context, activityNames.checkDrift, retry, driftInput);
  if (drift.events > 0) {
    const driftPublish: PublishInput = { ...run, mode: 'batch', tables: ['drift_events'] };
    yield* callActivity(context, activityNames.publish, retry, driftPublish);
  }
  const skus = drift.driftedSkus.slice(0, options.maxDriftReforecasts);
  if (skus.length > 0) {
    yield* callSubOrchestrator(
      context,
      orchestratorNames.reforecastSkus,
      retry,
      { skus, reason: 'drift', options },
      `${run.runId}:reforecast`,
    );
  }
  // Older drift checks did not report challengerDue: fleet drift alone then decides.
  const startChallenger = drift.challengerDue ?? drift.fleetDrift;
  if (startChallenger) {
    const challenger: ChallengerRunInput = { options, reason: 'fleet_drift' };
    yield* callSubOrchestrator(context, orchestratorNames.challengerRun, retry, challenger, `${run.runId}-challenger`);
  }
  const output: DriftMonitorOutput = { drift, reforecastSkus: skus.length, challengerStarted: startChallenger };
  return output;
};
