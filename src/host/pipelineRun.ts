import type { PipelineServices } from '../lib/pipelineServices';
import { orchestratorNames } from '../contracts/names';
import type { DemandPipelineInput } from '../orchestrators/input';
import { historyStats, type HistoryStats } from './historyStats';
import type { InstanceStatus } from './localHost';
import { createLocalHost } from './localRuntime';
import type { HistoryEvent } from './replayEngine';

export interface LocalPipelineRun {
  status: InstanceStatus;
  /** Every instance the run created (the pipeline and its children) with its history. */
  histories: Array<[instanceId: string, history: readonly HistoryEvent[]]>;
  history: HistoryStats;
}

/**
 * One daily pipeline run through the local host, waiting for it to end, with the histories of
 * every instance it created: what benches and end-to-end tests measure message sizes on.
 */
export async function runLocalPipeline(
  services: PipelineServices,
  options: {
    runId: string;
    input: DemandPipelineInput;
    onActivity?: (name: string, phase: 'started' | 'completed' | 'failed') => void;
    onEvent?: (instanceId: string) => void;
  },
): Promise<LocalPipelineRun> {
  const ids = new Set<string>([options.runId]);
  const host = createLocalHost(services, {
    ...(options.onActivity ? { onActivity: options.onActivity } : {}),
    onEvent: (id) => {
      ids.add(id);
      options.onEvent?.(id);
    },
  });
  host.startNew(orchestratorNames.demandPipeline, { instanceId: options.runId, input: options.input });
  const status = await host.waitForCompletion(options.runId);
  const histories: LocalPipelineRun['histories'] = [...ids].map((id) => [id, host.getHistory(id)]);
  return { status, histories, history: historyStats(histories) };
}
