/**
 * One month of daily demand as a worker-thread task: the main thread cuts the month's lines (after
 * netting) and stock snapshots out of its window as typed arrays; a worker aggregates, zero-fills
 * and encodes the month's data files. The main thread keeps only the ordering work.
 */
import { encodeDataFile, type EncodedDataFile, type PhysicalColumn } from '../delta/dataFile';
import type { DeltaField } from '../delta/types';
import { DailyDemandBuilder, monthBounds, OnHandIndex, type DayRange, type DemandLinesView, type OnHandSlice } from './dailyDemand';
import { Dictionary, type DemandLines } from './demandLines';

export interface DailyDemandTask {
  month: string;
  /** SKUs whose active range meets the month, sorted, with their ranges (day numbers). */
  skus: string[];
  first: Int32Array;
  last: Int32Array;
  /** The month's demand lines left after netting; sku indexes into `skus`, invoice/customer ids. */
  lines: { sku: Int32Array; day: Int32Array; quantity: Float64Array; revenue: Float64Array; invoice: Int32Array; customer: Int32Array };
  onHand: OnHandSlice;
  fields: DeltaField[];
  fileRows: number;
}

export interface DailyDemandTaskOptions {
  skuOrder: readonly string[];
  ranges: Map<string, DayRange>;
  onHand: OnHandIndex;
  fields: DeltaField[];
  fileRows: number;
}

/** SKU-days of one task at most: a worker holds one task's rows, whatever the fleet's size (halved with the SKU buckets, skuBucket.ts). */
export const defaultTaskRows = 125_000;

/**
 * The tasks for `month`, cut from the window of lines (netted flags final) and the stock index: the
 * month's SKUs in order, in runs of at most `maxRows` SKU-days each (a SKU is never split), so the
 * worker's share stays bounded as the fleet grows. Concatenated, their rows are the month's rows.
 */
export function dailyDemandTasks(
  window: DemandLines,
  month: string,
  options: DailyDemandTaskOptions,
  maxRows: number = defaultTaskRows,
): Array<{ task: DailyDemandTask; rows: number }> {
  const bounds = monthBounds(month);
  const chunks: Array<{ skus: string[]; rows: number }> = [];
  let chunk = { skus: [] as string[], rows: 0 };
  for (const sku of options.skuOrder) {
    const range = options.ranges.get(sku) as DayRange;
    const days = Math.min(range.last, bounds.last) - Math.max(range.first, bounds.first) + 1;
    if (days <= 0) continue;
    if (chunk.skus.length > 0 && chunk.rows + days > maxRows) {
      chunks.push(chunk);
      chunk = { skus: [], rows: 0 };
    }
    chunk.skus.push(sku);
    chunk.rows += days;
  }
  if (chunk.skus.length > 0 || chunks.length === 0) chunks.push(chunk);
  return chunks.map((c) => dailyDemandTask(window, month, { ...options, skuOrder: c.skus }));
}

/** The task for `month` and the SKUs of `skuOrder`, cut from the window of lines (netted flags final) and the stock index. */
export function dailyDemandTask(
  window: DemandLines,
  month: string,
  options: DailyDemandTaskOptions,
): { task: DailyDemandTask; rows: number } {
  const bounds = monthBounds(month);
  const skus: string[] = [];
  const first: number[] = [];
  const last: number[] = [];
  let rows = 0;
  for (const sku of options.skuOrder) {
    const range = options.ranges.get(sku) as DayRange;
    const from = Math.max(range.first, bounds.first);
    const to = Math.min(range.last, bounds.last);
    if (from > to) continue;
    skus.push(sku);
    first.push(range.first);
    last.push(range.last);
    rows += to - from + 1;
  }
  const position = new Map(skus.map((s, i) => [s, i]));
  const windowToTask = Int32Array.from(window.skus.values, (s) => position.get(s) ?? -1);
  // Lines of the month's SKUs in this task only (a task may hold a run of the month's SKUs).
  const inTask = (i: number): boolean => {
    const day = window.day[i] as number;
    return day >= bounds.first && day <= bounds.last && window.netted[i] === 0 && (windowToTask[window.sku[i] as number] as number) >= 0;
  };
  let n = 0;
  for (let i = 0; i < window.length; i += 1) if (inTask(i)) n += 1;
  const lines = {
    sku: new Int32Array(n),
    day: new Int32Array(n),
    quantity: new Float64Array(n),
    revenue: new Float64Array(n),
    invoice: new Int32Array(n),
    customer: new Int32Array(n),
  };
  let j = 0;
  for (let i = 0; i < window.length; i += 1) {
    if (!inTask(i)) continue;
    lines.sku[j] = windowToTask[window.sku[i] as number] as number;
    lines.day[j] = window.day[i] as number;
    lines.quantity[j] = window.quantity[i] as number;
    lines.revenue[j] = window.revenue[i] as number;
    lines.invoice[j] = window.invoice[i] as number;
    lines.customer[j] = window.customer[i] as number;
    j += 1;
  }
  const task: DailyDemandTask = {
    month,
    skus,
    first: Int32Array.from(first),
    last: Int32Array.from(last),
    lines,
    onHand: options.onHand.sliceFor(skus, bounds.first, bounds.last),
    fields: options.fields,
    fileRows: options.fileRows,
  };
  return { task, rows };
}

/** Runs on a worker: the month's rows, zero-filled, as data files of at most `fileRows` rows. */
export function buildDailyDemandFiles(task: DailyDemandTask): EncodedDataFile[] {
  const ranges = new Map<string, DayRange>(task.skus.map((s, i) => [s, { first: task.first[i] as number, last: task.last[i] as number }]));
  const dictionary = new Dictionary();
  for (const s of task.skus) dictionary.id(s);
  const lines: DemandLinesView = {
    length: task.lines.sku.length,
    skus: dictionary,
    ...task.lines,
    netted: new Uint8Array(task.lines.sku.length),
  };
  const c = new DailyDemandBuilder(lines, ranges, OnHandIndex.fromColumns(task.skus, task.onHand), task.skus).month(task.month);
  const files: EncodedDataFile[] = [];
  for (let from = 0; from < c.length; from += task.fileRows) {
    const to = Math.min(c.length, from + task.fileRows);
    const columns: Record<string, PhysicalColumn> = {
      sku: { dictionary: task.skus, indexes: c.skuIndex.subarray(from, to) },
      date: c.date.subarray(from, to),
      units: c.units.subarray(from, to),
      revenue: c.revenue.subarray(from, to),
      orders: c.orders.subarray(from, to),
      customers: c.customers.subarray(from, to),
      on_hand: c.onHand.slice(from, to),
      stockout: c.stockout.slice(from, to),
    };
    files.push(
      encodeDataFile(
        task.fields,
        task.fields.map((f) => {
          const column = columns[f.name];
          if (!column) throw new Error(`no column ${f.name} for a daily_demand data file`);
          return column;
        }),
        to - from,
      ),
    );
  }
  return files;
}
