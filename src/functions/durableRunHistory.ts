import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { newestFirst, runRecordFromStatus, type RunHistory, type RunRecord } from '../lib/runs';
import { orchestratorNames } from '../contracts/names';

/** Orchestrations an operator starts (the others are their sub-orchestrations). */
const topLevel = new Set<string>([orchestratorNames.demandPipeline, orchestratorNames.reforecastSkus, orchestratorNames.driftMonitor]);
/** How far back the instance store is queried (instances are purged after that in most apps). */
const lookbackInMs = 30 * 86_400_000;

function toRecord(s: df.DurableOrchestrationStatus): RunRecord {
  return runRecordFromStatus({
    instanceId: s.instanceId,
    name: s.name,
    runtimeStatus: String(s.runtimeStatus),
    input: s.input,
    output: s.output,
    customStatus: s.customStatus,
    createdTime: new Date(s.createdTime).toISOString(),
    lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
  });
}

/** In Azure the Durable instance store is the run history: its statuses carry each run's summary. */
export function durableRunHistory(context: InvocationContext): RunHistory {
  const client = df.getClient(context);
  return {
    list: async (options = {}) => {
      const statuses = await client.getStatusBy({ createdTimeFrom: new Date(Date.now() - lookbackInMs) });
      return newestFirst(statuses.filter((s) => topLevel.has(s.name)).map(toRecord)).slice(0, options.limit ?? 20);
    },
    get: async (runId) => {
      try {
        const s = await client.getStatus(runId, { showInput: true });
        return s ? toRecord(s) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
