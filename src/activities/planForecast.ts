import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLakeTable, type DeltaTable } from '../lib/delta';
import type { DeltaColumnBatch, DeltaValue } from '../lib/delta/types';
import {
  encodeSeriesState,
  latestPlanState,
  planStateFormat,
  SeriesStateCursor,
  monthChanges,
  SeriesStateGoneError,
  seriesStatePath,
  writePlanState,
  type MonthChanges,
  type PlanState,
  type SeriesState,
} from './planState';
import type { PlanForecastInput, PlanForecastOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { batchIdOf, skuBatchPath, type SkuBatch } from '../contracts/skuBatches';
import { lakeTables } from '../lib/lakeTables';
import { loadWarmStartBook, warmStartFor, warmStartSourceRuns, type IndexedRun, type WarmStartBook } from '../lib/runs/warmStartRecords';
import { forecastRunsTableName } from '../lib/runs/forecastRunIndex';
import { partialRunTriggers } from '../lib/runs/triggerKind';
import { signalOf } from '../lib/pipelineServices';

/** SKUs with no sale in this many days before the data's end are not forecast (discontinued). */
export const inactiveAfterDays = 365;

/** Rows buffered in memory before they are spilled to the batches' scratch files. */
export const defaultSpillRows = 100_000;
/** A spilled row: SKU's index in its batch, day index from the SKU's first day, units, stockout, on hand (NaN = null). */
const fieldsPerRow = 5;

const dayMs = 86_400_000;
const dayNumber = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / dayMs);
const isoOfDayNumber = (n: number): string => new Date(n * dayMs).toISOString().slice(0, 10);

type Signal = { abortSignal?: AbortSignal };

interface SkuSpan {
  /** The SKU's index in order of first appearance (what the scratch rows carry). */
  id: number;
  first: number;
  lastSale: number | null;
  /** The base plan of an increment planned it: its untouched days are in the base's series files. */
  inBase?: boolean;
}

/**
 * Appends rows of five numbers to scratch files, one per key, every `spillRows` rows. The rows wait
 * in one typed buffer of `spillRows` rows (their keys beside it), allocated once and released on
 * close: no per-key arrays growing by doubling. A flush writes each key's rows in arrival order.
 */
class RowSpill {
  private rows: Float64Array;
  private keys: Int32Array;
  private buffered = 0;
  constructor(
    private readonly fileOf: (key: number) => string,
    private readonly spillRows: number,
  ) {
    this.rows = new Float64Array(spillRows * fieldsPerRow);
    this.keys = new Int32Array(spillRows);
  }

  /**
   * Buffers a row; returns a promise only when the buffer is full and spilled (await it then). A
   * per-row async call and await cost more than the row: at 32,000 SKUs the full plan allocated
   * 2.6 GB, 2 GB of it in the two row loops (sampling heap profiler, docs/sizing.md stop 29).
   */
  push(key: number, a: number, b: number, c: number, d: number, e: number): Promise<void> | undefined {
    const at = this.buffered * fieldsPerRow;
    const rows = this.rows;
    rows[at] = a;
    rows[at + 1] = b;
    rows[at + 2] = c;
    rows[at + 3] = d;
    rows[at + 4] = e;
    this.keys[this.buffered] = key;
    return ++this.buffered >= this.spillRows ? this.flush() : undefined;
  }

  /** Writes what is buffered and releases the buffer (the spill takes no more rows). */
  async close(): Promise<void> {
    await this.flush();
    this.rows = new Float64Array(0);
    this.keys = new Int32Array(0);
  }

  private async flush(): Promise<void> {
    const n = this.buffered;
    if (n === 0) return;
    this.buffered = 0;
    const { keys, rows } = this;
    let min = keys[0]!;
    let max = min;
    for (let i = 1; i < n; i++) {
      if (keys[i]! < min) min = keys[i]!;
      else if (keys[i]! > max) max = keys[i]!;
    }
    if (min === max) return this.append(min, rows.subarray(0, n * fieldsPerRow));
    // The rows' order by key (a counting sort over the keys present), then each key's rows gathered.
    const starts = new Int32Array(max - min + 2);
    for (let i = 0; i < n; i++) starts[keys[i]! - min + 1]!++;
    for (let k = 1; k < starts.length; k++) starts[k]! += starts[k - 1]!;
    const next = starts.slice(0, -1);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[next[keys[i]! - min]!++] = i;
    for (let k = 0; k + 1 < starts.length; k++) {
      const [from, to] = [starts[k]!, starts[k + 1]!];
      if (to === from) continue;
      const out = new Float64Array((to - from) * fieldsPerRow);
      for (let j = from, at = 0; j < to; j++)
        for (let f = order[j]! * fieldsPerRow, end = f + fieldsPerRow; f < end;) out[at++] = rows[f++]!;
      await this.append(min + k, out);
    }
  }

