/**
 * Forecast benchmark: our engine (`auto` and single models) against R's forecast package
 * (../shared/anchors/r_reference.R), on the same series files, same hold-out, same definitions,
 * in the same run on the same machine (fit-time ratios only mean something within one run).
 *
 *   npm run bench -- forecast [--limit N] [--datasets store,retail] [--skip-r]
 *     [--r-models a,b] [--r-models-store a,b] [--r-models-retail a,b]   (R models; default all)
 *
 * Datasets (written to bench-output/):
 *  - store_item.csv: Kaggle store-item demand, stores 1-5, 250 daily series, H=90, M=7.
 *  - online_retail_top200.csv: UCI Online Retail I + II (2009-12-01..2011-12-09, overlap once),
 *    run through the project's Silver build into a temporary lake; from Silver `daily_demand`
 *    the top 200 SKUs by units, daily over each SKU's active range (first to last sale,
 *    zero-filled), H=28, M=7. Cached beside it (`.key.json`, input file sizes) so re-runs skip
 *    the Silver build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { openLakeTable } from '../src/lib/delta';
import { backtestRowsToCsv, parseLongSeriesCsv, runBacktest, type BacktestRow } from '../src/lib/forecast/backtest';
import { FileSystemLake } from '../src/lib/lake/fileSystemLake';
import { lakeTables } from '../src/lib/pipeline/tables';
import { readRetailCsv } from '../src/lib/silver/retailCsv';
import { buildSilverTables } from '../src/lib/silver/silverBuild';

interface Dataset {
  key: string;
  file: string;
  horizon: number;
  season: number;
  ourModels: string[];
}

// bench/ from sources, dist/bench/ when compiled: the repository root is the one with tsconfig.json.
const repoRoot = [path.resolve(__dirname, '..'), path.resolve(__dirname, '../..')].find((d) => existsSync(path.join(d, 'tsconfig.json'))) ?? process.cwd();
const sharedDir = path.resolve(repoRoot, '../shared');
const outDir = path.join(repoRoot, 'bench-output');

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function isoDays(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

function buildStoreFile(target: string): boolean {
  const source = path.join(sharedDir, 'data/store_item_demand/train_stores_1-5.csv.gz');
  if (!existsSync(source)) return false;
  const lines = gunzipSync(readFileSync(source)).toString('utf8').trim().split('\n').slice(1);
  const bySeries = new Map<string, string[]>();
  for (const line of lines) {
    const [date, store, item, sales] = line.split(',');
    const id = `s${store}_i${String(item).padStart(2, '0')}`;
    let rows = bySeries.get(id);
    if (!rows) bySeries.set(id, (rows = []));
    rows.push(`${id},${date},${sales}`);
  }
  const out = ['series_id,date,y'];
  for (const id of [...bySeries.keys()].sort()) out.push(...(bySeries.get(id) as string[]).sort());
  writeFileSync(target, `${out.join('\n')}\n`);
  return true;
}

const retailSources = ['online_retail/online_retail.csv.gz', 'online_retail_ii/online_retail_ii_year_2009_2010.csv.gz'] as const;
/** Online Retail II covers 2009-12-01..2010-12-09, Online Retail 2010-12-01..2011-12-09: the overlap is taken from the latter only. */
const retailOverlapStart = '2010-12-01';

/** Silver `date` as 'YYYY-MM-DD' whether the Parquet reader gives a day string or days since 1970. */
function isoDay(value: unknown): string {
  if (typeof value === 'number') return new Date(value * 86_400_000).toISOString().slice(0, 10);
  const match = /\d{4}-\d{2}-\d{2}/.exec(String(value));
  if (!match) throw new Error(`daily_demand date: not a day: ${JSON.stringify(value)}`);
  return match[0];
}

/**
 * The intermittent series file, built from the pipeline's Silver layer: both Online Retail files
 * through `buildSilverTables` into a temporary lake, then Silver `daily_demand` → top SKUs by units.
 * Cached in bench-output/ keyed by the input files' sizes, so re-runs skip the Silver build.
 */
