import { activityImplementations } from '../activities';
import type { PipelineServices } from '../lib/pipelineServices';
import { releaseNativeMemory } from '../lib/memory/nativeMemory';
import { recordStage, type TelemetrySink } from '../lib/telemetry';
import { orchestrators } from '../orchestrators';
import { LocalOrchestrationHost, type LocalHostOptions } from './localHost';

/**
 * The local stand-in for the Functions host: the same orchestrators and activities that
 * src/functions registers in Azure, bound to locally built services.
 */
export function createLocalHost(
  services: PipelineServices,
  options: LocalHostOptions & {
    /** `input` is the activity's input, so a listener can tell calls of one activity apart. */
    onActivity?: (name: string, phase: 'started' | 'completed' | 'failed', result?: unknown, input?: unknown) => void;
    telemetry?: TelemetrySink;
    /** Called when an activity has ended (docs/sizing.md, s29trim: the arena memory a stage freed would stay resident); default `releaseNativeMemory`. */
    releaseMemory?: () => unknown;
  } = {},
): LocalOrchestrationHost {
  const { onActivity, telemetry, releaseMemory = releaseNativeMemory, ...hostOptions } = options;
  const host = new LocalOrchestrationHost({
    log: services.log,
    maxConcurrentActivities: services.settings.DEMAND_LOCAL_MAX_ACTIVITIES,
    ...hostOptions,
  });
  for (const [name, handler] of Object.entries(orchestrators)) host.registerOrchestrator(name, handler);
  for (const [name, implementation] of Object.entries(activityImplementations)) {
    host.registerActivity(name, async (input) => {
      onActivity?.(name, 'started', undefined, input);
      const started = performance.now();
      try {
        const result = await implementation(input, services);
        if (telemetry) recordStage(telemetry, name, input, { output: result }, performance.now() - started);
        onActivity?.(name, 'completed', result, input);
        return result;
      } catch (err) {
        if (telemetry)
          recordStage(telemetry, name, input, { error: err instanceof Error ? err.message : String(err) }, performance.now() - started);
        onActivity?.(name, 'failed', undefined, input);
        throw err;
      } finally {
        releaseMemory();
      }
    });
  }
  return host;
}
