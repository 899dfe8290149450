/**
 * The check that an append-only month (affectedMonths.appendOnlyMonths) holds no row yet on a day
 * it would append for a SKU: the stored catalogue says where each SKU's rows end, and this reads
 * what daily_demand itself holds (sku and date only, files skipped by their date stats), so a table
 * whose rows run past the catalogue (e.g. an older build's) gets its month rewritten, never a row twice.
 */
import type { DeltaTable } from '../delta/deltaTable';
import type { TableState } from '../delta/log';
import type { AppendOnlyMonths } from './affectedMonths';
import { monthOfDay } from './dailyDemand';
import { dayNumber } from './orderRecord';

function earliestAppended(candidates: AppendOnlyMonths): number {
  let earliest = Infinity;
  for (const day of candidates.appendFrom.values()) earliest = Math.min(earliest, day);
  return earliest;
}

/** Rows of `table` (sku, `dateColumn`) on or after some SKU's first appended day, files skipped by date stats. */
async function* rowsFromAppendedDays(
  table: DeltaTable,
  state: TableState,
  candidates: AppendOnlyMonths,
  dateColumn: string,
  partitionFilter: (pv: Record<string, string | null>) => boolean,
  signal: { abortSignal?: AbortSignal },
): AsyncIterable<{ sku: string; date: string }> {
  const earliest = earliestAppended(candidates);
  for await (const row of table.read({
    state,
    columns: ['sku', dateColumn],
    partitionFilter,
    // A file whose last date lies before every SKU's first appended day holds no such row.
    statsFilter: (stats) => {
      const max = stats?.maxValues[dateColumn];
      return typeof max !== 'string' || dayNumber(max) >= earliest;
    },
    ...signal,
  })) {
    const sku = String(row.sku);
    const date = String(row[dateColumn]);
    const from = candidates.appendFrom.get(sku);
    if (from !== undefined && dayNumber(date) >= from) yield { sku, date };
  }
}

/** The candidates less the months whose daily_demand already holds a row on a day they would append. */
export async function confirmAppendOnly(
  dailyDemand: DeltaTable,
  candidates: AppendOnlyMonths,
  signal: { abortSignal?: AbortSignal },
): Promise<AppendOnlyMonths> {
  if (candidates.months.size === 0) return candidates;
  const state = await dailyDemand.stateIfExists(signal);
  if (!state) return candidates;
  const months = new Set(candidates.months);
  const inMonths = (pv: Record<string, string | null>) => months.has(pv.month ?? '');
  for await (const row of rowsFromAppendedDays(dailyDemand, state, candidates, 'date', inMonths, signal))
    months.delete(row.date.slice(0, 7));
  return { months, appendFrom: candidates.appendFrom };
}

/**
 * With netting: true when a stored cancellation of a SKU falls on or after its first appended day,
 * i.e. it may now prefer one of this run's lines (the latest earlier one) and free the line it netted.
 */
export async function storedCancellationReachesNewLines(
  cancellations: DeltaTable,
  state: TableState | undefined,
  candidates: AppendOnlyMonths,
  signal: { abortSignal?: AbortSignal },
): Promise<boolean> {
  if (!state || candidates.months.size === 0 || candidates.appendFrom.size === 0) return false;
  const fromMonth = monthOfDay(earliestAppended(candidates));
  const later = (pv: Record<string, string | null>) => (pv.order_month ?? '') >= fromMonth;
  const rows = rowsFromAppendedDays(cancellations, state, candidates, 'order_date', later, signal)[Symbol.asyncIterator]();
  const first = await rows.next();
  await rows.return?.();
  return first.done !== true;
}
