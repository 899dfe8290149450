/**
 * The check that an append-only month (affectedMonths.appendOnlyMonths) holds no row yet on a day
 * it would append for a SKU: the stored catalogue says where each SKU's rows end, and this reads
 * what daily_demand itself holds (sku and date only, files skipped by their date stats), so a table
 * whose rows run past the catalogue (e.g. an older build's) gets its month rewritten, never a row twice.
 */
import type { DeltaTable } from '../delta/deltaTable';
import type { TableState } from '../delta/log';
import type { FileStatsBounds, DeltaValue } from '../delta/types';
import type { AppendOnlyMonths } from './affectedMonths';
import { keptRows, type ColumnCursor } from './columnRows';
import { monthOfDay, type DayRange } from './dailyDemand';
import { FingerprintSet } from './fingerprintSet';
import { lineKind } from './lineBatch';
import { readSpilledBatches } from './monthSpill';
import { duplicateKey } from './orderLineCleanser';
import { storedLineTables, type PriorMonthSource } from './priorMonth';
import { lineFromRow } from './silverTables';
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
  // By columns: the stored month is scanned for few (usually no) matches; no object per stored row.
  for await (const batch of table.readColumns({
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
    const skus = batch.columns.sku as DeltaValue[];
    const dates = batch.columns[dateColumn] as DeltaValue[];
    for (let i = 0; i < batch.length; i += 1) {
      const sku = String(skus[i]);
      const from = candidates.appendFrom.get(sku);
      if (from === undefined) continue;
      const date = String(dates[i]);
      if (dayNumber(date) >= from) yield { sku, date };
    }
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
  return { ...candidates, months };
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

/** This run's lines of a month that must be re-deliveries of stored lines for it to stay append-only. */
interface Suspects {
  keys: Set<string>;
  firstDay: number;
  lastDay: number;
}

const keyOf = (idHi: number, idLo: number, dupHi: number, dupLo: number): string => `${idHi}:${idLo}:${dupHi}:${dupLo}`;

/**
 * A line of this run on or before its SKU's stored last day (and, with netting, any cancellation)
 * leaves an append-only month so only when it re-delivers a stored line exactly (same id and
 * content, e.g. the ingest overlap): the month's stored lines of those days are read, files skipped
 * by their order_date stats. Any other such line (late, corrected) makes the month rewritten.
 * Arguments as checkRedeliveries (below), which answers the same without the no-candidate shortcut.
 */
export async function confirmRedeliveries(...args: Parameters<typeof checkRedeliveries>): Promise<AppendOnlyMonths> {
  const candidates = args[2];
  // No candidate month (e.g. a first build): nothing can stay append-only, whatever the spills
  // hold, so they are not decoded here (on the main thread, every month's: the stage's peak).
  // The answer is the one checkRedeliveries would give (test/silver/appendOnlyFirstBuild.test.ts).
  if (candidates.months.size === 0) return { months: new Set(), appendFrom: candidates.appendFrom, redeliveredDays: new Map() };
  return checkRedeliveries(...args);
}

/** confirmRedeliveries without its shortcut: every checked month's spilled lines are decoded. */
export async function checkRedeliveries(
  source: Pick<PriorMonthSource, 'tables' | 'startState' | 'runId' | 'abortSignal'>,
  spillDir: string,
  candidates: AppendOnlyMonths,
  prior: ReadonlyMap<string, DayRange>,
  netting: boolean,
  scannedMonths: Iterable<string> = [],
): Promise<AppendOnlyMonths> {
  const months = new Set(candidates.months);
  const redeliveredDays = new Map<string, DayRange>();
  // With netting, a cancellation in a month that is no candidate (e.g. past every SKU's last sale,
  // so in no affected month) may still net a line of a candidate month: it must be a re-delivery too.
  const checked = new Set([...candidates.months, ...(netting ? scannedMonths : [])]);
  for (const month of checked) {
    const suspects = suspectsOf(spillDir, month, prior, netting);
    if (suspects.keys.size === 0) continue;
    const stored = await storedKeys(source, month, suspects);
    const redelivered = [...suspects.keys].every((key) => stored.has(key));
    if (!candidates.months.has(month)) {
      if (!redelivered) return { months: new Set(), appendFrom: candidates.appendFrom, redeliveredDays: new Map() };
    } else if (redelivered) redeliveredDays.set(month, { first: suspects.firstDay, last: suspects.lastDay });
    else months.delete(month);
  }
  return { months, appendFrom: candidates.appendFrom, redeliveredDays };
}

function suspectsOf(spillDir: string, month: string, prior: ReadonlyMap<string, DayRange>, netting: boolean): Suspects {
  const suspects: Suspects = { keys: new Set(), firstDay: Infinity, lastDay: -Infinity };
  for (const batch of readSpilledBatches(spillDir, month)) {
    for (let i = 0; i < batch.length; i += 1) {
      const kind = batch.kind[i];
      if (kind === lineKind.quarantine || (kind === lineKind.cancellation && !netting)) continue;
      const day = dayNumber((batch.orderTs[i] as string).slice(0, 10));
      const stored = prior.get(batch.sku[i] as string);
      if (kind === lineKind.demand && !(stored && day <= stored.last)) continue;
      suspects.keys.add(keyOf(batch.idHi[i] as number, batch.idLo[i] as number, batch.dupHi[i] as number, batch.dupLo[i] as number));
      suspects.firstDay = Math.min(suspects.firstDay, day);
      suspects.lastDay = Math.max(suspects.lastDay, day);
    }
  }
  return suspects;
}

/** Keys of the month's stored lines and cancellations (earlier runs') on the suspects' days. */
async function storedKeys(
  source: Pick<PriorMonthSource, 'tables' | 'startState' | 'runId' | 'abortSignal'>,
  month: string,
  suspects: Suspects,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const [table, state] of storedLineTables(source)) {
    if (!state) continue;
    const read = {
      state,
      partitionFilter: (pv: Record<string, string | null>) => pv.order_month === month,
      statsFilter: (stats: FileStatsBounds | undefined) => {
        const min = stats?.minValues.order_date;
        const max = stats?.maxValues.order_date;
        return (
          typeof min !== 'string' || typeof max !== 'string' || (dayNumber(max) >= suspects.firstDay && dayNumber(min) <= suspects.lastDay)
        );
      },
      ...(source.abortSignal ? { abortSignal: source.abortSignal } : {}),
    };
    // A row object only for the earlier runs' lines on the suspects' days.
    const onSuspectDays = (value: ColumnCursor): boolean => {
      if (value('run_id') === source.runId) return false;
      const day = dayNumber(String(value('order_date')));
      return day >= suspects.firstDay && day <= suspects.lastDay;
    };
    for await (const row of keptRows(table, read, onSuspectDays)) {
      const line = lineFromRow(row);
      const id = FingerprintSet.fingerprintOf(line.orderLineId);
      const dup = FingerprintSet.fingerprintOf(duplicateKey(line));
      keys.add(keyOf(id.hi, id.lo, dup.hi, dup.lo));
    }
  }
  return keys;
}
