import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { loadSettings, settingsSchema } from '../lib/config/settings';
import { pipelineOptionsFromSettings } from '../orchestrators/input';
import { startScheduledRun } from './handlers/scheduledRun';
import { durableClientFor } from './pipelineClient';

// Registration reads only the one raw flag: a bad setting elsewhere must not unregister every
// function at start-up (it fails the run that needs it, naming the setting).
const timerEnabled = !['false', '0'].includes((process.env['DEMAND_PIPELINE_TIMER_ENABLED'] ?? 'true').trim().toLowerCase());
// A %NAME% binding expression naming an unset app setting makes the host fail to index the whole
// app; Bicep always sets it, other deployments may not: then the documented default is used.
const configuredSchedule = (process.env['DEMAND_PIPELINE_SCHEDULE'] ?? '').trim();
const defaultSchedule = settingsSchema.shape.DEMAND_PIPELINE_SCHEDULE.parse(undefined);
if (timerEnabled) {
  app.timer('scheduledPipeline', {
    // Read once at start-up: %NAME% binding expressions resolve app settings in the host.
    schedule: configuredSchedule === '' ? defaultSchedule : '%DEMAND_PIPELINE_SCHEDULE%',
    extraInputs: [df.input.durableClient()],
    handler: async (timer: Timer, context: InvocationContext) => {
      // The occurrence, to the minute: a duplicate firing of the same occurrence maps to the same id.
      const scheduledAt = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      if (timer.isPastDue) context.log('timer is past due; starting the missed run now');
      const result = await startScheduledRun(durableClientFor(context), scheduledAt, {
        trigger: 'scheduled',
        options: pipelineOptionsFromSettings(loadSettings(process.env)),
      });
      context.log(result.started ? `started ${result.instanceId}` : `${result.instanceId} already exists; not started again`);
    },
  });
}
