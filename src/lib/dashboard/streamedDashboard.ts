/**
 * The split dashboard of a large fleet, written with memory flat in the SKU count: the same files
 * as loadDashboardData → renderDashboardFiles, but no table is held whole. Gold and Silver rows are
 * streamed; the per-SKU series rows are regrouped through scratch files by bucket of SKUs
 * (SkuRowSpill) and each bucket's SKUs are built and serialised to a scratch file, one bucket in
 * memory at a time. What stays in memory per SKU is small and needed for the page's fleet-wide
 * parts: the catalogue entry (SKU, description, action, model), its sort key, the current metrics
 * and action row, and the offset of its serialised series.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DeltaRow } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import { readLakeRows, streamLakeRows } from '../publish/lakeRows';
import {
  atRiskCount,
  byMoverChange,
  cancellationsOfRun,
  checkedHistoryDays,
  countBy,
  dashboardScope,
  dashboardSku,
  defaultHistoryDays,
  fleetHistoryStart,
  isMover,
  maseHistogram,
  median,
  moverOf,
  moversShown,
  newestDriftCheck,
  pooledWape,
  type DashboardData,
  type DashboardScope,
  type DashboardSku,
  type SkuIndex,
} from './dashboardData';
import { byUrgency, defaultChunkSize, hasSomethingToDraw, recentUnits, topActionRows, type DashboardHead } from './dashboardParts';
import { coversAll, newRunsSince, type DashboardView } from './dashboardView';
import { modelFamily } from './modelNames';
import type { PipelineServices } from '../pipelineServices';
import { signalOf } from '../pipelineServices';
import { chunkPartName, partScript, renderPage, scriptSafeJson, type ChartAssets } from './renderHtml';
import { SkuRowSpill } from './skuRowSpill';

/** SKUs whose series rows are in memory at a time (250 × ~200 days ≈ 50,000 rows ≈ 10 MB as row objects). */
export const defaultDashboardBucketSkus = 250;

const dayMs = 86_400_000;
// A fleet's rows share a few hundred days: each date is parsed and printed once (per-row Date work was most of the CPU).
const dayNumbers = new Map<string, number>();
const dayTexts = new Map<number, string>();
function dayOf(date: string): number {
  let n = dayNumbers.get(date);
  if (n === undefined) {
    n = Math.round(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) / dayMs);
    if (dayNumbers.size >= 100_000) dayNumbers.clear();
    dayNumbers.set(date, n);
  }
  return n;
}
function isoOfDay(n: number): string {
  let text = dayTexts.get(n);
  if (text === undefined) {
    text = new Date(n * dayMs).toISOString().slice(0, 10);
    if (dayTexts.size >= 100_000) dayTexts.clear();
    dayTexts.set(n, text);
  }
  return text;
}
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
}

/** The rows of a run-partitioned Gold table that are current per key (SKU): those of the newest run shown that has any. */
class CurrentRows {
  private readonly best = new Map<string, { rank: number; rows: Array<{ seq: number; row: DeltaRow }> }>();
  private seq = 0;

  constructor(private readonly rank: ReadonlyMap<string, number>) {}

  add(row: DeltaRow): void {
    const key = String(row['sku']);
    const rank = this.rank.get(String(row['run_id'])) ?? Number.MAX_SAFE_INTEGER;
    const seq = this.seq++;
    const entry = this.best.get(key);
    if (!entry || rank < entry.rank) this.best.set(key, { rank, rows: [{ seq, row }] });
    else if (rank === entry.rank) entry.rows.push({ seq, row });
  }

  /** The current rows in the order they were read (newestRowsPerSku's order). */
  rows(): DeltaRow[] {
    return [...this.best.values()]
      .flatMap((e) => e.rows)
      .sort((a, b) => a.seq - b.seq)
      .map((e) => e.row);
  }

  /** The keys (SKUs) that have a current row. */
  keys(): Set<string> {
    return new Set(this.best.keys());
  }

  /** Per key the last current row (as `new Map(rows.map(r => [sku, r]))` keeps). */
  lastByKey(): Map<string, DeltaRow> {
    const out = new Map<string, DeltaRow>();
    for (const row of this.rows()) out.set(String(row['sku']), row);
    return out;
  }
}

