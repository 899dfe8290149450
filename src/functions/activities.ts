import * as df from 'durable-functions';
import { errorText } from '../lib/errors';
import { activityImplementations } from '../activities';
import { telemetryFromSettings } from '../composition/telemetry';
import { releaseNativeMemory } from '../lib/memory/nativeMemory';
import { logLineTelemetry, recordStage, type TelemetrySink } from '../lib/telemetry';
import { getServices } from './services';

// Custom events and metrics through the Azure Monitor distro when the App Insights connection string is set.
const processTelemetry = telemetryFromSettings(process.env);

// Thin registrations: each activity gets the process's adapters, logging through its invocation.
for (const [name, implementation] of Object.entries(activityImplementations)) {
  df.app.activity(name, {
    handler: async (input: unknown, context) => {
      // One structured record per stage: customEvents/customMetrics, or else a line in the invocation's log.
      const telemetry: TelemetrySink =
        processTelemetry.target === 'none' ? logLineTelemetry((line) => context.log(line)) : processTelemetry.sink;
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
      } finally {
        // glibc keeps what the activity freed inside its arenas resident; give it back before the next one.
        releaseNativeMemory();
      }
    },
  });
}
