import * as df from 'durable-functions';
import { activityImplementations } from '../lib/pipeline/activities';
import { getServices } from './services';

// Thin registrations: each activity gets the process's adapters, logging through its invocation.
for (const [name, implementation] of Object.entries(activityImplementations)) {
  df.app.activity(name, {
    handler: async (input: unknown, context) => {
      const services = await getServices();
      return implementation(input, { ...services, log: (message: string) => context.log(message) });
    },
  });
}