/** A SKU as the fleet-wide parts of the page need it, after its series went to the scratch file. */
interface SkuEntry {
  sku: string;
  description: string | null;
  action: DashboardSku['action'];
  model: string | null;
  recent: number;
  draw: boolean;
  offset: number;
  length: number;
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
  for await (const row of streamLakeRows(lake, 'forecasts', {
    partitionFilter: (v) => runSet.has(v.run_id ?? ''),
    columns: ['sku', 'run_id'],
    ...signal,
  })) {
    const sku = str(row.sku);
    if (sku === null) continue;
    const r = rank.get(String(row.run_id)) ?? Number.MAX_SAFE_INTEGER;
    if (r < (best.get(sku) ?? Number.MAX_SAFE_INTEGER)) best.set(sku, r);
  }
  return best;
}

async function currentRowsOf(
  lake: LakeStore,
  name: 'forecast_metrics' | 'inventory_actions',
  runSet: Set<string>,
  rank: Map<string, number>,
  signal: { abortSignal?: AbortSignal },
): Promise<CurrentRows> {
  const current = new CurrentRows(rank);
  // No projection: an older lake's table may lack a newer column (the in-memory build reads them all too).
  for await (const row of streamLakeRows(lake, name, { partitionFilter: (v) => runSet.has(v.run_id ?? ''), ...signal })) current.add(row);
  return current;
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
  for await (const row of streamLakeRows(lake, 'daily_demand', {
    partitionFilter: (v) => (v.month ?? '') >= scope.firstMonth,
    columns: ['sku', 'date', 'units', 'on_hand'],
    ...signal,
  })) {
    const index = slot.get(String(row.sku));
    const date = str(row.date);
    if (index === undefined || date === null) continue;
    await demand.add([index, dayOf(date), numOrNaN(row.units), numOrNaN(row.on_hand)]);
  }
  await demand.flush();
  const forecasts = new SkuRowSpill(scratch, 'forecasts', forecastFields, bucketSkus);
  const modelIds = new Map<string, number>();
  const tables: SeriesTables = { demand, forecasts, models: [], forecastRows: 0, originDate: null, expectedTotal: 0, expectedKnown: 0 };
  for await (const row of streamLakeRows(lake, 'forecasts', {
    partitionFilter: (v) => scope.runSet.has(v.run_id ?? ''),
    // No projection: forecasts written before the expected column must still read.
    ...signal,
  })) {
    const sku = String(row.sku);
    if ((ranks.rank.get(String(row.run_id)) ?? Number.MAX_SAFE_INTEGER) !== ranks.best.get(sku)) continue;
    // The first current row, as forecasts[0] of the whole current table: the fleet's origin.
    if (tables.forecastRows === 0) tables.originDate = str(row.origin_date);
    tables.forecastRows += 1;
    if (typeof row.expected === 'number' && Number.isFinite(row.expected)) {
      tables.expectedTotal += row.expected;
      tables.expectedKnown += 1;
    }
    const index = slot.get(sku);
    if (index === undefined) continue;
    const model = str(row.model);
    let modelId = -1;
    if (model !== null) {
      modelId = modelIds.get(model) ?? tables.models.length;
      if (modelId === tables.models.length) {
        modelIds.set(model, modelId);
        tables.models.push(model);
      }
    }
    const target = str(row.target_date);
    await forecasts.add([
      index,
      target === null ? Number.NaN : dayOf(target),
      numOrNaN(row.point),
      numOrNaN(row.q05),
      numOrNaN(row.q25),
      numOrNaN(row.q75),
      numOrNaN(row.q95),
      modelId,
    ]);
  }
  await forecasts.flush();
  return tables;
}