  private async append(key: number, rows: Float64Array): Promise<void> {
    await fs.appendFile(this.fileOf(key), new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  }
}

/**
 * The rows of a scratch file, `chunkRows` at a time (a fresh, aligned buffer per read, no larger
 * than what is left of the file: a batch's file is small, and one buffer per batch of the chunk's
 * full size cost as much as the batch itself, times the batches).
 */
async function* scratchRows(file: string, chunkRows: number): AsyncIterable<Float64Array> {
  const handle = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined; // nothing spilled
    throw err;
  });
  if (!handle) return;
  try {
    const bytesPerRow = fieldsPerRow * 8;
    const size = (await handle.stat()).size;
    for (let position = 0; position < size;) {
      const rows = Math.min(chunkRows, Math.ceil((size - position) / bytesPerRow));
      const chunk = new Float64Array(rows * fieldsPerRow);
      const { bytesRead } = await handle.read(new Uint8Array(chunk.buffer), 0, rows * bytesPerRow, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield chunk.subarray(0, bytesRead / 8);
    }
  } finally {
    await handle.close();
  }
}

/** Per SKU its id, first day and last sale, the data's last day, and every row spilled to one scratch file. */
class PlanRows {
  readonly spans = new Map<string, SkuSpan>();
  end = Number.NEGATIVE_INFINITY;
  private readonly spill: RowSpill;

  constructor(
    readonly file: string,
    spillRows: number,
  ) {
    this.spill = new RowSpill(() => file, spillRows);
  }

  /** A day of data of some SKU (the data's end counts every SKU's rows, planned or not). */
  seeDay(day: number): void {
    if (day > this.end) this.end = day;
  }

  spanOf(sku: string, day: number): SkuSpan {
    let s = this.spans.get(sku);
    if (!s) this.spans.set(sku, (s = { id: this.spans.size, first: day, lastSale: null }));
    return s;
  }

  /** A row; a promise only when it filled the spill buffer (RowSpill.push). */
  add(sku: string, day: number, units: number, stockout: boolean, onHand: number): Promise<void> | undefined {
    this.seeDay(day);
    const s = this.spanOf(sku, day);
    if (day < s.first) s.first = day;
    if (units > 0 && (s.lastSale === null || day > s.lastSale)) s.lastSale = day;
    return this.spill.push(0, s.id, day, units, stockout ? 1 : 0, onHand);
  }

  async close(): Promise<void> {
    await this.spill.close();
  }
}

const onHandOf = (value: unknown): number => (value === null || value === undefined ? Number.NaN : Number(value));
const demandColumns = ['sku', 'date', 'units', 'stockout', 'on_hand'];

/** A demand batch's columns (readColumns: one row group at a time, no object per row); a column it lacks reads as nulls. */
function demandColumnsOf(batch: DeltaColumnBatch) {
  const none: readonly DeltaValue[] = [];
  const column = (name: string): readonly DeltaValue[] => batch.columns[name] ?? none;
  return { sku: column('sku'), date: column('date'), units: column('units'), stockout: column('stockout'), onHand: column('on_hand') };
}

/** Date text → day number, remembering the last one (a row group's rows run through a few dates). */
function dayNumbers(): (date: DeltaValue | undefined) => number {
  let last: string | undefined;
  let lastDay = Number.NaN;
  return (date) => {
    const text = String(date);
    if (text !== last) {
      last = text;
      lastDay = dayNumber(text);
    }
    return lastDay;
  };
}

