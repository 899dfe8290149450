/**
 * Warm start vs full selection (src/lib/forecast/warmStart.ts): accuracy on a hold-out and CPU per
 * SKU, on the same series in the same run. Per series: the last H days are held out; a full
 * selection on the history up to `--age` days before the forecast origin makes the record (what a
 * run `age` days earlier stored); at the origin, full selection and warm start (re-fitting the
 * recorded choice) both forecast the hold-out. Printed per dataset: fleet WAPE, mean MASE (lag-7
 * naive scale) and fleet bias of both, the share of SKUs warm-started (a profile change or a
 * member that cannot fit falls back to full selection), and SKUs per core-second of each (one
 * thread, in-process; the reference is full selection in the same run).
 *
 *   npm run bench -- warm-start [--datasets sample,store,synthetic,retail] [--age 6] [--horizon 28] [--limit N]
 *     [--synthetic-skus 400] [--retail-skus 400]
 *   npm run bench -- warm-start --batches <workspace>/lake/runs/<runId>/batches   (a real run's plan: CPU only)
 *   (or, once built: node dist/bench/warmStart.js)
 *
 * Datasets: sample = the bundled Online Retail excerpt (daily units per SKU from its sale lines,
 * SKUs with at least 60 days of history); store = ../shared/data/store_item_demand (stores 1-5,
 * 250 series; skipped with a message when absent); synthetic = src/lib/sample/syntheticFleet;
 * retail = every k-th SKU of both Online Retail files (../shared/data; skipped when absent).
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { skuBatchSchema } from '../src/contracts/skuBatches';
import { holdoutScores } from '../src/lib/forecast/backtest';
import { ForecastPool } from '../src/lib/forecast/pool';
import { forecastSeries } from '../src/lib/forecast/forecastSeries';
import type { SeriesInput, SkuForecast } from '../src/lib/forecast/types';
import { loadSampleOrders, packageRoot } from '../src/lib/sample/sampleOrders';
import { syntheticFleet, syntheticUnits } from '../src/lib/sample/syntheticFleet';
import type { OrderRecord } from '../src/lib/ingest/orderRecord';
import { readOnlineRetailTwoYears } from '../src/lib/sample/onlineRetailCsv';
import { argValue, onlineRetailPaths } from './args';

interface Series {
  sku: string;
  startDate: string;
  values: number[];
}

const dayMs = 86_400_000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Daily units per SKU from sale lines (product code, not a C/A invoice, quantity and price > 0), zero-filled. */
async function seriesOfOrders(orders: AsyncIterable<OrderRecord>): Promise<Series[]> {
  const byKey = new Map<string, Map<string, number>>();
  for await (const r of orders) {
    const sku = String(r.StockCode ?? '')
      .trim()
      .toUpperCase();
    const qty = Number(r.Quantity);
    if (!/^\d{5}/.test(sku) || /^[CA]/.test(String(r.InvoiceNo)) || !(qty > 0) || !(Number(r.UnitPrice) > 0)) continue;
    const day = String(r.InvoiceDate).slice(0, 10);
    const days = byKey.get(sku) ?? new Map<string, number>();
    days.set(day, (days.get(day) ?? 0) + qty);
    byKey.set(sku, days);
  }
  let end = '';
  for (const days of byKey.values()) for (const d of days.keys()) if (d > end) end = d;
  const out: Series[] = [];
  for (const [sku, days] of [...byKey].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const first = [...days.keys()].sort()[0]!;
    const n = Math.round((Date.parse(end) - Date.parse(first)) / dayMs) + 1;
    if (n < 60 || days.size < 5) continue;
    const values = Array.from({ length: n }, (_, i) => days.get(isoDay(Date.parse(first) + i * dayMs)) ?? 0);
    out.push({ sku, startDate: first, values });
  }
  return out;
}

/** Every k-th SKU of both Online Retail files (2009-12..2011-12), `count` of them: a subset across the catalogue. */
async function retailSeries(count: number): Promise<Series[] | undefined> {
  const paths = onlineRetailPaths([]);
  if (!paths) return undefined;
  const all = await seriesOfOrders(readOnlineRetailTwoYears(paths));
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, i) => i % step === 0).slice(0, count);
}

