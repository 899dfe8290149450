import { withWriterLock } from '../lib/lake/writerLock';
import type { PipelineServices } from '../lib/pipelineServices';
import { signalOf } from '../lib/pipelineServices';

/** Runs a stage that moves lake state (ingestion, Silver, publish) under the lake's writer lock. */
export function asOnlyWriter<T>(services: PipelineServices, runId: string, activity: string, work: () => Promise<T>): Promise<T> {
  const settings = (services.settings ?? {}) as Partial<PipelineServices['settings']>;
  // Services without a lake (a publisher-only test double) have nothing to lock.
  if (!services.lake) return work();
  return withWriterLock(
    services.lake,
    {
      runId,
      activity,
      durationInMs: settings.DEMAND_LAKE_LOCK_DURATION_MS ?? 60_000,
      waitInMs: settings.DEMAND_LAKE_LOCK_WAIT_MS ?? 600_000,
      log: services.log,
      ...signalOf(services),
    },
    work,
  );
}
