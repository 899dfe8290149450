/**
 * The split dashboard of a large fleet, written with memory flat in the SKU count: the same files
 * as loadDashboardData → renderDashboardFiles, but no table is held whole. Gold and Silver rows are
 * streamed; per-SKU series rows and the current metrics, action and product records are regrouped
 * through scratch files by bucket of SKUs (SkuRowSpill, SkuRecordSpill) and each bucket's SKUs are
 * built and serialised to scratch files, one bucket in memory at a time. What stays in memory per
 * SKU is its name, slot and best run, numeric urgency keys and the offsets of its serialised series
 * and catalogue entry (about 200 B, test/dashboard/dashboardHeap.test.ts); the fleet-wide parts are
 * sums, counts and bounded top-N lists, and the catalogue is joined from column files.
 */
import { createReadStream, createWriteStream, promises as fs, readSync } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DeltaRow } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import { readLakeRows, streamLakeColumns, streamLakeRows } from '../publish/lakeRows';
import {
  byMoverChange,
  cancellationsOfRun,
  checkedHistoryDays,
  dashboardScope,
  dashboardSku,
  defaultHistoryDays,
  fleetHistoryStart,
  isAtRisk,
  isMover,
  maseHistogram,
  median,
  moverOf,
  moversShown,
  newestDriftCheck,
  WapeSums,
  type DashboardData,
  type DashboardScope,
  type DashboardSku,
  type SkuIndex,
} from './dashboardData';
import {
  byUrgencyKey,
  coverOf,
  defaultChunkSize,
  hasSomethingToDraw,
  recentUnits,
  TopActionRows,
  urgencyOf,
  type DashboardHead,
  type UrgencySortKey,
} from './dashboardParts';
import { currentRanks, currentRows, runRanker, type CurrentTable } from './currentRows';
import { coversAll, newRunsSince, writeSkuList, type PreviousView } from './dashboardView';
import { PartWriter, type EarlierParts } from './partWriter';
import { SkuRecordSpill } from './skuRecordSpill';
import { modelFamily } from './modelNames';
import type { PipelineServices } from '../pipelineServices';
import { signalOf } from '../pipelineServices';
import { chunkPartName, renderPage, scriptSafeJson, type ChartAssets } from './renderHtml';
import { SkuRowSpill } from './skuRowSpill';
import { dayNumberOf as dayOf, isoDateOfDayNumber as isoOfDay } from '../calendar/dayNumbers';

/** SKUs whose series rows are in memory at a time (250 × ~200 days ≈ 50,000 rows ≈ 10 MB as row objects). */
export const defaultDashboardBucketSkus = 250;

