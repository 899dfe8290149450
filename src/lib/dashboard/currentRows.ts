/**
 * The current rows of a run-partitioned Gold table (forecast_metrics, inventory_actions): per SKU
 * those of the newest run shown that has any, streamed in two passes so nothing per row is held:
 * first each SKU's best run rank (only sku and run_id read), then the rows of that run.
 */
import type { DeltaRow } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import { streamLakeRows } from '../publish/lakeRows';

type Signal = { abortSignal?: AbortSignal };
export type CurrentTable = 'forecast_metrics' | 'inventory_actions';

const rankOf = (rank: ReadonlyMap<string, number>, run: unknown) => rank.get(String(run)) ?? Number.MAX_SAFE_INTEGER;

/** Each SKU's best (lowest) run rank among `runs`. */
export async function currentRanks(
  lake: LakeStore,
  name: CurrentTable,
  runs: ReadonlySet<string>,
  rank: ReadonlyMap<string, number>,
  signal: Signal,
): Promise<Map<string, number>> {
  const best = new Map<string, number>();
  for await (const row of streamLakeRows(lake, name, {
    partitionFilter: (v) => runs.has(v.run_id ?? ''),
    columns: ['sku', 'run_id'],
    ...signal,
  })) {
    const sku = String(row.sku);
    const r = rankOf(rank, row.run_id);
    if (r < (best.get(sku) ?? Number.MAX_SAFE_INTEGER)) best.set(sku, r);
  }
  return best;
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
  // No projection: an older lake's table may lack a newer column (the in-memory build reads them all too).
  for await (const row of streamLakeRows(lake, name, { partitionFilter: (v) => runs.has(v.run_id ?? ''), ...signal })) {
    if (!best || rankOf(rank, row.run_id) === best.get(String(row.sku))) yield row;
  }
}