function storeSeries(): Series[] | undefined {
  const file = path.resolve(packageRoot(), '../shared/data/store_item_demand/train_stores_1-5.csv.gz');
  if (!existsSync(file)) return undefined;
  const rows = new Map<string, Array<[string, number]>>();
  for (const line of gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n').slice(1)) {
    const [date, store, item, sales] = line.split(',') as [string, string, string, string];
    const id = `s${store}_i${item.padStart(2, '0')}`;
    const list = rows.get(id) ?? [];
    list.push([date, Number(sales)]);
    rows.set(id, list);
  }
  return [...rows.keys()].sort().map((sku) => {
    const list = rows.get(sku)!.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return { sku, startDate: list[0]![0], values: list.map((r) => r[1]) };
  });
}

function syntheticSeries(skus: number): Series[] {
  const fleet = syntheticFleet({ skus, days: 730, seed: 7 });
  const start = Date.parse(`${fleet.startDate}T00:00:00Z`);
  return fleet.skus
    .map((s) => {
      const from = s.activeFrom;
      const values = Array.from({ length: fleet.options.days - from }, (_, i) => syntheticUnits(fleet, s, from + i));
      return { sku: s.sku, startDate: isoDay(start + from * dayMs), values };
    })
    .filter((s) => s.values.some((v) => v > 0));
}

interface Totals {
  absError: number;
  absActual: number;
  signed: number;
  maseSum: number;
  maseCount: number;
  cpuUs: number;
}
const zero = (): Totals => ({ absError: 0, absActual: 0, signed: 0, maseSum: 0, maseCount: 0, cpuUs: 0 });

function timed(f: () => SkuForecast, into: Totals): SkuForecast {
  const c0 = process.cpuUsage();
  const out = f();
  const c = process.cpuUsage(c0);
  into.cpuUs += c.user + c.system;
  return out;
}

function score(into: Totals, train: number[], test: number[], f: SkuForecast): void {
  const s = holdoutScores(train, test, f.point, 7);
  into.absError += s.absError;
  into.absActual += s.absActual;
  into.signed += s.bias;
  if (Number.isFinite(s.mase)) {
    into.maseSum += s.mase;
    into.maseCount++;
  }
}

function runDataset(name: string, all: Series[], horizon: number, age: number, write: (s: string) => void): void {
  const options = { horizon, season: 7 };
  const full = zero();
  const warm = zero();
  let recorded = 0;
  let warmStarted = 0;
  let sameModel = 0;
  let n = 0;
  for (const s of all) {
    if (s.values.length < horizon + age + 30) continue;
    n++;
    const train = s.values.slice(0, -horizon);
    const test = s.values.slice(-horizon);
    const earlier = forecastSeries({ ...s, values: train.slice(0, train.length - age) }, options);
    const input: SeriesInput = { sku: s.sku, startDate: s.startDate, values: train };
    const f = timed(() => forecastSeries(input, options), full);
    const w = earlier.selection
      ? timed(
          () => forecastSeries({ ...input, warmStart: { model: earlier.model, profileKey: earlier.selection!.profileKey } }, options),
          warm,
        )
      : timed(() => forecastSeries(input, options), warm);
    if (earlier.selection) recorded++;
    if (w.selection?.mode === 'warm') warmStarted++;
    if (w.model === f.model) sameModel++;
    score(full, train, test, f);
    score(warm, train, test, w);
  }
  const line = (label: string, t: Totals): string =>
    `    ${label.padEnd(15)} WAPE ${(t.absError / t.absActual).toFixed(4)}  mean MASE ${(t.maseSum / t.maseCount).toFixed(4)}  bias ${((t.signed / t.absActual) * 100).toFixed(1).padStart(5)}%  ` +
    `CPU ${(t.cpuUs / 1e6).toFixed(1).padStart(6)} s = ${(n / (t.cpuUs / 1e6)).toFixed(1)} SKUs per core-second`;
  write(
    `  ${name}: ${n} series, H=${horizon}, record made ${age} day(s) before the origin; ${recorded} with a selection record, ${warmStarted} warm-started, ${sameModel} chose the same model as full selection\n`,
  );
  write(`${line('full selection', full)}\n${line('warm start', warm)}\n`);
  write(
    `    ratio warm/full: WAPE ${(warm.absError / warm.absActual / (full.absError / full.absActual)).toFixed(3)}, mean MASE ${(warm.maseSum / warm.maseCount / (full.maseSum / full.maseCount)).toFixed(3)}, CPU ${(warm.cpuUs / full.cpuUs).toFixed(3)}\n`,
  );
}

