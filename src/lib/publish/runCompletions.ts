/**
 * The run-completion record: `gold/_completed_runs/<runId>.json`, written (put-if-absent) by the
 * publish activity once every Gold table of the run is written (forecasts, metrics, model params,
 * inventory actions), just before the publisher makes the run visible. A run without one never
 * completed (killed, failed): its Gold rows may exist but the dashboard, the current view and
 * `LatestRunId` must not show them. Re-forecast runs (`single` publish) get one too.
 */
import type { LakeStore } from '../lake/lakeStore';
import { ledgerFolder } from '../silver/applyLedger';

export const completedRunsFolder = 'gold/_completed_runs';

export interface RunCompletion {
  runId: string;
  completedAt: string;
  /** batch: a whole run; single: a re-forecast of some SKUs. */
  mode: 'batch' | 'single';
}

type Ops = { abortSignal?: AbortSignal };

export async function recordRunCompleted(lake: LakeStore, completion: RunCompletion, ops: Ops = {}): Promise<void> {
  // Put-if-absent: a retried publish keeps the first completion time.
  await lake.putIfAbsent(`${completedRunsFolder}/${completion.runId}.json`, Buffer.from(JSON.stringify(completion, null, 2)), ops);
}

async function hasAny(lake: LakeStore, prefix: string, ops: Ops): Promise<boolean> {
  for await (const _ of lake.list(prefix, { recursive: false, ...ops })) return true;
  return false;
}

/**
 * The ids of completed runs, or undefined for a lake written before completion records existed
 * (no record and no Silver apply ledger): then every run counts, as before.
 */
export async function completedRuns(lake: LakeStore, ops: Ops = {}): Promise<Set<string> | undefined> {
  const out = new Set<string>();
  for await (const entry of lake.list(completedRunsFolder, { recursive: false, ...ops })) {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    if (name.endsWith('.json')) out.add(name.slice(0, -'.json'.length));
  }
  if (out.size === 0 && !(await hasAny(lake, ledgerFolder, ops))) return undefined;
  return out;
}
