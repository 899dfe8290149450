import { orchestratorNames } from '../../orchestrators/names';
import type { DemandPipelineInput } from '../../orchestrators/input';
import type { PipelineClient } from '../pipelineClient';

/**
 * Starts the daily pipeline on a schedule. The instance id is derived from the scheduled time, so a
 * timer that fires twice (scale-out, restart) does not start the run twice.
 */
export async function startScheduledRun(client: Pick<PipelineClient, 'startNew' | 'getStatus'>, scheduledAt: Date, input: DemandPipelineInput): Promise<{ instanceId: string; started: boolean }> {
  const instanceId = `scheduled-${scheduledAt.toISOString().slice(0, 16).replace(/[:]/g, '')}`;
  if (await client.getStatus(instanceId)) return { instanceId, started: false };
  await client.startNew(orchestratorNames.demandPipeline, { instanceId, input });
  return { instanceId, started: true };
}

