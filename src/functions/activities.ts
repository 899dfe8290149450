import * as df from 'durable-functions';
import { errorText } from '../lib/errors';
import { activityImplementations } from '../activities';
import { logLineTelemetry, recordStage } from '../lib/telemetry';
import { getServices } from './services';

// Thin registrations: each activity gets the process's adapters, logging through its invocation.
for (const [name, implementation] of Object.entries(activityImplementations)) {
  df.app.activity(name, {
    handler: async (input: unknown, context) => {
      // One structured record per stage, through the invocation's log into Application Insights traces.
      const telemetry = logLineTelemetry((line) => context.log(line));
      const started = performance.now();
      try {
        const services = await getServices();
        const output = await implementation(input, { ...services, log: (message: string) => context.log(message) });
        recordStage(telemetry, name, input, { output }, performance.now() - started);
        return output;
      } catch (err) {
        recordStage(telemetry, name, input, { error: errorText(err) }, performance.now() - started);
        // Full detail goes to the log; Durable records a short message (large exception payloads
        // bloat the history and can stall the orchestration).
        context.error(err);
        throw new Error(errorText(err));
      }
    },
  });
}
