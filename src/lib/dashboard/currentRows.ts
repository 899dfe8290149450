/**
 * The current rows of a run-partitioned Gold table (forecast_metrics, inventory_actions): per SKU
 * those of the newest run shown that has any, streamed in two passes so nothing per row is held:
 * first each SKU's best run rank (only sku and run_id read), then the rows of that run. Both read
 * by columns (one batch per row group): no decoded row object per row, and only the current rows
 * become objects.
 */
import type { DeltaColumnBatch, DeltaRow, DeltaValue } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import { streamLakeColumns } from '../publish/lakeRows';

type Signal = { abortSignal?: AbortSignal };
export type CurrentTable = 'forecast_metrics' | 'inventory_actions';

const none: readonly DeltaValue[] = [];

/**
 * A row's run rank, remembering the last run looked up: a data file's rows share their run_id (the
 * partition column), so the per-row String() and map lookup run once per run of equal values.
 */
export function runRanker(rank: ReadonlyMap<string, number>): (run: unknown) => number {
  let lastRun: unknown = Symbol('none');
  let lastRank = Number.MAX_SAFE_INTEGER;
  return (run) => {
    if (run !== lastRun) {
      lastRun = run;
      lastRank = rank.get(String(run)) ?? Number.MAX_SAFE_INTEGER;
    }
    return lastRank;
  };
}

/** Each SKU's best (lowest) run rank among `runs`. */
export async function currentRanks(
  lake: LakeStore,
  name: CurrentTable,
  runs: ReadonlySet<string>,
  rank: ReadonlyMap<string, number>,
  signal: Signal,
): Promise<Map<string, number>> {
  const best = new Map<string, number>();
  const rankOf = runRanker(rank);
  for await (const batch of streamLakeColumns(lake, name, {
    partitionFilter: (v) => runs.has(v.run_id ?? ''),
    columns: ['sku', 'run_id'],
    ...signal,
  })) {
    const skus = batch.columns.sku ?? none;
    const runIds = batch.columns.run_id ?? none;
    for (let i = 0; i < batch.length; i++) {
      const sku = String(skus[i] ?? null);
      const r = rankOf(runIds[i] ?? null);
      if (r < (best.get(sku) ?? Number.MAX_SAFE_INTEGER)) best.set(sku, r);
    }
  }
  return best;
}

/** Row i of a batch as the object DeltaTable.read() gives (every column of the batch, in its order). */
function rowAt(batch: DeltaColumnBatch, names: readonly string[], i: number): DeltaRow {
  const row: DeltaRow = {};
  for (const name of names) row[name] = (batch.columns[name] as DeltaValue[])[i] as DeltaValue;
  return row;
}

/** The rows of each SKU's best run, in read order (newestRowsPerSku's rows and order); without `best` (one run) every row. */
export async function* currentRows(
  lake: LakeStore,
  name: CurrentTable,
  runs: ReadonlySet<string>,
  rank: ReadonlyMap<string, number>,
  best: ReadonlyMap<string, number> | undefined,
  signal: Signal,
): AsyncIterable<DeltaRow> {
  const rankOf = runRanker(rank);
  // No projection: an older lake's table may lack a newer column (the in-memory build reads them all too).
  for await (const batch of streamLakeColumns(lake, name, { partitionFilter: (v) => runs.has(v.run_id ?? ''), ...signal })) {
    const names = Object.keys(batch.columns);
    const skus = batch.columns.sku ?? none;
    const runIds = batch.columns.run_id ?? none;
    for (let i = 0; i < batch.length; i++) {
      if (!best || rankOf(runIds[i] ?? null) === best.get(String(skus[i] ?? null))) yield rowAt(batch, names, i);
    }
  }
}
