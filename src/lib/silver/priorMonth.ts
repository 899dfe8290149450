/**
 * What earlier runs stored for one order month: its lines (kept for netting and daily demand), its
 * cancellations, and the fingerprints the month pass de-duplicates this run's lines against. Rows
 * of this run id come from an interrupted attempt and are skipped.
 */
import { IncompleteSilverRunError } from '../errors';
import { keptRows, type ColumnCursor } from './columnRows';
import type { DayRange } from './dailyDemand';
import { DemandLines } from './demandLines';
import { FingerprintSet } from './fingerprintSet';
import type { PriorFingerprints } from './monthPass';
import type { CancellationRef } from './netting';
import { duplicateKey } from './orderLineCleanser';
import { inBucket, type SkuBucket } from './skuBucket';
import { dayNumber, type OrderLine } from './orderRecord';
import { lineFromRow, type SilverStartState, type SilverTables } from './silverTables';

export interface PriorMonth {
  /** As columns: a month's stored lines of a bucket as objects were ~400 bytes each on the main thread, for every month prepared ahead. */
  lines: DemandLines;
  cancellations: CancellationRef[];
  fingerprints: PriorFingerprints;
}

export interface PriorMonthSource {
  tables: SilverTables;
  startState: SilverStartState;
  runId: string;
  /** Each SKU's range as products lists it (widened by this run's lines). */
  ranges: ReadonlyMap<string, DayRange>;
  abortSignal?: AbortSignal;
}

/** A growable column of uint32 (a month of fingerprints as JS numbers would be heap numbers: ~4x the bytes). */
class Uint32Column {
  private values = new Uint32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Uint32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length] = value;
    this.length += 1;
  }

  take(): Uint32Array {
    return this.values.slice(0, this.length);
  }
}

/** Line-id and exact-copy fingerprints, as the four column arrays the month task takes. */
class FingerprintColumns {
  private readonly idHi = new Uint32Column();
  private readonly idLo = new Uint32Column();
  private readonly dupHi = new Uint32Column();
  private readonly dupLo = new Uint32Column();
  private readonly otherHi = new Uint32Column();
  private readonly otherLo = new Uint32Column();
  private readonly rejected = [new Uint32Column(), new Uint32Column(), new Uint32Column(), new Uint32Column()] as const;

  /** A stored line of another SKU bucket (or, in an append-only month, of another day): its id only. */
  rememberOther(orderLineId: string): void {
    const id = FingerprintSet.fingerprintOf(orderLineId);
    this.otherHi.push(id.hi);
    this.otherLo.push(id.lo);
  }

  /** A line an earlier run rejected by a rule: its id and content (not an exact-copy key: a rejected line's is never kept). */
  rememberRejected(line: OrderLine): void {
    const id = FingerprintSet.fingerprintOf(line.orderLineId);
    const dup = FingerprintSet.fingerprintOf(duplicateKey(line));
    const [idHi, idLo, dupHi, dupLo] = this.rejected;
    idHi.push(id.hi);
    idLo.push(id.lo);
    dupHi.push(dup.hi);
    dupLo.push(dup.lo);
  }

  remember(line: OrderLine): void {
    const id = FingerprintSet.fingerprintOf(line.orderLineId);
    const dup = FingerprintSet.fingerprintOf(duplicateKey(line));
    this.idHi.push(id.hi);
    this.idLo.push(id.lo);
    this.dupHi.push(dup.hi);
    this.dupLo.push(dup.lo);
  }

  columns(): PriorFingerprints {
    return {
      idHi: this.idHi.take(),
      idLo: this.idLo.take(),
      dupHi: this.dupHi.take(),
      dupLo: this.dupLo.take(),
      ...(this.otherHi.length > 0 ? { otherIdHi: this.otherHi.take(), otherIdLo: this.otherLo.take() } : {}),
      ...(this.rejected[0].length > 0
        ? {
            rejectedIdHi: this.rejected[0].take(),
            rejectedIdLo: this.rejected[1].take(),
            rejectedDupHi: this.rejected[2].take(),
            rejectedDupLo: this.rejected[3].take(),
          }
        : {}),
    };
  }
}

/**
 * Every stored line lies in its SKU's catalogue range, unless the run that stored it stopped
 * before its products commit.
 */
function assertInCatalogueRange(line: OrderLine, storedBy: string, ranges: ReadonlyMap<string, DayRange>): void {
  const range = ranges.get(line.sku);
  const day = dayNumber(line.orderDate);
  if (!range || day < range.first || day > range.last) {
    throw new IncompleteSilverRunError(
      storedBy,
      `order_lines holds its line ${line.orderLineId} (SKU ${line.sku}, ${line.orderDate}) outside what products lists for that SKU`,
    );
  }
}