/** One bucket's SKUs rebuilt as the rows dashboardSku() reads (only the columns it reads). */
async function bucketIndex(
  b: number,
  members: readonly string[],
  bucketSkus: number,
  series: SeriesTables,
  fleet: Pick<SkuIndex, 'metrics' | 'actions' | 'descriptions' | 'firstSales'>,
): Promise<{ index: SkuIndex; rows: number }> {
  const demand = new Map<string, DeltaRow[]>();
  const forecasts = new Map<string, DeltaRow[]>();
  const push = (map: Map<string, DeltaRow[]>, sku: string, row: DeltaRow) => {
    const list = map.get(sku);
    if (list) list.push(row);
    else map.set(sku, [row]);
  };
  const d = await series.demand.read(b);
  for (let k = 0; k < d.length; k += demandFields) {
    const sku = members[(d[k] as number) - b * bucketSkus] as string;
    push(demand, sku, {
      sku,
      date: isoOfDay(d[k + 1] as number),
      units: numOrNull(d[k + 2] as number),
      on_hand: numOrNull(d[k + 3] as number),
    });
  }
  const f = await series.forecasts.read(b);
  for (let k = 0; k < f.length; k += forecastFields) {
    const sku = members[(f[k] as number) - b * bucketSkus] as string;
    const target = f[k + 1] as number;
    const modelId = f[k + 7] as number;
    push(forecasts, sku, {
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
  return { index: { demand, forecasts, ...fleet }, rows: d.length / demandFields + f.length / forecastFields };
}

/** The page's fleet-wide parts, summed SKU by SKU as the buckets go by. */
class FleetSums {
  readonly entries: SkuEntry[] = [];
  readonly models: Record<string, number> = {};
  readonly modelFamilies: Record<string, number> = {};
  readonly mase: number[] = [];
  horizonDays = 0;
  private movers: DashboardData['movers'] = [];

  add(s: DashboardSku, offset: number, length: number): void {
    this.entries.push({
      sku: s.sku,
      description: s.description,
      action: s.action,
      model: s.model,
      recent: recentUnits(s),
      draw: hasSomethingToDraw(s),
      offset,
      length,
    });
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
}

/** The catalogue and head of the split page from the summed entries (splitDashboard's shapes). */
function pageParts(sums: FleetSums, chunkSize: number) {
  const ordered = sums.entries.slice().sort(byUrgency);
  const actionRows = topActionRows(ordered);
  const first = ordered.find((s) => s.draw) ?? ordered[0];
  return {
    ordered,
    firstSku: first?.sku ?? null,
    actionRows,
    chunks: Math.ceil(ordered.length / chunkSize),
    catalogue: {
      sku: ordered.map((s) => s.sku),
      description: ordered.map((s) => s.description),
      action: ordered.map((s) => s.action?.action ?? null),
      model: ordered.map((s) => s.model),
    },
  };
}

/** Reads `length` bytes at `offset` of an open file. */
async function readAt(file: fs.FileHandle, offset: number, length: number): Promise<string> {
  const buffer = Buffer.alloc(length);
  await file.read(buffer, 0, length, offset);
  return buffer.toString('utf8');
}

export interface StreamedDashboardInput {
  services: Pick<PipelineServices, 'lake' | 'abortSignal'> & Partial<Pick<PipelineServices, 'entities'>>;
  /** Scratch folder of this write (removed by the caller). */
  scratch: string;
  /** Folder the part files go to (exists, empty). */
  partsDir: string;
  /** The parts folder's name relative to the HTML. */
  partsDirName: string;
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
  /** The view of the dashboard this one replaces, when only runs were added in front of its runs. */
  previous?: DashboardView;
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
  known: { scope?: DashboardScope; previous?: DashboardView } = {},
): Promise<ShownSkus> {
  const signal = signalOf(services);
  const scope = known.scope ?? (await dashboardScope(services, options));
  const rank = new Map(scope.runs.map((run, i) => [run, i]));
  const newRuns = known.previous ? newRunsSince(known.previous, scope) : undefined;
  const incremental = newRuns && known.previous ? { previous: known.previous, newRuns } : {};
  let forecastRuns = newRuns ?? scope.runSet;
  let best = await forecastRanks(services.lake, forecastRuns, rank, signal);
  if (newRuns && !coversAll(known.previous!.skus.forecasts, best)) {
    // Some SKU shown before has no forecast in the new runs: its current one is in an older run.
    forecastRuns = scope.runSet;
    best = await forecastRanks(services.lake, forecastRuns, rank, signal);
  }
  if (best.size > 0) return { scope, rank, skus: [...best.keys()].sort(), best, lastDemandDay: null, forecastRuns, ...incremental };
  const demand = await demandSkus(services.lake, scope.firstMonth, signal);
  return { scope, rank, skus: [...demand.skus].sort(), best, lastDemandDay: demand.lastDay, forecastRuns, ...incremental };
}

/** A table's current rows, from the new runs alone when they hold every SKU that had a row before, else from every run shown. */
async function currentRowsSince(
  lake: LakeStore,
  name: 'forecast_metrics' | 'inventory_actions',
  shown: ShownSkus,
  signal: { abortSignal?: AbortSignal },
): Promise<CurrentRows> {
  if (shown.previous && shown.newRuns) {
    const fromNew = await currentRowsOf(lake, name, shown.newRuns, shown.rank, signal);
    if (coversAll(shown.previous.skus[name], fromNew.keys())) return fromNew;
  }
  return currentRowsOf(lake, name, shown.scope.runSet, shown.rank, signal);
}

/**
 * Writes the split dashboard's part files into `partsDir` and returns the page's HTML and what it
 * held. The files equal renderDashboardFiles(loadDashboardData(...), { partsDir }) for the same lake.
 */
export async function writeStreamedDashboardParts(
  input: StreamedDashboardInput,
  shown: ShownSkus,
): Promise<{ html: string; stats: StreamedDashboardStats; runId: string | null; head: DashboardHead; skus: DashboardView['skus'] }> {
  const { services, scratch, options } = input;
  const { lake } = services;
  const signal = signalOf(services);
  const historyDays = checkedHistoryDays(options.historyDays ?? defaultHistoryDays);
  const bucketSkus = options.bucketSkus ?? defaultDashboardBucketSkus;
  const chunkSize = options.chunkSize ?? defaultChunkSize;
  const { scope, rank } = shown;
  const runId = scope.runs[0] ?? null;

  const metrics = await currentRowsSince(lake, 'forecast_metrics', shown, signal);
  const actions = await currentRowsSince(lake, 'inventory_actions', shown, signal);
  const fleet = {
    metrics: metrics.lastByKey(),
    actions: actions.lastByKey(),
    descriptions: new Map<string, string | null>(),
    firstSales: new Map<string, string | null>(),
  };
  for await (const r of streamLakeRows(lake, 'products', { columns: ['sku', 'description', 'first_sale_date'], ...signal })) {
    fleet.descriptions.set(String(r.sku), str(r.description));
    fleet.firstSales.set(String(r.sku), str(r.first_sale_date));
  }
  const slot = new Map(shown.skus.map((sku, i) => [sku, i]));
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

  const sums = new FleetSums();
  const stats: StreamedDashboardStats = { skus: shown.skus.length, buckets: Math.ceil(shown.skus.length / bucketSkus), maxBucketRows: 0 };
  const seriesPath = path.join(scratch, 'series.json');
  const out = await fs.open(seriesPath, 'w');
  let offset = 0;
  try {
    for (let b = 0; b < stats.buckets; b++) {
      const members = shown.skus.slice(b * bucketSkus, (b + 1) * bucketSkus);
      const { index, rows } = await bucketIndex(b, members, bucketSkus, series, fleet);
      stats.maxBucketRows = Math.max(stats.maxBucketRows, rows);
      const texts: string[] = [];
      for (const sku of members) {
        const s = dashboardSku(sku, index, windowStart, historyDays);
        const text = scriptSafeJson(s);
        const length = Buffer.byteLength(text);
        sums.add(s, offset, length);
        offset += length;
        texts.push(text);
      }
      await out.write(texts.join(''));
    }
  } finally {
    await out.close();
  }

  const drift = newestDriftCheck(
    await readLakeRows(lake, 'drift_events', { partitionFilter: (v) => scope.runSet.has(v.run_id ?? ''), ...signal }),
  );
  const metricRows = metrics.rows();
  const actionRowsAll = actions.rows();
  const parts = pageParts(sums, chunkSize);
  const head: DashboardHead = {
    runId,
    generatedAt: new Date().toISOString(),
    lake: lake.location,
    historyDays,
    summary: {
      skus: sums.entries.length,
      forecastRows: series.forecastRows,
      originDate: series.originDate,
      horizonDays: sums.horizonDays,
      expectedUnits: series.expectedKnown > 0 ? Math.round(series.expectedTotal * 10) / 10 : null,
      models: sums.models,
      modelFamilies: sums.modelFamilies,
      wape: pooledWape(metricRows),
      medianMase: median(
        metricRows
          .map((r) => (typeof r.mase === 'number' && Number.isFinite(r.mase) ? r.mase : null))
          .filter((v): v is number => v !== null),
      ),
      actions: countBy(actionRowsAll, (r) => String(r.action)),
      atRisk: atRiskCount(actionRowsAll),
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

  await fs.writeFile(path.join(input.partsDir, 'catalogue.js'), partScript('catalogue', parts.catalogue), 'utf8');
  const source = await fs.open(seriesPath, 'r');
  try {
    for (let c = 0; c < parts.chunks; c++) {
      const members = parts.ordered.slice(c * chunkSize, (c + 1) * chunkSize);
      const texts: string[] = [];
      for (const s of members) texts.push(await readAt(source, s.offset, s.length));
      const name = chunkPartName(c);
      await fs.writeFile(
        path.join(input.partsDir, `${name}.js`),
        `window.demandDashboardPart(${JSON.stringify(name)}, [${texts.join(',')}]);\n`,
        'utf8',
      );
    }
  } finally {
    await source.close();
  }
  const html = renderPage(head, { head, inline: {}, partsDir: input.partsDirName }, options.assets);
  const skus = {
    forecasts: shown.best.size > 0 ? shown.skus : [],
    forecast_metrics: [...metrics.keys()].sort(),
    inventory_actions: [...actions.keys()].sort(),
  };
  return { html, stats, runId, head, skus };
}