/** Every row of daily_demand at `version` (of the wanted SKUs). */
async function readAllRows(table: DeltaTable, version: number, wanted: Set<string> | undefined, rows: PlanRows, signal: Signal) {
  const dayOf = dayNumbers();
  for await (const batch of table.readColumns({ version, columns: demandColumns, ...signal })) {
    const c = demandColumnsOf(batch);
    for (let i = 0; i < batch.length; i++) {
      const day = dayOf(c.date[i]);
      rows.seeDay(day);
      const sku = String(c.sku[i]);
      if (wanted && !wanted.has(sku)) continue;
      const spilled = rows.add(sku, day, Number(c.units[i] ?? 0), c.stockout[i] === true, onHandOf(c.onHand[i]));
      if (spilled) await spilled;
    }
  }
}

/** What the rows of the changed months say of one SKU: its first row, its latest on-hand observation. */
interface ReadBack {
  first: number;
  lastOnHand: number;
}

/** Day numbers → 'YYYY-MM', one Date per month rather than per day. */
class MonthOfDay {
  private from = Number.POSITIVE_INFINITY;
  private to = Number.NEGATIVE_INFINITY;
  private month = '';
  of(day: number): string {
    if (day < this.from || day >= this.to) {
      const date = new Date(day * dayMs);
      this.month = date.toISOString().slice(0, 7);
      this.from = Math.round(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / dayMs);
      this.to = Math.round(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / dayMs);
    }
    return this.month;
  }
}

/**
 * An increment's rows: daily_demand's rows of the months rewritten since the base plan's version and
 * of the files added since to months only appended to; every other day comes later from the base
 * plan's series files (Silver left those files as they were), so here only the base's per-SKU
 * summary is merged into the spans. "Touched" below means rewritten: an appended month's base days stand.
 * Returns why not when the result could differ from a full read (then the caller reads in full):
 * the data's end moved back, a SKU's first row, last sale or latest on-hand day lay in a rewritten
 * month and the month no longer has it, a SKU the base left out sold again (its history is not in the base).
 */
async function readIncrement(
  table: DeltaTable,
  base: PlanState,
  changes: MonthChanges,
  rows: PlanRows,
  signal: Signal,
): Promise<string | undefined> {
  const read = new Map<string, ReadBack>();
  const months = new MonthOfDay();
  const touched = changes.rewritten;
  const isTouched = (day: number) => touched.has(months.of(day));
  const dayOf = dayNumbers();
  for await (const batch of table.readColumns({ state: changes.toRead, columns: demandColumns, ...signal })) {
    const c = demandColumnsOf(batch);
    for (let i = 0; i < batch.length; i++) {
      const day = dayOf(c.date[i]);
      const sku = String(c.sku[i]);
      const onHand = onHandOf(c.onHand[i]);
      const spilled = rows.add(sku, day, Number(c.units[i] ?? 0), c.stockout[i] === true, onHand);
      if (spilled) await spilled;
      const r = read.get(sku) ?? { first: day, lastOnHand: -1 };
      if (day < r.first) r.first = day;
      if (!Number.isNaN(onHand) && day > r.lastOnHand) r.lastOnHand = day;
      read.set(sku, r);
    }
  }
  const { planned, others } = base;
  for (let i = 0; i < planned.skus.length; i++) {
    const sku = planned.skus[i]!;
    const [first, lastSale, lastOnHandDay] = [planned.first[i]!, planned.lastSale[i]!, planned.lastOnHand[i]!];
    const r = read.get(sku);
    if (isTouched(first) && !(r && months.of(r.first) <= months.of(first)))
      return `SKU ${sku}: its first day's month changed and no longer starts it`;
    if (lastOnHandDay >= 0 && isTouched(lastOnHandDay) && !(r && r.lastOnHand >= 0 && months.of(r.lastOnHand) >= months.of(lastOnHandDay)))
      return `SKU ${sku}: its latest on-hand day's month changed and no longer has one`;
    const s = rows.spanOf(sku, first);
    s.inBase = true;
    if (!isTouched(first) && first < s.first) s.first = first;
    if (!isTouched(lastSale)) {
      if (s.lastSale === null || lastSale > s.lastSale) s.lastSale = lastSale;
    } else if (s.lastSale === null || months.of(s.lastSale) < months.of(lastSale)) {
      // Its later untouched sales are not in the summary: only the series would tell.
      return `SKU ${sku}: its last sale's month changed and no longer has a sale`;
    }
  }
  for (let i = 0; i < others.skus.length; i++) {
    const [sku, first] = [others.skus[i]!, others.first[i]!];
    const seen = rows.spans.get(sku);
    if (seen && seen.lastSale !== null) return `SKU ${sku}, left out of the base plan, sold again`;
    if (isTouched(first) && !seen) return `SKU ${sku}: its first day's month changed`;
    const s = rows.spanOf(sku, first); // seen (inactive): counted, never planned without a sale
    if (!isTouched(first) && first < s.first) s.first = first;
  }
  // The base's last day still has its rows unless its month changed (then the changed rows must reach it).
  if (!isTouched(base.endDay)) rows.seeDay(base.endDay);
  if (rows.end < base.endDay)
    return `the data's last day moved back (${Number.isFinite(rows.end) ? isoOfDayNumber(rows.end) : 'no rows'} < ${isoOfDayNumber(base.endDay)})`;
  return undefined;
}

