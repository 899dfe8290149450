import { activityImplementations } from '../lib/pipeline/activities';
import type { PipelineServices } from '../lib/pipeline/contracts';
import { orchestrators } from '../orchestrators';
import { LocalOrchestrationHost, type LocalHostOptions } from './localHost';

/**
 * The local stand-in for the Functions host: the same orchestrators and activities that
 * src/functions registers in Azure, bound to locally built services.
 */
export function createLocalHost(
  services: PipelineServices,
  options: LocalHostOptions & { onActivity?: (name: string, phase: 'started' | 'completed' | 'failed', result?: unknown) => void } = {},
): LocalOrchestrationHost {
  const { onActivity, ...hostOptions } = options;
  const host = new LocalOrchestrationHost({ log: services.log, ...hostOptions });
  for (const [name, handler] of Object.entries(orchestrators)) host.registerOrchestrator(name, handler);
  for (const [name, implementation] of Object.entries(activityImplementations)) {
    host.registerActivity(name, async (input) => {
      onActivity?.(name, 'started');
      try {
        const result = await implementation(input, services);
        onActivity?.(name, 'completed', result);
        return result;
      } catch (err) {
        onActivity?.(name, 'failed');
        throw err;
      }
    });
  }
  return host;
}