/** The month's stored data; with a SKU bucket, lines and cancellations of its SKUs only (the others' ids still). */
export async function readPriorMonth(source: PriorMonthSource, month: string, bucket?: SkuBucket): Promise<PriorMonth> {
  const { tables, startState, runId } = source;
  const fingerprints = new FingerprintColumns();
  const lines = new DemandLines();
  const cancellations: CancellationRef[] = [];
  const filter = {
    partitionFilter: (pv: Record<string, string | null>) => pv.order_month === month,
    ...(source.abortSignal ? { abortSignal: source.abortSignal } : {}),
  };
  if (startState.orderLines) {
    for await (const row of tables.orderLines.read({ state: startState.orderLines, ...filter })) {
      if (row.run_id === runId) continue;
      if (!inBucket(String(row.sku), bucket)) {
        fingerprints.rememberOther(String(row.order_line_id));
        continue;
      }
      const line = lineFromRow(row);
      assertInCatalogueRange(line, String(row.run_id), source.ranges);
      fingerprints.remember(line);
      lines.addLine(line, Number(row.revenue));
    }
  }
  if (startState.cancellations) {
    for await (const row of tables.cancellations.read({ state: startState.cancellations, ...filter })) {
      if (row.run_id === runId) continue;
      if (!inBucket(String(row.sku), bucket)) {
        fingerprints.rememberOther(String(row.order_line_id));
        continue;
      }
      const line = lineFromRow(row);
      fingerprints.remember(line);
      cancellations.push({ sku: line.sku, customerId: line.customerId, quantity: -line.quantity, ts: Date.parse(line.orderTs) / 1000 });
    }
  }
  await readRejected(source, month, fingerprints, bucket);
  return { lines, cancellations, fingerprints: fingerprints.columns() };
}

/**
 * The month's lines earlier runs rejected by a rule (few: a month's rejected_lines partition): with
 * a SKU bucket, those of its SKUs with their content, the others' ids.
 */
async function readRejected(source: PriorMonthSource, month: string, fingerprints: FingerprintColumns, bucket?: SkuBucket): Promise<void> {
  const { tables, startState, runId } = source;
  if (!startState.rejectedLines) return;
  for await (const row of tables.rejectedLines.read({
    state: startState.rejectedLines,
    partitionFilter: (pv) => pv.order_month === month,
    ...(source.abortSignal ? { abortSignal: source.abortSignal } : {}),
  })) {
    if (row.run_id === runId) continue;
    if (inBucket(String(row.sku), bucket)) fingerprints.rememberRejected(lineFromRow(row));
    else fingerprints.rememberOther(String(row.order_line_id));
  }
}

/**
 * An append-only month's earlier data (see affectedMonths.appendOnlyMonths): stored lines on the days
 * this run re-delivers (`days`) in full, for their exact re-delivery; of the others only the line id
 * (`order_line_id` alone is read): a line of this run with such an id has another day, so it is a
 * conflict (first delivery wins). Daily demand appends rows from this run's lines alone.
 */
/** Silver's stored order lines and cancellations, each with the state the run started from. */
export function storedLineTables(source: Pick<PriorMonthSource, 'tables' | 'startState'>) {
  const { tables, startState } = source;
  return [
    [tables.orderLines, startState.orderLines],
    [tables.cancellations, startState.cancellations],
  ] as const;
}

export async function readPriorLineIds(source: PriorMonthSource, month: string, days: DayRange | undefined): Promise<PriorMonth> {
  const { runId } = source;
  const fingerprints = new FingerprintColumns();
  const signal = source.abortSignal ? { abortSignal: source.abortSignal } : {};
  const inMonth = (pv: Record<string, string | null>) => pv.order_month === month;
  const onDays = (date: unknown) => days !== undefined && dayNumber(String(date)) >= days.first && dayNumber(String(date)) <= days.last;
  for (const [table, state] of storedLineTables(source)) {
    if (!state) continue;
    // By columns: every stored line of the month is visited, so no object per row.
    for await (const batch of table.readColumns({
      state,
      partitionFilter: inMonth,
      columns: ['order_line_id', 'order_date', 'run_id'],
      ...signal,
    })) {
      const { order_line_id: ids, order_date: dates, run_id: runs } = batch.columns;
      for (let i = 0; i < batch.length; i += 1) {
        if (runs?.[i] !== runId && !onDays(dates?.[i])) fingerprints.rememberOther(String(ids?.[i]));
      }
    }
    if (!days) continue;
    const onRedeliveredDays = (value: ColumnCursor) => value('run_id') !== runId && onDays(value('order_date'));
    for await (const row of keptRows(
      table,
      {
        state,
        partitionFilter: inMonth,
        statsFilter: (stats) => {
          const min = stats?.minValues.order_date;
          const max = stats?.maxValues.order_date;
          return typeof min !== 'string' || typeof max !== 'string' || (dayNumber(max) >= days.first && dayNumber(min) <= days.last);
        },
        ...signal,
      },
      onRedeliveredDays,
    )) {
      fingerprints.remember(lineFromRow(row));
    }
  }
  await readRejected(source, month, fingerprints);
  return { lines: new DemandLines(), cancellations: [], fingerprints: fingerprints.columns() };
}