async function buildRetailFile(target: string, topN: number, minLength: number): Promise<boolean> {
  const sources = retailSources.map((f) => path.join(sharedDir, 'data', f));
  if (!sources.every((f) => existsSync(f))) return false;
  const [retailFile, retailIiFile] = sources as [string, string];
  const cacheKey = JSON.stringify({ builder: 'silver-daily_demand-v1', topN, minLength, sizes: sources.map((f) => [path.basename(f), statSync(f).size]) });
  const keyFile = `${target}.key.json`;
  if (existsSync(target) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === cacheKey) {
    console.log(`online retail: ${path.relative(repoRoot, target)} cached (built from Silver daily_demand; inputs unchanged, keyed by file sizes) — Silver build skipped`);
    return true;
  }
  const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'forecast-bench-silver-'));
  try {
    const lake = FileSystemLake.fromDirectory(lakeDir);
    async function* orders() {
      yield* readRetailCsv(retailIiFile, { idPrefix: 'ii', before: retailOverlapStart });
      yield* readRetailCsv(retailFile, { idPrefix: 'i' });
    }
    const t0 = Date.now();
    const silver = await buildSilverTables(lake, { runId: 'forecast-bench', orders: orders(), expectedLines: 1_100_000 });
    console.log(
      `online retail: Silver built in ${((Date.now() - t0) / 1000).toFixed(0)} s — ${silver.orderLinesRead} lines read, ${silver.orderLinesKept} kept, ` +
        `${silver.nettedLines} netted by cancellations, ${silver.quarantined} quarantined, daily_demand ${silver.dailyDemandRows} rows`,
    );
    const dailyDemand = openLakeTable(lake, lakeTables.daily_demand);
    // Two passes over daily_demand so only the chosen SKUs' days are held in memory.
    const unitsBySku = new Map<string, number>();
    for await (const row of dailyDemand.read({ columns: ['sku', 'units'] })) {
      const sku = String(row.sku);
      unitsBySku.set(sku, (unitsBySku.get(sku) ?? 0) + Number(row.units));
    }
    const top = new Set([...unitsBySku.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, topN).map(([sku]) => sku));
    const days = new Map<string, Map<string, number>>();
    for await (const row of dailyDemand.read({ columns: ['sku', 'date', 'units'] })) {
      const sku = String(row.sku);
      if (!top.has(sku)) continue;
      let byDay = days.get(sku);
      if (!byDay) days.set(sku, (byDay = new Map()));
      byDay.set(isoDay(row.date), Number(row.units));
    }
    const out = ['series_id,date,y'];
    let kept = 0;
    let filled = 0;
    for (const sku of [...days.keys()].sort()) {
      const byDay = days.get(sku) as Map<string, number>;
      const sorted = [...byDay.keys()].sort();
      // Silver's active range (first to last sale) is already zero-filled; fill any gap anyway so the file has none.
      const range = isoDays(sorted[0] as string, sorted[sorted.length - 1] as string);
      if (range.length < minLength) continue;
      kept++;
      for (const d of range) {
        const y = byDay.get(d);
        if (y === undefined) filled++;
        out.push(`${sku},${d},${y ?? 0}`);
      }
    }
    writeFileSync(target, `${out.join('\n')}\n`);
    writeFileSync(keyFile, cacheKey);
    console.log(`online retail: from Silver daily_demand, top ${topN} SKUs by units, ${kept} with at least ${minLength} days kept (${filled} missing days zero-filled)`);
    return true;
  } finally {
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

interface Summary {
  source: 'ours' | 'R';
  model: string;
  series: number;
  meanMase: number;
  meanSmape: number;
  wape: number;
  medianFitInMs: number;
}

function summarise(source: 'ours' | 'R', rows: BacktestRow[]): Summary[] {
  const byModel = new Map<string, BacktestRow[]>();
  for (const r of rows) {
    let list = byModel.get(r.model);
    if (!list) byModel.set(r.model, (list = []));
    list.push(r);
  }
  return [...byModel.entries()].map(([model, list]) => {
    const finite = list.filter((r) => Number.isFinite(r.mase) && Number.isFinite(r.smape));
    const times = list.map((r) => r.fitInMs).sort((a, b) => a - b);
    const sumErr = finite.reduce((s, r) => s + r.absError, 0);
    const sumAct = finite.reduce((s, r) => s + r.absActual, 0);
    return {
      source,
      model,
      series: finite.length,
      meanMase: finite.reduce((s, r) => s + r.mase, 0) / Math.max(1, finite.length),
      meanSmape: finite.reduce((s, r) => s + r.smape, 0) / Math.max(1, finite.length),
      wape: sumAct > 0 ? sumErr / sumAct : Number.NaN,
      medianFitInMs: times.length ? ((times[Math.floor((times.length - 1) / 2)] as number) + (times[Math.ceil((times.length - 1) / 2)] as number)) / 2 : Number.NaN,
    };
  });
}

function readRCsv(file: string): BacktestRow[] {
  const records = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const num = (v: string | undefined): number => (v === undefined || v === 'NA' ? Number.NaN : v === 'Inf' ? Infinity : Number(v));
  return records.map((r) => ({
    seriesId: r['series_id'] ?? '',
    model: r['model'] ?? '',
    mase: num(r['mase']),
    smape: num(r['smape']),
    absError: num(r['abs_err']),
    absActual: num(r['abs_actual']),
    fitInMs: num(r['fit_ms']),
  }));
}

function limitSeries(file: string, limit: number): string {
  if (!Number.isFinite(limit)) return file;
  const series = parseLongSeriesCsv(readFileSync(file, 'utf8'));
  const step = Math.max(1, Math.floor(series.length / limit));
  const picked = series.filter((_, i) => i % step === 0).slice(0, limit);
  const target = file.replace(/\.csv$/, `_n${limit}.csv`);
  const out = ['series_id,date,y'];
  for (const s of picked) s.dates.forEach((d, i) => out.push(`${s.seriesId},${d},${s.values[i]}`));
  writeFileSync(target, `${out.join('\n')}\n`);
  return target;
}

export async function runForecastBench(args: string[]): Promise<void> {
  const limit = Number(argValue(args, '--limit') ?? Infinity);
  const wanted = (argValue(args, '--datasets') ?? 'store,retail').split(',');
  const skipR = args.includes('--skip-r');
  const rScript = path.join(sharedDir, 'anchors/r_reference.R');
  const hasR = !skipR && existsSync(rScript) && spawnSync('Rscript', ['--version']).status === 0;
  if (!hasR) console.log(skipR ? 'R reference skipped (--skip-r)' : 'R reference skipped: Rscript or ../shared/anchors/r_reference.R is absent (apt-get install -y r-cran-forecast)');
  mkdirSync(outDir, { recursive: true });
  const datasets: Dataset[] = [
    { key: 'store', file: path.join(outDir, 'store_item.csv'), horizon: 90, season: 7, ourModels: ['snaive', 'ets', 'theta', 'harmonic', 'mstl', 'autoarima', 'autoarima_x', 'prophet'] },
    { key: 'retail', file: path.join(outDir, 'online_retail_top200.csv'), horizon: 28, season: 7, ourModels: ['snaive', 'ets', 'theta', 'croston', 'sba', 'tsb', 'adida', 'autoarima', 'prophet'] },
  ].filter((d) => wanted.includes(d.key));
  const commands: string[] = [];
  for (const ds of datasets) {
    const built = ds.key === 'store' ? buildStoreFile(ds.file) : await buildRetailFile(ds.file, 200, 3 * ds.horizon + 14);
    if (!built) {
      console.log(`${ds.key}: source data absent under ${sharedDir}/data — skipped`);
      continue;
    }
    const file = limitSeries(ds.file, limit);
    const series = parseLongSeriesCsv(readFileSync(file, 'utf8'));
    console.log(`\n=== ${ds.key}: ${series.length} series, H=${ds.horizon}, M=${ds.season} (${path.relative(repoRoot, file)}) ===`);
    const oursOut = path.join(outDir, `ours_${ds.key}.csv`);
    const t0 = Date.now();
    const ours = runBacktest(series, {
      horizon: ds.horizon,
      season: ds.season,
      models: ds.ourModels,
      onSeriesDone: (done, total) => {
        if (done % 25 === 0 || done === total) process.stdout.write(`  ours: ${done}/${total} series (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
      },
    });
    writeFileSync(oursOut, backtestRowsToCsv(ours));
    commands.push(`node bin/demand.js backtest --input ${path.relative(repoRoot, file)} --horizon ${ds.horizon} --season ${ds.season} --output ${path.relative(repoRoot, oursOut)} --models ${ds.ourModels.join(',')}`);
    let rRows: BacktestRow[] = [];
    if (hasR) {
      const rOut = path.join(outDir, `r_${ds.key}.csv`);
      const rArgs = [rScript, file, String(ds.horizon), String(ds.season), rOut];
      const rModels = argValue(args, `--r-models-${ds.key}`) ?? argValue(args, '--r-models');
      if (rModels) rArgs.push(rModels);
      console.log(`  R: Rscript ${rArgs.map((a) => path.relative(repoRoot, a) || a).join(' ')}`);
      const t1 = Date.now();
      const r = spawnSync('Rscript', rArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
      if (r.status === 0 && existsSync(rOut)) {
        rRows = readRCsv(rOut);
        console.log(`  R done in ${((Date.now() - t1) / 1000).toFixed(0)} s`);
      } else console.log(`  R failed (exit ${r.status}); R columns left empty`);
      commands.push(`Rscript ../shared/anchors/r_reference.R ${path.relative(repoRoot, file)} ${ds.horizon} ${ds.season} ${path.relative(repoRoot, rOut)}${rModels ? ` ${rModels}` : ''}`);
    }
    const table = [...summarise('ours', ours), ...summarise('R', rRows)];
    console.log(`\n${ds.key}  ${'source:model'.padEnd(22)} ${'series'.padStart(6)} ${'meanMASE'.padStart(9)} ${'meanSMAPE'.padStart(10)} ${'WAPE'.padStart(7)} ${'median_ms'.padStart(10)}`);
    for (const s of table) {
      console.log(
        `${ds.key}  ${`${s.source}:${s.model}`.padEnd(22)} ${String(s.series).padStart(6)} ${s.meanMase.toFixed(4).padStart(9)} ${s.meanSmape.toFixed(2).padStart(10)} ${s.wape.toFixed(4).padStart(7)} ${s.medianFitInMs.toFixed(1).padStart(10)}`,
      );
    }
    const auto = table.find((s) => s.source === 'ours' && s.model === 'auto');
    const rModelsOnly = table.filter((s) => s.source === 'R' && s.series > 0);
    if (auto && rModelsOnly.length) {
      const bestR = rModelsOnly.reduce((a, b) => (b.meanMase < a.meanMase ? b : a));
      const rMstl = rModelsOnly.find((s) => s.model === 'mstl');
      console.log(`${ds.key}  ratio MASE ours:auto / R:${bestR.model} (R's best) = ${(auto.meanMase / bestR.meanMase).toFixed(3)}  (${auto.meanMase.toFixed(4)} vs ${bestR.meanMase.toFixed(4)})`);
      if (rMstl) console.log(`${ds.key}  ratio median fit_ms ours:auto / R:mstl = ${(auto.medianFitInMs / rMstl.medianFitInMs).toFixed(3)}  (${auto.medianFitInMs.toFixed(1)} ms vs ${rMstl.medianFitInMs.toFixed(1)} ms)`);
    }
  }
  console.log('\nReproduce:');
  console.log(`  npm run bench -- forecast ${args.join(' ')}`.trimEnd());
  for (const c of commands) console.log(`  ${c}`);
}

if (require.main === module) {
  runForecastBench(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
