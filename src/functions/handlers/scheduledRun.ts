import { orchestratorNames } from '../../contracts/names';
import type { DemandPipelineInput } from '../../orchestrators/input';
import type { PipelineClient } from '../pipelineClient';

/**
 * Starts the daily pipeline on a schedule. The instance id is derived from the scheduled time, so a
 * timer that fires twice (scale-out, restart) does not start the run twice.
 */
export async function startScheduledRun(
  client: Pick<PipelineClient, 'startNew' | 'getStatus'>,
  scheduledAt: Date,
  input: DemandPipelineInput,
): Promise<{ instanceId: string; started: boolean }> {
  return startOnce(
    client,
    orchestratorNames.demandPipeline,
    `scheduled-${scheduledAt.toISOString().slice(0, 16).replace(/[:]/g, '')}`,
    input,
  );
}

/** Starts `orchestrator` as `instanceId` unless that instance already exists. */
export async function startOnce(
  client: Pick<PipelineClient, 'startNew' | 'getStatus'>,
  orchestrator: string,
  instanceId: string,
  input: unknown,
): Promise<{ instanceId: string; started: boolean }> {
  if (await client.getStatus(instanceId)) return { instanceId, started: false };
  await client.startNew(orchestrator, { instanceId, input });
  return { instanceId, started: true };
}