/**
 * The forecast work of a real pipeline run, from its planned batches (`--batches <lake>/runs/<runId>/batches`
 * of a workspace kept with `npm run bench -- pipeline --increment --keep W`): each batch forecast
 * as forecastBatch does (the batch's fleet prior, default policy), once with full selection for
 * every SKU and once with the warm starts the plan attached; one thread, in-process, so the CPU
 * is the models' alone (no retries, host or lake writes).
 */
async function runPlannedBatches(dir: string, horizon: number, write: (s: string) => void): Promise<void> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const pool = ForecastPool.create({ workers: 0 });
  const full = { cpuUs: 0 };
  const warm = { cpuUs: 0 };
  let skus = 0;
  let planned = 0;
  let warmStarted = 0;
  let same = 0;
  for (const file of files) {
    const batch = skuBatchSchema.parse(JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')));
    const inputs = batch.series.map((s) => ({ sku: s.sku, startDate: s.startDate, values: s.values, censored: s.censored }));
    const options = { horizon, season: 7 };
    let c0 = process.cpuUsage();
    const a = await pool.forecast(inputs, options);
    let c = process.cpuUsage(c0);
    full.cpuUs += c.user + c.system;
    c0 = process.cpuUsage();
    const b = await pool.forecast(
      batch.series.map((s, i) => ({ ...inputs[i]!, ...(s.warmStart ? { warmStart: s.warmStart } : {}) })),
      options,
    );
    c = process.cpuUsage(c0);
    warm.cpuUs += c.user + c.system;
    skus += inputs.length;
    planned += batch.series.filter((s) => s.warmStart).length;
    warmStarted += b.filter((f) => f.selection?.mode === 'warm').length;
    same += b.filter((f, i) => f.model === a[i]!.model).length;
  }
  await pool.close();
  const rate = (t: { cpuUs: number }): string =>
    `${(t.cpuUs / 1e6).toFixed(1)} s = ${(skus / (t.cpuUs / 1e6)).toFixed(1)} SKUs per core-second, ${(t.cpuUs / 1e3 / skus).toFixed(1)} ms per SKU`;
  write(
    `  planned batches ${dir}: ${files.length} batches, ${skus} SKUs, ${planned} with a warm start planned, ${warmStarted} warm-started, ${same} chose the same model as full selection\n`,
  );
  write(
    `    full selection  CPU ${rate(full)}\n    as planned      CPU ${rate(warm)}\n    ratio planned/full CPU ${(warm.cpuUs / full.cpuUs).toFixed(3)}\n`,
  );
}

export async function runWarmStartBench(args: string[]): Promise<void> {
  const wanted = (argValue(args, '--datasets') ?? 'sample,store,synthetic,retail').split(',');
  const age = Number(argValue(args, '--age') ?? 6);
  const horizon = Number(argValue(args, '--horizon') ?? 28);
  const limit = argValue(args, '--limit') ? Number(argValue(args, '--limit')) : Infinity;
  const write = (s: string): void => void process.stdout.write(s);
  write(`warm-start bench: full selection vs warm start (record ${age} day(s) old), one thread, node ${process.version}\n`);
  const batches = argValue(args, '--batches');
  if (batches) {
    await runPlannedBatches(path.resolve(batches), horizon, write);
    write(`reproduce: npm run bench -- warm-start ${args.join(' ')}   (built: node dist/bench/warmStart.js)\n`);
    return;
  }
  for (const name of wanted) {
    const series =
      name === 'sample'
        ? await seriesOfOrders(loadSampleOrders())
        : name === 'retail'
          ? await retailSeries(Number(argValue(args, '--retail-skus') ?? 400))
          : name === 'store'
            ? storeSeries()
            : name === 'synthetic'
              ? syntheticSeries(Number(argValue(args, '--synthetic-skus') ?? 400))
              : undefined;
    if (!series) {
      const absent = { store: '../shared/data/store_item_demand is absent', retail: '../shared/data/online_retail* are absent' }[name];
      write(`  ${name}: SKIPPED (${absent ?? 'unknown dataset'})\n`);
      continue;
    }
    runDataset(name, series.slice(0, limit), horizon, age, write);
  }
  write(`reproduce: npm run bench -- warm-start${args.length ? ` ${args.join(' ')}` : ''}   (built: node dist/bench/warmStart.js)\n`);
}

if (require.main === module) {
  runWarmStartBench(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`warm-start bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
