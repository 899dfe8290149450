import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { loadSettings } from '../lib/config/settings';
import { orchestratorNames } from '../contracts/names';
import { pipelineOptionsFromSettings } from '../orchestrators/input';
import type { DriftMonitorInput } from '../orchestrators/driftMonitor';
import { startOnce } from './handlers/scheduledRun';
import { durableClientFor } from './pipelineClient';

// Between pipeline runs: check drift and act on it. "off" (read raw, see scheduledPipeline) disables it.
const schedule = (process.env['DEMAND_DRIFT_SCHEDULE'] ?? '').trim();
if (schedule.toLowerCase() !== 'off') {
  app.timer('scheduledDriftCheck', {
    schedule: schedule === '' ? '0 30 */6 * * *' : '%DEMAND_DRIFT_SCHEDULE%',
    extraInputs: [df.input.durableClient()],
    handler: async (_timer: Timer, context: InvocationContext) => {
      const scheduledAt = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      const input: DriftMonitorInput = { options: pipelineOptionsFromSettings(loadSettings(process.env)) };
      const result = await startOnce(
        durableClientFor(context),
        orchestratorNames.driftMonitor,
        `drift-${scheduledAt.toISOString().slice(0, 16).replace(/:/g, '')}`,
        input,
      );
      context.log(result.started ? `started ${result.instanceId}` : `${result.instanceId} already exists; not started again`);
    },
  });
}
