/**
 * Snapshots of a workspace's Silver tables and of the Gold rows of its completed runs, without the
 * columns that name a run or a run-scoped Bronze location, and counted differences between two.
 * Shared by the crash test and the by-hand random-kill script (scripts/crash-kills.js).
 */
import * as path from 'node:path';
import { DeltaTableNotFoundError, openLakeTable } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables, type LakeTableName } from '../../src/lib/lakeTables';
import { completedRuns } from '../../src/lib/publish/runCompletions';

export const silverTables: LakeTableName[] = [
  'order_lines',
  'cancellations',
  'quarantine',
  'inventory_snapshots',
  'products',
  'product_descriptions',
  'daily_demand',
];
export const goldTables: LakeTableName[] = ['forecasts', 'forecast_metrics', 'model_params', 'inventory_actions', 'drift_events'];
/** Columns that name the run or where in Bronze a record sat (a run-scoped path), or stamp a time. */
const runColumns = new Set(['run_id', 'source_path', 'record_index', 'detected_at']);

async function rowsOf(lake: FileSystemLake, name: LakeTableName, runs?: Set<string>): Promise<string[]> {
  try {
    const rows = await openLakeTable(lake, lakeTables[name]).readAll();
    return rows
      .filter((r) => runs === undefined || runs.has(String(r.run_id)))
      .map((r) =>
        JSON.stringify(
          Object.fromEntries(
            Object.entries(r)
              .filter(([k]) => !runColumns.has(k))
              .sort(([a], [b]) => (a < b ? -1 : 1)),
          ),
        ),
      )
      .sort();
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return [];
    throw err;
  }
}

/** Silver tables whole; Gold tables as the rows of completed runs (what anyone is shown). */
export async function workspaceTables(
  workspace: string,
  options: { onlyRuns?: string[]; exceptRuns?: string[] } = {},
): Promise<Record<string, string[]>> {
  const lake = FileSystemLake.fromDirectory(path.join(workspace, 'lake'));
  const completed = options.onlyRuns ? new Set(options.onlyRuns) : ((await completedRuns(lake)) ?? new Set<string>());
  for (const run of options.exceptRuns ?? []) completed.delete(run);
  const out: Record<string, string[]> = {};
  for (const t of silverTables) out[t] = await rowsOf(lake, t);
  for (const t of goldTables) out[`gold.${t}`] = await rowsOf(lake, t, completed);
  return out;
}

/**
 * Whether a killed run got as far as its completion record: then it is a completed run, and its
 * re-run another one, so the comparison leaves the killed run's Gold out (it is complete either way).
 */
export async function runCompleted(workspace: string, runId: string): Promise<boolean> {
  return (await completedRuns(FileSystemLake.fromDirectory(path.join(workspace, 'lake'))))?.has(runId) ?? false;
}

/** Per table: rows of the reference missing here (lost) and rows here beyond the reference (extra: duplicated or wrong). */
export function tableDiff(
  expected: Record<string, string[]>,
  actual: Record<string, string[]>,
): Record<string, { lost: number; extra: number }> {
  const out: Record<string, { lost: number; extra: number }> = {};
  for (const table of Object.keys(expected)) {
    const want = new Map<string, number>();
    for (const r of expected[table] ?? []) want.set(r, (want.get(r) ?? 0) + 1);
    let extra = 0;
    for (const r of actual[table] ?? []) {
      const n = want.get(r) ?? 0;
      if (n > 0) want.set(r, n - 1);
      else extra++;
    }
    const lost = [...want.values()].reduce((a, b) => a + b, 0);
    if (lost || extra) out[table] = { lost, extra };
  }
  return out;
}
