import { errorText } from '../lib/errors';
import { runRecordFromStatus, type RunJournal } from '../lib/runs';
import type { LocalOrchestrationHost } from './localHost';

export interface JournaledHost {
  /** Resolves when every journal write so far has finished (await before the process ends). */
  settled(): Promise<void>;
}

/**
 * The local host's instance store, as Durable's is in Azure: each top-level orchestration is
 * journaled when it starts and again when it ends, so `demand runs` can list past runs. A journal
 * write that fails is logged and never fails the run.
 */
export function journalRuns(
  host: LocalOrchestrationHost,
  journal: RunJournal,
  log: (message: string) => void = () => undefined,
): JournaledHost {
  const pending = new Set<Promise<void>>();
  const write = (instanceId: string): Promise<void> => {
    const status = host.getStatus(instanceId);
    if (!status) return Promise.resolve();
    return journal
      .record(runRecordFromStatus(status))
      .catch((err: unknown) => log(`run journal: ${instanceId} not recorded: ${errorText(err)}`));
  };
  const keep = (work: Promise<void>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  host.onInstanceStarted((instanceId, parentInstanceId) => {
    if (parentInstanceId !== undefined) return;
    // The start record is written first, the end record after it: the newer status always wins.
    keep(
      write(instanceId)
        .then(() => host.waitForCompletion(instanceId))
        .then(() => write(instanceId)),
    );
  });
  return {
    settled: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