/**
 * The base an increment may start from: the latest whole-fleet plan, of this version or an
 * earlier one, with the months changed since (undefined: read in full; `why` says why when a base exists).
 */
async function incrementBase(
  services: PipelineServices,
  table: DeltaTable,
  version: number,
  signal: Signal,
): Promise<{ base?: PlanState; changes?: MonthChanges; why?: string }> {
  const latest = await latestPlanState(services.lake, signal);
  if (!latest) return {};
  const base = latest.state;
  if (!base) return { why: `plan ${latest.stale}'s state is of an older format` };
  if (base.dailyDemandVersion > version || base.batchCount === 0) return {};
  const changes = await monthChanges(table, base.dailyDemandVersion, version, signal);
  return changes ? { base, changes } : { why: `the months changed since plan ${base.runId} cannot be told from the log` };
}

/** What a plan's batches and series files are built from, apart from the scratch rows. */
interface SeriesBase {
  cursor: SeriesStateCursor;
  /** Whether a day lies in a month rewritten since the base (its base days do not count). */
  touched: (day: number) => boolean;
  /** Whether a day lies in a month only appended to since the base (its base days count, and the added rows must not meet them). */
  appended: (day: number) => boolean;
}

/**
 * Reads Silver daily_demand (at the version the run produced) and writes SKU batches to the lake
 * for the forecast fan-out: each SKU's daily series up to the data's last day (days after a SKU's
 * last sale are zeros, not gaps; stockout days are marked censored).
 *
 * What it reads: a whole-fleet plan after an earlier one (the latest, planState.ts) reads that
 * plan's per-SKU summary and, of daily_demand, the data files added between the two versions to
 * months only appended to (Silver's new day) and every file of the months rewritten in between,
 * and takes every other day from that plan's compact series files (one per batch, only the days
 * with units or a stockout), never its JSON batches; a first plan, a plan of
 * chosen SKUs or an increment the base cannot serve (readIncrement says why, or a series file is
 * gone) reads the table once, in full. A whole-fleet plan writes its own summary and series files.
 *
 * Memory stays bounded in the fleet's size: a few numbers per SKU (its id, first day, last sale)
 * and each row read, as five numbers, spilled to a scratch file (DEMAND_SCRATCH_DIR or the OS temp
 * folder) every 100,000 rows (one typed buffer); once the active SKUs and their batches are known, the scratch rows
 * are sorted out to one file per batch, and each batch is built from its file (and the base's
 * series file(s) of the same SKUs). Only one batch's series are in memory at a time.
 */
export async function planForecast(
  input: PlanForecastInput,
  services: PipelineServices,
  options: { spillRows?: number; fromScratch?: boolean } = {},
): Promise<PlanForecastOutput> {
  try {
    return await planOnce(input, services, options, !options.fromScratch);
  } catch (err) {
    if (!(err instanceof SeriesStateGoneError)) throw err;
    services.log(`plan: daily_demand read in full, not from plan ${err.baseRunId ?? '(unknown)'}: ${err.message}`);
    return planOnce(input, services, options, false);
  }
}

