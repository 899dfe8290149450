import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { loadSettings } from '../lib/config/settings';
import { pipelineOptionsFromSettings } from '../orchestrators/input';
import { startScheduledRun } from './handlers/scheduledRun';

const settings = loadSettings(process.env);
if (settings.DEMAND_PIPELINE_TIMER_ENABLED) {
  app.timer('scheduledPipeline', {
    // Read once at start-up: %NAME% binding expressions resolve app settings in the host.
    schedule: '%DEMAND_PIPELINE_SCHEDULE%',
    extraInputs: [df.input.durableClient()],
    handler: async (timer: Timer, context: InvocationContext) => {
      const client = df.getClient(context);
      // The occurrence, to the minute: a duplicate firing of the same occurrence maps to the same id.
      const scheduledAt = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      if (timer.isPastDue) context.log('timer is past due; starting the missed run now');
      const result = await startScheduledRun(
        {
          startNew: (name, options) => client.startNew(name, options),
          getStatus: async (id) => {
            try {
              const s = await client.getStatus(id);
              return s ? { instanceId: s.instanceId, name: s.name, runtimeStatus: String(s.runtimeStatus), customStatus: s.customStatus, output: s.output, createdTime: '', lastUpdatedTime: '' } : undefined;
            } catch {
              return undefined;
            }
          },
        },
        scheduledAt,
        { trigger: 'scheduled', options: pipelineOptionsFromSettings(settings) },
      );
      context.log(result.started ? `started ${result.instanceId}` : `${result.instanceId} already exists; not started again`);
    },
  });
}
