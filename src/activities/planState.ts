/**
 * What a whole-fleet plan leaves for the next one (planForecast): beside its batches, which hold
 * every planned SKU's series, a small per-SKU summary, and a pointer to the latest such plan. The
 * next plan reads the batches of that plan for the months Silver left as they were, and
 * daily_demand only for the months whose files changed between the two versions.
 */
import type { DeltaTable } from '../lib/delta';
import { LakeNotFoundError } from '../lib/errors';
import { lakePath, type LakeStore } from '../lib/lake/lakeStore';

/** A whole-fleet plan's summary (runs/<runId>/plan/state.json). */
export interface PlanState {
  runId: string;
  dailyDemandVersion: number;
  /** The data's last day (day number since the epoch). */
  endDay: number;
  batchCount: number;
  /** Planned SKUs (the batches' series) → day number of their latest on-hand observation (−1: none). */
  planned: Record<string, number>;
  /** SKUs daily_demand had that the plan left out (inactive) → their first day number. */
  others: Record<string, number>;
}

const latestPlanPath = lakePath('runs', '_plans', 'latest.json');

export function planStatePath(runId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'plan', 'state.json');
}

async function readJson<T>(lake: LakeStore, path: string, signal: { abortSignal?: AbortSignal }): Promise<T | undefined> {
  try {
    return JSON.parse((await lake.read(path, signal)).toString('utf8')) as T;
  } catch (err) {
    if (err instanceof LakeNotFoundError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Writes the plan's summary, then points the next plan at it (after its batches: the state names only what exists). */
export async function writePlanState(lake: LakeStore, state: PlanState, signal: { abortSignal?: AbortSignal }): Promise<void> {
  await lake.put(planStatePath(state.runId), Buffer.from(JSON.stringify(state)), signal);
  await lake.put(latestPlanPath, Buffer.from(JSON.stringify({ runId: state.runId, dailyDemandVersion: state.dailyDemandVersion })), signal);
}

/** The latest whole-fleet plan's summary, when one exists and is readable. */
export async function latestPlanState(lake: LakeStore, signal: { abortSignal?: AbortSignal }): Promise<PlanState | undefined> {
  const pointer = await readJson<{ runId?: unknown }>(lake, latestPlanPath, signal);
  if (typeof pointer?.runId !== 'string') return undefined;
  const state = await readJson<PlanState>(lake, planStatePath(pointer.runId), signal);
  return state && typeof state.dailyDemandVersion === 'number' && state.planned && state.others ? state : undefined;
}

/**
 * The month partitions of daily_demand whose data files differ between two versions (a file added
 * or removed). Undefined when that cannot be told from the log: another partitioning or schema, a
 * file without its month, a version no longer in the log.
 */
export async function touchedMonths(
  table: DeltaTable,
  from: number,
  to: number,
  signal: { abortSignal?: AbortSignal },
): Promise<Set<string> | undefined> {
  let before, after;
  try {
    [before, after] = [await table.state({ version: from, ...signal }), await table.state({ version: to, ...signal })];
  } catch (err) {
    if (signal.abortSignal?.aborted) throw err;
    return undefined;
  }
  const layout = (s: typeof before) => JSON.stringify([s.metadata?.partitionColumns, s.metadata?.schemaString]);
  if (JSON.stringify(before.metadata?.partitionColumns) !== '["month"]' || layout(before) !== layout(after)) return undefined;
  const months = new Set<string>();
  for (const [one, other] of [
    [before.files, after.files],
    [after.files, before.files],
  ] as const) {
    for (const [key, add] of one) {
      if (other.has(key)) continue;
      const month = add.partitionValues?.['month'];
      if (typeof month !== 'string') return undefined;
      months.add(month);
    }
  }
  return months;
}