async function planOnce(
  input: PlanForecastInput,
  services: PipelineServices,
  options: { spillRows?: number },
  mayIncrement: boolean,
): Promise<PlanForecastOutput> {
  const spillRows = options.spillRows ?? defaultSpillRows;
  const table = openLakeTable(services.lake, lakeTables.daily_demand);
  const version = input.dailyDemandVersion >= 0 ? input.dailyDemandVersion : await table.version();
  const empty: PlanForecastOutput = {
    skuCount: 0,
    dailyDemandVersion: version,
    inactiveSkus: 0,
    batchCount: 0,
    batchSize: input.batchSize,
  };
  if (version < 0) return empty;
  const wanted = input.skus ? new Set(input.skus) : undefined;
  const signal = signalOf(services);

  const scratch = await fs.mkdtemp(path.join(services.settings.DEMAND_SCRATCH_DIR ?? os.tmpdir(), 'plan-'));
  try {
    const wholeFleet = !wanted;
    const increment = wholeFleet && mayIncrement ? await incrementBase(services, table, version, signal) : {};
    if (increment.why) services.log(`plan: daily_demand read in full: ${increment.why}`);
    let rows = new PlanRows(path.join(scratch, 'rows.f64'), spillRows);
    let source = 'in full';
    let seriesBase: SeriesBase | undefined;
    if (increment.base && increment.changes) {
      const { base, changes } = increment;
      const refused = await readIncrement(table, base, changes, rows, signal);
      if (refused) {
        services.log(`plan: daily_demand read in full, not from plan ${base.runId}: ${refused}`);
        await fs.rm(rows.file, { force: true });
        rows = new PlanRows(path.join(scratch, 'rows.f64'), spillRows);
      } else {
        const rewritten = [...changes.rewritten].sort();
        const appended = [...changes.appended].sort();
        source =
          `months ${rewritten.join(', ') || '(none)'}` +
          (appended.length ? `, the files added to ${appended.join(', ')}` : '') +
          `, the rest from plan ${base.runId} (v${base.dailyDemandVersion}; ${changes.files} data file(s) read)`;
        const monthOf = new MonthOfDay();
        seriesBase = {
          cursor: new SeriesStateCursor(services.lake, base, batchIdOf, signal),
          touched: (day) => changes.rewritten.has(monthOf.of(day)),
          appended: (day) => changes.appended.has(monthOf.of(day)),
        };
      }
    }
    if (source === 'in full') await readAllRows(table, version, wanted, rows, signal);
    await rows.close();
    const { spans, end } = rows;
    if (!Number.isFinite(end)) return empty;
    const skus = [...spans.keys()]
      .filter((sku) => {
        const lastSale = spans.get(sku)!.lastSale;
        return lastSale !== null && end - lastSale <= inactiveAfterDays;
      })
      .sort();
    // By SKU id: its slot in the plan (−1: not planned) and its first day.
    const slotOfId = new Int32Array(spans.size).fill(-1);
    const firstOfId = new Float64Array(spans.size);
    skus.forEach((sku, slot) => {
      const s = spans.get(sku)!;
      slotOfId[s.id] = slot;
      firstOfId[s.id] = s.first;
    });
    const batchCount = Math.ceil(skus.length / input.batchSize);
    const endDate = isoOfDayNumber(end);
    const planned = new Set(skus);
    const book = input.skus ? undefined : await warmStartBookFor(input.runId, services, (sku) => planned.has(sku));

    // The scratch rows of planned SKUs to their batch's file, as (index in batch, day from the SKU's first, units, stockout, on hand).
    const byBatch = new RowSpill((batch) => path.join(scratch, `${batch}.f64`), spillRows);
    for await (const chunk of scratchRows(rows.file, spillRows)) {
      for (let k = 0; k < chunk.length; k += fieldsPerRow) {
        const id = chunk[k]!;
        const slot = slotOfId[id]!;
        if (slot < 0) continue;
        const d = chunk[k + 1]! - firstOfId[id]!;
        const spilled = byBatch.push(
          Math.floor(slot / input.batchSize),
          slot % input.batchSize,
          d,
          chunk[k + 2]!,
          chunk[k + 3]!,
          chunk[k + 4]!,
        );
        if (spilled) await spilled;
      }
    }
    await byBatch.close();
    await fs.rm(rows.file, { force: true });

    let warmSkus = 0;
    const lastOnHand = new Array<number>(skus.length).fill(-1);
    for (let b = 0; b < batchCount; b++) {
      const members = skus.slice(b * input.batchSize, (b + 1) * input.batchSize);
      const built = await batchOf(input.runId, b, members, spans, end, version, path.join(scratch, `${b}.f64`), seriesBase);
      const { batch } = built;
      built.lastOnHand.forEach((day, i) => (lastOnHand[b * input.batchSize + i] = day));
      for (const series of batch.series) {
        const warmStart = book && warmStartFor(book, series.sku, endDate, services.settings.DEMAND_FULL_SELECTION_EVERY_DAYS);
        if (!warmStart) continue;
        series.warmStart = warmStart;
        warmSkus++;
      }
      // Same plan → same bytes: a retried or replayed plan rewrites identical batches (and series files).
      await services.lake.put(skuBatchPath(input.runId, batch.batchId), Buffer.from(JSON.stringify(batch)), signal);
      if (wholeFleet) await services.lake.put(seriesStatePath(input.runId, batch.batchId), encodeSeriesState(built.states), signal);
    }
    if (wholeFleet) {
      const others: PlanState['others'] = { skus: [], first: [] };
      for (const [sku, s] of spans)
        if (!planned.has(sku)) {
          others.skus.push(sku);
          others.first.push(s.first);
        }
      const state: PlanState = {
        format: planStateFormat,
        runId: input.runId,
        dailyDemandVersion: version,
        endDay: end,
        batchCount,
        planned: {
          skus,
          first: skus.map((sku) => spans.get(sku)!.first),
          lastSale: skus.map((sku) => spans.get(sku)!.lastSale!),
          lastOnHand,
        },
        others,
      };
      await writePlanState(services.lake, state, signal);
    }
    services.log(
      `planned ${skus.length} SKUs in ${batchCount} batches from daily_demand v${version} (${source})` +
        (book?.sourceRuns.length ? `; ${warmSkus} may re-use their choice from run(s) ${book.sourceRuns.join(', ')} (warm start)` : ''),
    );
    return {
      skuCount: skus.length,
      dailyDemandVersion: version,
      inactiveSkus: spans.size - skus.length,
      batchCount,
      batchSize: input.batchSize,
    };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * One batch built from its scratch file (and, on an increment, the base plan's series of its
 * members for the untouched days): each member's series from its first day to the data's last,
 * the same series in the series files' form, and each member's latest on-hand day (−1: none).
 */
async function batchOf(
  runId: string,
  index: number,
  members: readonly string[],
  spans: ReadonlyMap<string, SkuSpan>,
  end: number,
  version: number,
  file: string,
  base: SeriesBase | undefined,
): Promise<{ batch: SkuBatch; states: SeriesState[]; lastOnHand: number[] }> {
  const series = members.map((sku): BuiltSeries => {
    const days = end - spans.get(sku)!.first + 1;
    return {
      sku,
      first: spans.get(sku)!.first,
      values: new Array<number>(days).fill(0),
      censored: new Array<boolean>(days).fill(false),
      lastOnHandDay: -1,
      onHand: null,
    };
  });
  if (base) for (const s of series) if (spans.get(s.sku)!.inBase) await overlayBase(s, base);
  for await (const rows of scratchRows(file, defaultSpillRows)) {
    for (let k = 0; k < rows.length; k += fieldsPerRow) {
      const s = series[rows[k]!]!;
      const d = rows[k + 1]!;
      if (s.appendedBase && (s.appendedBase.days[d] === 1 || (d === s.appendedBase.onHandDay && !Number.isNaN(rows[k + 4]!))))
        throw new SeriesStateGoneError(
          base!.cursor.runId,
          `SKU ${s.sku}: a row added on ${isoOfDayNumber(s.first + d)} lies on a day the base plan already has (which row wins depends on the read order)`,
        );
      s.values[d] = rows[k + 2]!;
      s.censored[d] = rows[k + 3]! === 1;
      // The latest on-hand observation of the series (rows arrive in any order).
      if (!Number.isNaN(rows[k + 4]!) && d > s.lastOnHandDay) {
        s.lastOnHandDay = d;
        s.onHand = rows[k + 4]!;
      }
    }
  }
  return {
    batch: {
      batchId: batchIdOf(index),
      runId,
      dailyDemandVersion: version,
      endDate: isoOfDayNumber(end),
      series: series.map(({ sku, first, values, censored, onHand }) => ({
        sku,
        startDate: isoOfDayNumber(first),
        values,
        censored,
        onHand,
      })),
    },
    states: series.map(seriesStateOf),
    lastOnHand: series.map((s) => (s.lastOnHandDay < 0 ? -1 : s.first + s.lastOnHandDay)),
  };
}

interface BuiltSeries {
  sku: string;
  first: number;
  values: number[];
  censored: boolean[];
  lastOnHandDay: number;
  onHand: number | null;
  /**
   * The base days the series took in months only appended to (1 per such day) and its base on-hand
   * day there (−1: none): Silver appends rows only on days a SKU has none yet, so an added row on one
   * of them is no append (the increment stops, the plan reads in full).
   */
  appendedBase?: { days: Uint8Array; onHandDay: number };
}

/** The base plan's days of a SKU outside the rewritten months into its new series (the read rows come after). */
async function overlayBase(s: BuiltSeries, base: SeriesBase): Promise<void> {
  const b = await base.cursor.seek(s.sku);
  if (!b) throw new SeriesStateGoneError(base.cursor.runId, `SKU ${s.sku}: not in the base plan's series files`);
  const marked = () => (s.appendedBase ??= { days: new Uint8Array(s.values.length), onHandDay: -1 });
  for (let k = 0; k < b.offsets.length; k++) {
    const day = b.first + b.offsets[k]!;
    if (base.touched(day)) continue;
    const d = day - s.first;
    if (d < 0 || d >= s.values.length)
      throw new SeriesStateGoneError(base.cursor.runId, `SKU ${s.sku}: its base days lie outside its span`);
    s.values[d] = b.values[k]!;
    s.censored[d] = b.censored[k] === 1;
    if (base.appended(day)) marked().days[d] = 1;
  }
  if (b.lastOnHand >= 0 && !base.touched(b.lastOnHand)) {
    s.lastOnHandDay = b.lastOnHand - s.first;
    s.onHand = b.onHand;
    if (base.appended(b.lastOnHand)) marked().onHandDay = s.lastOnHandDay;
  }
}

/** A built series as the series files keep it: the days with units or a stockout. */
function seriesStateOf(s: BuiltSeries): SeriesState {
  let kept = 0;
  for (let d = 0; d < s.values.length; d++) if (s.values[d] !== 0 || s.censored[d]) kept++;
  const offsets = new Int32Array(kept);
  const values = new Float64Array(kept);
  const censored = new Uint8Array(kept);
  for (let d = 0, k = 0; d < s.values.length; d++) {
    if (s.values[d] === 0 && !s.censored[d]) continue;
    offsets[k] = d;
    values[k] = s.values[d]!;
    censored[k++] = s.censored[d] ? 1 : 0;
  }
  return {
    sku: s.sku,
    first: s.first,
    length: s.values.length,
    lastOnHand: s.lastOnHandDay < 0 ? -1 : s.first + s.lastOnHandDay,
    onHand: s.onHand,
    offsets,
    values,
    censored,
  };
}

/**
 * The choices of the runs in effect, for a whole-fleet plan (re-forecasts of chosen SKUs always
 * select in full: drift or a user asked for them). Undefined when warm start is off.
 */
async function warmStartBookFor(
  runId: string,
  services: PipelineServices,
  wanted: (sku: string) => boolean,
): Promise<WarmStartBook | undefined> {
  if (services.settings.DEMAND_FULL_SELECTION_EVERY_DAYS <= 0) return undefined;
  const index: IndexedRun[] = [];
  for await (const row of (await services.entities.table(forecastRunsTableName)).list({ partitionKey: 'run' }))
    index.push({ runId: String(row['runId']), trigger: String(row['trigger']), startedAt: String(row['startedAt']) });
  const sources = await warmStartSourceRuns(services, runId, index, partialRunTriggers);
  return sources.length ? loadWarmStartBook(services, sources, wanted) : undefined;
}