const numOrNaN = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const numOrNull = (v: number): number | null => (Number.isNaN(v) ? null : v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export interface StreamedDashboardOptions {
  runId?: string;
  historyDays?: number;
  /** SKUs built at a time (default 250). */
  bucketSkus?: number;
  chunkSize?: number;
  assets?: ChartAssets;
}

/** What the streamed writer held at most, for the tests that keep it bounded. */
export interface StreamedDashboardStats {
  skus: number;
  buckets: number;
  /** Most daily_demand + forecast rows rebuilt in memory at once (one bucket's). */
  maxBucketRows: number;
  /** Most metrics, inventory action and product records in memory at once (one bucket's). */
  maxBucketRecords: number;
  /** Series chunk files written, and those linked unchanged from the dashboard this one replaced. */
  chunksWritten?: number;
  chunksLinked?: number;
}

interface SeriesTables {
  demand: SkuRowSpill;
  forecasts: SkuRowSpill;
  models: string[];
  forecastRows: number;
  originDate: string | null;
  /** Σ expected over the current rows that have it, and how many have it (fleetExpectedUnits' sum). */
  expectedTotal: number;
  expectedKnown: number;
}

const demandFields = 4; // sku index, day, units, on_hand
const forecastFields = 8; // sku index, target day, point, q05, q25, q75, q95, model id

/** Each SKU's best run rank in the forecasts (only sku and run_id read): the SKUs shown. */
async function forecastRanks(lake: LakeStore, runSet: Set<string>, rank: Map<string, number>, signal: { abortSignal?: AbortSignal }) {
  const best = new Map<string, number>();
  const rankOf = runRanker(rank);
  for await (const batch of streamLakeColumns(lake, 'forecasts', {
    partitionFilter: (v) => runSet.has(v.run_id ?? ''),
    columns: ['sku', 'run_id'],
    ...signal,
  })) {
    const skus = batch.columns.sku as unknown[];
    const runs = batch.columns.run_id as unknown[];
    for (let i = 0; i < batch.length; i++) {
      const sku = str(skus[i]);
      if (sku === null) continue;
      const r = rankOf(runs[i]);
      if (r < (best.get(sku) ?? Number.MAX_SAFE_INTEGER)) best.set(sku, r);
    }
  }
  return best;
}

/** The daily_demand window's SKUs and last day, for a run with no forecasts (then every SKU with demand is shown). */
async function demandSkus(lake: LakeStore, firstMonth: string, signal: { abortSignal?: AbortSignal }) {
  const skus = new Set<string>();
  let lastDay: string | null = null;
  for await (const row of streamLakeRows(lake, 'daily_demand', {
    partitionFilter: (v) => (v.month ?? '') >= firstMonth,
    columns: ['sku', 'date'],
    ...signal,
  })) {
    const sku = str(row.sku);
    if (sku !== null) skus.add(sku);
    if (str(row.date) !== null && (lastDay === null || String(row.date) > lastDay)) lastDay = String(row.date);
  }
  return { skus, lastDay };
}

async function spillSeries(
  lake: LakeStore,
  scratch: string,
  slot: Map<string, number>,
  scope: { runSet: Set<string>; firstMonth: string },
  ranks: { rank: Map<string, number>; best: Map<string, number> },
  bucketSkus: number,
  signal: { abortSignal?: AbortSignal },
): Promise<SeriesTables> {
  const demand = new SkuRowSpill(scratch, 'demand', demandFields, bucketSkus);
  // One row array for every row (the spill copies it): no array per row to collect.
  const demandRow = [0, 0, 0, 0];
  for await (const batch of streamLakeColumns(lake, 'daily_demand', {
    partitionFilter: (v) => (v.month ?? '') >= scope.firstMonth,
    columns: ['sku', 'date', 'units', 'on_hand'],
    ...signal,
  })) {
    const { sku: skus, date: dates, units, on_hand: onHand } = batch.columns as Record<string, unknown[]>;
    for (let i = 0; i < batch.length; i++) {
      const index = slot.get(String(skus![i]));
      const date = str(dates![i]);
      if (index === undefined || date === null) continue;
      demandRow[0] = index;
      demandRow[1] = dayOf(date);
      demandRow[2] = numOrNaN(units![i]);
      demandRow[3] = numOrNaN(onHand![i]);
      const spilled = demand.add(demandRow);
      if (spilled) await spilled;
    }
  }
  await demand.flush();
  const forecasts = new SkuRowSpill(scratch, 'forecasts', forecastFields, bucketSkus);
  const modelIds = new Map<string, number>();
  const tables: SeriesTables = { demand, forecasts, models: [], forecastRows: 0, originDate: null, expectedTotal: 0, expectedKnown: 0 };
  const none: unknown[] = [];
  const rankOf = runRanker(ranks.rank);
  const forecastRow = [0, 0, 0, 0, 0, 0, 0, 0];
  for await (const batch of streamLakeColumns(lake, 'forecasts', {
    partitionFilter: (v) => scope.runSet.has(v.run_id ?? ''),
    // No projection: forecasts written before the expected column must still read.
    ...signal,
  })) {
    const c = batch.columns as Record<string, unknown[] | undefined>;
    const col = (name: string): unknown[] => c[name] ?? none;
    const [skus, runs, origins, targets, points, models] = ['sku', 'run_id', 'origin_date', 'target_date', 'point', 'model'].map(col);
    const [q05, q25, q75, q95, expected] = ['q05', 'q25', 'q75', 'q95', 'expected'].map(col);
    for (let i = 0; i < batch.length; i++) {
      const sku = String(skus![i]);
      if (rankOf(runs![i]) !== ranks.best.get(sku)) continue;
      // The first current row, as forecasts[0] of the whole current table: the fleet's origin.
      if (tables.forecastRows === 0) tables.originDate = str(origins![i]);
      tables.forecastRows += 1;
      const e = expected![i];
      if (typeof e === 'number' && Number.isFinite(e)) {
        tables.expectedTotal += e;
        tables.expectedKnown += 1;
      }
      const index = slot.get(sku);
      if (index === undefined) continue;
      const model = str(models![i]);
      let modelId = -1;
      if (model !== null) {
        modelId = modelIds.get(model) ?? tables.models.length;
        if (modelId === tables.models.length) {
          modelIds.set(model, modelId);
          tables.models.push(model);
        }
      }
      const target = str(targets![i]);
      forecastRow[0] = index;
      forecastRow[1] = target === null ? Number.NaN : dayOf(target);
      forecastRow[2] = numOrNaN(points![i]);
      forecastRow[3] = numOrNaN(q05![i]);
      forecastRow[4] = numOrNaN(q25![i]);
      forecastRow[5] = numOrNaN(q75![i]);
      forecastRow[6] = numOrNaN(q95![i]);
      forecastRow[7] = modelId;
      const spilled = forecasts.add(forecastRow);
      if (spilled) await spilled;
    }
  }
  await forecasts.flush();
  return tables;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** The columns of a metrics row dashboardSku reads (as it reads them). */
const metricRecord = (r: DeltaRow): DeltaRow => ({
  mase: finite(r.mase),
  wape: finite(r.wape),
  bias: finite(r.bias),
  coverage90: finite(r.coverage90),
  segment: str(r.segment),
  model: str(r.model),
});
/** The columns of an inventory action row dashboardSku reads. */
const actionRecord = (r: DeltaRow): DeltaRow => ({
  on_hand: finite(r.on_hand),
  days_of_cover: finite(r.days_of_cover),
  stockout_date: str(r.stockout_date),
  safety_stock: finite(r.safety_stock),
  reorder_point: finite(r.reorder_point),
  order_qty: finite(r.order_qty),
  action: String(r.action),
});

/** Per SKU shown, its current metrics, action and product, one bucket of SKUs at a time; and the fleet's totals over the current rows. */
interface SkuRecords {
  metrics: SkuRecordSpill<DeltaRow>;
  actions: SkuRecordSpill<DeltaRow>;
  products: SkuRecordSpill<[string | null, string | null]>;
  wape: WapeSums;
  mase: number[];
  actionCounts: Record<string, number>;
  atRisk: number;
}

/** How a table's current rows fold into the fleet's totals and into the record kept per SKU. */
interface CurrentFold<T> {
  start(): T;
  add(totals: T, row: DeltaRow): void;
  record(row: DeltaRow): DeltaRow;
}

/**
 * Streams a table's current rows into a bucket spill and the fleet's totals. From the new runs
 * alone when they hold a row for every SKU that had one before (then no older run can hold a
 * current row); else, or with no earlier view, from every run shown. A single run needs no rank
 * pass: each of its rows is current. The table's SKUs with a row go to the parts folder for the
 * next publish's check.
 */
async function spillCurrentTable<T>(
  input: StreamedDashboardInput,
  shown: ShownSkus,
  name: CurrentTable,
  slot: ReadonlyMap<string, number>,
  bucketSkus: number,
  fold: CurrentFold<T>,
): Promise<{ spill: SkuRecordSpill<DeltaRow>; totals: T }> {
  const { lake } = input.services;
  const signal = signalOf(input.services);
  const attempt = async (runs: Set<string>, tag: string) => {
    const best = runs.size > 1 ? await currentRanks(lake, name, runs, shown.rank, signal) : undefined;
    const spill = new SkuRecordSpill<DeltaRow>(input.scratch, `${name}-${tag}`, bucketSkus);
    const totals = fold.start();
    const keys = new Set<string>();
    for await (const row of currentRows(lake, name, runs, shown.rank, best, signal)) {
      const sku = String(row.sku);
      keys.add(sku);
      fold.add(totals, row);
      const index = slot.get(sku);
      if (index !== undefined) await spill.add(index, fold.record(row));
    }
    await spill.flush();
    return { spill, totals, keys };
  };
  let result = shown.previous && shown.newRuns ? await attempt(shown.newRuns, 'new') : undefined;
  if (result && !coversAll(await shown.previous!.skus(name), result.keys)) result = undefined;
  result ??= await attempt(shown.scope.runSet, 'all');
  await writeSkuList(input.partsDir, name, [...result.keys].sort());
  return { spill: result.spill, totals: result.totals };
}

const metricsFold: CurrentFold<{ wape: WapeSums; mase: number[] }> = {
  start: () => ({ wape: new WapeSums(), mase: [] }),
  add(totals, row) {
    totals.wape.add(row);
    const mase = finite(row.mase);
    if (mase !== null) totals.mase.push(mase);
  },
  record: metricRecord,
};

const actionsFold: CurrentFold<{ counts: Record<string, number>; atRisk: number }> = {
  start: () => ({ counts: {}, atRisk: 0 }),
  add(totals, row) {
    const kind = String(row.action);
    totals.counts[kind] = (totals.counts[kind] ?? 0) + 1;
    if (isAtRisk(row)) totals.atRisk += 1;
  },
  record: actionRecord,
};

/** The current metrics and actions, and the products, of the SKUs shown, spilled by bucket; the fleet's totals summed on the way. */
async function spillRecords(
  input: StreamedDashboardInput,
  shown: ShownSkus,
  slot: ReadonlyMap<string, number>,
  bucketSkus: number,
): Promise<SkuRecords> {
  const metrics = await spillCurrentTable(input, shown, 'forecast_metrics', slot, bucketSkus, metricsFold);
  const actions = await spillCurrentTable(input, shown, 'inventory_actions', slot, bucketSkus, actionsFold);
  const products = new SkuRecordSpill<[string | null, string | null]>(input.scratch, 'products', bucketSkus);
  for await (const batch of streamLakeColumns(input.services.lake, 'products', {
    columns: ['sku', 'description', 'first_sale_date'],
    ...signalOf(input.services),
  })) {
    const { sku: skus, description: descriptions, first_sale_date: firstSales } = batch.columns as Record<string, unknown[]>;
    for (let i = 0; i < batch.length; i++) {
      const index = slot.get(String(skus![i]));
      if (index !== undefined) await products.add(index, [str(descriptions![i]), str(firstSales![i])]);
    }
  }
  await products.flush();
  return {
    metrics: metrics.spill,
    actions: actions.spill,
    products,
    wape: metrics.totals.wape,
    mase: metrics.totals.mase,
    actionCounts: actions.totals.counts,
    atRisk: actions.totals.atRisk,
  };
}

/**
 * A bucket's spilled rows, by member: `order[starts[m]..starts[m+1])` are member m's rows (their
 * index in the spill, in spilled order), from a stable counting sort on the member index.
 */
function byMember(values: Float64Array, fields: number, first: number, members: number): { starts: Int32Array; order: Int32Array } {
  const count = values.length / fields;
  const starts = new Int32Array(members + 1);
  for (let k = 0; k < values.length; k += fields) starts[(values[k] as number) - first + 1]!++;
  for (let m = 1; m <= members; m++) starts[m]! += starts[m - 1]!;
  const next = starts.slice(0, members);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[next[(values[i * fields] as number) - first]!++] = i;
  return { starts, order };
}

/**
 * One bucket's SKUs, each rebuilt as the rows dashboardSku() reads (only the columns it reads) when
 * `indexOf(j)` is called for member j: the bucket stays its spilled numbers, and one SKU's row
 * objects are alive at a time (a bucket's, alive while all its SKUs were built and serialised, were
 * promoted to the old generation: measured 260 MB at 32k SKUs).
 */
async function bucketIndex(
  b: number,
  members: readonly string[],
  bucketSkus: number,
  series: SeriesTables,
  records: SkuRecords,
): Promise<{ indexOf: (j: number) => SkuIndex; rows: number; records: number }> {
  const first = b * bucketSkus;
  const d = await series.demand.read(b);
  const f = await series.forecasts.read(b);
  const demandOf = byMember(d, demandFields, first, members.length);
  const forecastsOf = byMember(f, forecastFields, first, members.length);
  const memberOf = (index: number) => members[index - first] as string;
  // Later rows of a SKU replace earlier ones, as `new Map(rows.map(r => [sku, r]))` keeps the last.
  const metrics = new Map((await records.metrics.read(b)).map(([i, r]) => [memberOf(i), r]));
  const actions = new Map((await records.actions.read(b)).map(([i, r]) => [memberOf(i), r]));
  const products = await records.products.read(b);
  const descriptions = new Map(products.map(([i, p]) => [memberOf(i), p[0]]));
  const firstSales = new Map(products.map(([i, p]) => [memberOf(i), p[1]]));
  const indexOf = (j: number): SkuIndex => {
    const sku = members[j] as string;
    const demand = new Map<string, DeltaRow[]>();
    const forecasts = new Map<string, DeltaRow[]>();
    if (demandOf.starts[j + 1]! > demandOf.starts[j]!) {
      const rows: DeltaRow[] = [];
      for (let r = demandOf.starts[j]!; r < demandOf.starts[j + 1]!; r++) {
        const k = demandOf.order[r]! * demandFields;
        rows.push({
          sku,
          date: isoOfDay(d[k + 1] as number),
          units: numOrNull(d[k + 2] as number),
          on_hand: numOrNull(d[k + 3] as number),
        });
      }
      demand.set(sku, rows);
    }
    if (forecastsOf.starts[j + 1]! > forecastsOf.starts[j]!) {
      const rows: DeltaRow[] = [];
      for (let r = forecastsOf.starts[j]!; r < forecastsOf.starts[j + 1]!; r++) {
        const k = forecastsOf.order[r]! * forecastFields;
        const target = f[k + 1] as number;
        const modelId = f[k + 7] as number;
        rows.push({
          sku,
          target_date: Number.isNaN(target) ? null : isoOfDay(target),
          point: numOrNull(f[k + 2] as number),
          q05: numOrNull(f[k + 3] as number),
          q25: numOrNull(f[k + 4] as number),
          q75: numOrNull(f[k + 5] as number),
          q95: numOrNull(f[k + 6] as number),
          model: modelId < 0 ? null : (series.models[modelId] ?? null),
        });
      }
      forecasts.set(sku, rows);
    }
    return { demand, forecasts, metrics, actions, descriptions, firstSales };
  };
  return {
    indexOf,
    rows: d.length / demandFields + f.length / forecastFields,
    records: metrics.size + actions.size + products.length,
  };
}

/**
 * The page's fleet-wide parts, summed SKU by SKU as the buckets go by. Per SKU only numbers are
 * kept (its urgency sort key and where its series and catalogue entry are in the scratch files);
 * models, the MASE histogram's values and the top movers are bounded aggregates.
 */
class FleetSums {
  readonly models: Record<string, number> = {};
  readonly modelFamilies: Record<string, number> = {};
  readonly mase: number[] = [];
  horizonDays = 0;
  private movers: DashboardData['movers'] = [];
  readonly urgency: Float64Array;
  readonly cover: Float64Array;
  readonly recent: Float64Array;
  readonly draw: Uint8Array;
  readonly seriesAt: Float64Array;
  readonly seriesLength: Float64Array;
  readonly entryAt: Float64Array;
  readonly entryLength: Float64Array;

  constructor(readonly skus: readonly string[]) {
    const n = skus.length;
    [this.urgency, this.cover, this.recent, this.seriesAt, this.seriesLength, this.entryAt, this.entryLength] = Array.from(
      { length: 7 },
      () => new Float64Array(n),
    ) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    this.draw = new Uint8Array(n);
  }

  add(i: number, s: DashboardSku, series: { at: number; length: number }, entry: { at: number; length: number }): void {
    this.urgency[i] = urgencyOf(s.action);
    this.cover[i] = coverOf(s.action);
    this.recent[i] = recentUnits(s);
    this.draw[i] = hasSomethingToDraw(s) ? 1 : 0;
    this.seriesAt[i] = series.at;
    this.seriesLength[i] = series.length;
    this.entryAt[i] = entry.at;
    this.entryLength[i] = entry.length;
    if (s.model) {
      this.models[s.model] = (this.models[s.model] ?? 0) + 1;
      const family = modelFamily(s.model);
      this.modelFamilies[family] = (this.modelFamilies[family] ?? 0) + 1;
    }
    if (s.metrics?.mase !== null && s.metrics?.mase !== undefined) this.mase.push(s.metrics.mase);
    this.horizonDays = Math.max(this.horizonDays, s.point.length);
    const mover = moverOf(s);
    if (isMover(mover)) {
      this.movers.push(mover);
      if (this.movers.length > 10 * moversShown) this.movers = this.movers.sort(byMoverChange).slice(0, moversShown);
    }
  }

  topMovers(): DashboardData['movers'] {
    return this.movers.sort(byMoverChange).slice(0, moversShown);
  }

  /** SKU indexes in urgency order (byUrgency's order). */
  ordered(): number[] {
    const key = (i: number): UrgencySortKey => ({
      urgency: this.urgency[i] as number,
      cover: this.cover[i] as number,
      recent: this.recent[i] as number,
      sku: this.skus[i] as string,
    });
    return Array.from({ length: this.skus.length }, (_, i) => i).sort((a, b) => byUrgencyKey(key(a), key(b)));
  }
}

/**
 * Reads `length` bytes at `offset` of an open scratch file. Synchronously: it runs once per SKU for
 * a few KB of this write's own scratch file (in the page cache), where an async read's thread-pool
 * round trip cost more CPU than the read.
 */
function readAt(file: fs.FileHandle, offset: number, length: number): string {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(file.fd, buffer, done, length - done, offset + done);
    if (n === 0) throw new Error(`scratch file ended at ${offset + done}, ${length - done} byte(s) short`);
    done += n;
  }
  return buffer.toString('utf8');
}

/** A SKU's catalogue entry in the scratch file: what the catalogue and the action table show of it. */
type CatalogueEntry = [description: string | null, action: DashboardSku['action'], model: string | null];
const catalogueColumns = ['sku', 'description', 'action', 'model'] as const;

/**
 * The SKUs in urgency order: their series chunks, the columnar catalogue (each column appended to
 * its scratch file chunk by chunk, then joined into catalogue.js) and the head's action table (at
 * most actionsShownPerKind rows of a kind). One chunk of SKUs is in memory at a time.
 */
async function writeOrderedParts(input: StreamedDashboardInput, sums: FleetSums, chunkSize: number) {
  const order = sums.ordered();
  const first = order.find((i) => sums.draw[i] === 1) ?? order[0];
  const chunks = Math.ceil(order.length / chunkSize);
  const top = new TopActionRows();
  const writer = new PartWriter(input.partsDir, input.earlierParts);
  const columnFile = (c: string) => path.join(input.scratch, `catalogue-${c}.json`);
  const series = await fs.open(path.join(input.scratch, 'series.json'), 'r');
  const entries = await fs.open(path.join(input.scratch, 'catalogue.jsonl'), 'r');
  // Each column file open once for the whole write (an appendFile per chunk and column was an open and a close each).
  const columnFiles = new Map<string, fs.FileHandle>();
  try {
    for (const column of catalogueColumns) columnFiles.set(column, await fs.open(columnFile(column), 'w'));
    for (let c = 0; c < chunks; c++) {
      const members = order.slice(c * chunkSize, (c + 1) * chunkSize);
      const texts: string[] = [];
      const columns: Record<(typeof catalogueColumns)[number], string[]> = { sku: [], description: [], action: [], model: [] };
      for (const i of members) {
        texts.push(readAt(series, sums.seriesAt[i] as number, sums.seriesLength[i] as number));
        const [description, action, model] = JSON.parse(
          readAt(entries, sums.entryAt[i] as number, sums.entryLength[i] as number),
        ) as CatalogueEntry;
        const sku = sums.skus[i] as string;
        top.add({ sku, description, action });
        columns.sku.push(scriptSafeJson(sku));
        columns.description.push(scriptSafeJson(description));
        columns.action.push(scriptSafeJson(action?.action ?? null));
        columns.model.push(scriptSafeJson(model));
      }
      const name = chunkPartName(c);
      await writer.write(`${name}.js`, `window.demandDashboardPart(${JSON.stringify(name)}, [${texts.join(',')}]);\n`);
      for (const column of catalogueColumns)
        await columnFiles.get(column)!.appendFile(`${c > 0 ? ',' : ''}${columns[column].join(',')}`, 'utf8');
    }
  } finally {
    await series.close();
    await entries.close();
    for (const file of columnFiles.values()) await file.close();
  }
  // partScript('catalogue', { sku, description, action, model }), one column file at a time.
  const catalogue = path.join(input.partsDir, 'catalogue.js');
  await fs.writeFile(catalogue, 'window.demandDashboardPart("catalogue", {', 'utf8');
  for (const [k, column] of catalogueColumns.entries()) {
    await fs.appendFile(catalogue, `${k > 0 ? ',' : ''}"${column}":[`, 'utf8');
    if (chunks > 0) await pipeline(createReadStream(columnFile(column)), createWriteStream(catalogue, { flags: 'a' }));
    await fs.appendFile(catalogue, ']', 'utf8');
  }
  await fs.appendFile(catalogue, '});\n', 'utf8');
  return { firstSku: first === undefined ? null : (sums.skus[first] ?? null), actionRows: top.rows, chunks, writer };
}

export interface StreamedDashboardInput {
  services: Pick<PipelineServices, 'lake' | 'abortSignal'> & Partial<Pick<PipelineServices, 'entities'>>;
  /** Scratch folder of this write (removed by the caller). */
  scratch: string;
  /** Folder the part files go to (exists, empty). */
  partsDir: string;
  /** The parts folder's name relative to the HTML. */
  partsDirName: string;
  /** The parts of the dashboard this write replaces: unchanged chunks are linked from there. */
  earlierParts?: EarlierParts;
  options: StreamedDashboardOptions;
}

/** Counts quarantined rows by reason, streaming (quality panel). */
async function quarantineQuality(lake: LakeStore, run: string | undefined, signal: { abortSignal?: AbortSignal }) {
  let quarantined = 0;
  const reasons: Record<string, number> = {};
  for await (const row of streamLakeRows(lake, 'quarantine', {
    partitionFilter: (v) => v.run_id === run,
    columns: ['run_id', 'reason'],
    ...signal,
  })) {
    quarantined += 1;
    const reason = String(row.reason);
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return { quarantined, reasons };
}

/** The SKUs a dashboard shows (sorted) and what was read to find them: its runs, their ranks, each SKU's best run. */
export interface ShownSkus {
  scope: DashboardScope;
  /** The runs whose forecasts partitions are read (all runs shown, or only the runs new since `previous`). */
  forecastRuns: Set<string>;
  /** The dashboard this one replaces, when runs were only added in front of its runs. */
  previous?: PreviousView;
  /** The runs new since `previous`. */
  newRuns?: Set<string>;
  rank: Map<string, number>;
  skus: string[];
  best: Map<string, number>;
  /** The last day of demand in the window, when no forecast decides the history window. */
  lastDemandDay: string | null;
}

/** The SKUs a dashboard shows (those forecast in its runs, else those with demand), read with one column pair per table. */
export async function streamedDashboardSkus(
  services: StreamedDashboardInput['services'],
  options: StreamedDashboardOptions,
  known: { scope?: DashboardScope; previous?: PreviousView } = {},
): Promise<ShownSkus> {
  const signal = signalOf(services);
  const scope = known.scope ?? (await dashboardScope(services, options));
  const rank = new Map(scope.runs.map((run, i) => [run, i]));
  const newRuns = known.previous ? newRunsSince(known.previous.view, scope) : undefined;
  const incremental = newRuns && known.previous ? { previous: known.previous, newRuns } : {};
  let forecastRuns = newRuns ?? scope.runSet;
  let best = await forecastRanks(services.lake, forecastRuns, rank, signal);
  if (newRuns && known.previous && !coversAll(await known.previous.skus('forecasts'), best)) {
    // Some SKU shown before has no forecast in the new runs: its current one is in an older run.
    forecastRuns = scope.runSet;
    best = await forecastRanks(services.lake, forecastRuns, rank, signal);
  }
  if (best.size > 0) return { scope, rank, skus: [...best.keys()].sort(), best, lastDemandDay: null, forecastRuns, ...incremental };
  const demand = await demandSkus(services.lake, scope.firstMonth, signal);
  return { scope, rank, skus: [...demand.skus].sort(), best, lastDemandDay: demand.lastDay, forecastRuns, ...incremental };
}

/**
 * Writes the split dashboard's part files into `partsDir` and returns the page's HTML and what it
 * held. The files equal renderDashboardFiles(loadDashboardData(...), { partsDir }) for the same lake.
 */
export async function writeStreamedDashboardParts(
  input: StreamedDashboardInput,
  shown: ShownSkus,
): Promise<{ html: string; stats: StreamedDashboardStats; runId: string | null; head: DashboardHead; partHashes: Record<string, string> }> {
  const { services, scratch, options } = input;
  const { lake } = services;
  const signal = signalOf(services);
  const historyDays = checkedHistoryDays(options.historyDays ?? defaultHistoryDays);
  const bucketSkus = options.bucketSkus ?? defaultDashboardBucketSkus;
  const chunkSize = options.chunkSize ?? defaultChunkSize;
  const { scope, rank } = shown;
  const runId = scope.runs[0] ?? null;

  await writeSkuList(input.partsDir, 'forecasts', shown.best.size > 0 ? shown.skus : []);
  const slot = new Map(shown.skus.map((sku, i) => [sku, i]));
  const records = await spillRecords(input, shown, slot, bucketSkus);
  const series = await spillSeries(
    lake,
    scratch,
    slot,
    { runSet: shown.forecastRuns, firstMonth: scope.firstMonth },
    { rank, best: shown.best },
    bucketSkus,
    signal,
  );
  // fleetHistoryStart reads forecasts[0].origin_date, else the last demand day.
  const windowStart = fleetHistoryStart(
    {
      forecasts: series.originDate !== null || series.forecastRows > 0 ? [{ origin_date: series.originDate }] : [],
      dailyDemand: shown.lastDemandDay !== null ? [{ date: shown.lastDemandDay }] : [],
    },
    historyDays,
  );

  const sums = new FleetSums(shown.skus);
  const stats: StreamedDashboardStats = {
    skus: shown.skus.length,
    buckets: Math.ceil(shown.skus.length / bucketSkus),
    maxBucketRows: 0,
    maxBucketRecords: 0,
  };
  const out = await fs.open(path.join(scratch, 'series.json'), 'w');
  const entries = await fs.open(path.join(scratch, 'catalogue.jsonl'), 'w');
  const at = { series: 0, entry: 0 };
  try {
    for (let b = 0; b < stats.buckets; b++) {
      const members = shown.skus.slice(b * bucketSkus, (b + 1) * bucketSkus);
      const bucket = await bucketIndex(b, members, bucketSkus, series, records);
      stats.maxBucketRows = Math.max(stats.maxBucketRows, bucket.rows);
      stats.maxBucketRecords = Math.max(stats.maxBucketRecords, bucket.records);
      const texts: string[] = [];
      const lines: string[] = [];
      members.forEach((sku, j) => {
        const s = dashboardSku(sku, bucket.indexOf(j), windowStart, historyDays);
        const text = scriptSafeJson(s);
        const line = JSON.stringify([s.description, s.action, s.model] satisfies CatalogueEntry);
        const seriesSlot = { at: at.series, length: Buffer.byteLength(text) };
        const entrySlot = { at: at.entry, length: Buffer.byteLength(line) };
        sums.add(b * bucketSkus + j, s, seriesSlot, entrySlot);
        at.series += seriesSlot.length;
        at.entry += entrySlot.length;
        texts.push(text);
        lines.push(line);
      });
      await out.write(texts.join(''));
      await entries.write(lines.join(''));
    }
  } finally {
    await out.close();
    await entries.close();
  }
  const parts = await writeOrderedParts(input, sums, chunkSize);
  stats.chunksWritten = parts.writer.written;
  stats.chunksLinked = parts.writer.linked;

  const drift = newestDriftCheck(
    await readLakeRows(lake, 'drift_events', { partitionFilter: (v) => scope.runSet.has(v.run_id ?? ''), ...signal }),
  );
  const head: DashboardHead = {
    runId,
    generatedAt: new Date().toISOString(),
    lake: lake.location,
    historyDays,
    summary: {
      skus: shown.skus.length,
      forecastRows: series.forecastRows,
      originDate: series.originDate,
      horizonDays: sums.horizonDays,
      expectedUnits: series.expectedKnown > 0 ? Math.round(series.expectedTotal * 10) / 10 : null,
      models: sums.models,
      modelFamilies: sums.modelFamilies,
      wape: records.wape.wape(),
      medianMase: median(records.mase),
      actions: records.actionCounts,
      atRisk: records.atRisk,
      driftEvents: drift.length,
    },
    quality: {
      ...(await quarantineQuality(lake, scope.quarantineRun, signal)),
      cancellations: await cancellationsOfRun(lake, scope.quarantineRun, signal),
    },
    accuracy: maseHistogram(sums.mase),
    movers: sums.topMovers(),
    drift,
    firstSku: parts.firstSku,
    actionRows: parts.actionRows,
    chunkSize,
    chunks: parts.chunks,
  };
  const html = renderPage(head, { head, inline: {}, partsDir: input.partsDirName }, options.assets);
  return { html, stats, runId, head, partHashes: parts.writer.hashes };
}
