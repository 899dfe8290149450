import * as df from 'durable-functions';
import { errorText } from '../lib/errors';
import { activityImplementations } from '../lib/pipeline/activities';
import { getServices } from './services';

// Thin registrations: each activity gets the process's adapters, logging through its invocation.
for (const [name, implementation] of Object.entries(activityImplementations)) {
  df.app.activity(name, {
    handler: async (input: unknown, context) => {
      try {
        const services = await getServices();
        return await implementation(input, { ...services, log: (message: string) => context.log(message) });
      } catch (err) {
        // Full detail goes to the log; Durable records a short message (large exception payloads
        // bloat the history and can stall the orchestration).
        context.error(err);
        throw new Error(errorText(err));
      }
    },
  });
}
