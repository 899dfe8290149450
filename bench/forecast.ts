/**
 * Forecast benchmark: our engine (`auto` and every registered model) against R's forecast package
 * (bench/r_forecast.R: the definitions of ../shared/anchors/r_reference.R plus RMSSE and the
 * coverage of R's own forecast() intervals), on the same series files, same hold-out, in the same
 * run on the same machine (fit-time ratios only mean something within one run).
 *
 *   npm run bench -- forecast [--limit N] [--datasets store,retail,intermittent,all] [--skip-r] [--reuse-r]
 *     [--models a,b] [--skip-models a,b]      (ours besides auto; default: every model in the registry; --models auto: auto alone)
 *     [--auto-extra a,b]                      (models added to auto's default candidates, e.g. prophet)
 *     [--r-models a,b] [--r-models-<dataset> a,b]   (R: snaive,ets,arima,theta,mstl,croston)
 *
 * Printed per model: mean MASE, WAPE, mean RMSSE, coverage of [q25,q75] and [q05,q95] (bounds
 * included), the same as randomized-PIT coverage (fair to count forecasts, where ties with 0 are
 * common), R's 80%/95% coverage, fleet bias Σforecast/Σactual − 1 of the point and of the
 * expected-units forecast, median fit ms. The last H points of each series are held out: no
 * selection or calibration step of the engine sees them.
 *
 * Datasets (written to bench-output/):
 *  - store_item.csv: Kaggle store-item demand, stores 1-5, 250 daily series, H=90, M=7.
 *  - online_retail_*.csv: UCI Online Retail I + II (2009-12-01..2011-12-09, overlap once), run
 *    through the project's Silver build into a temporary lake; from Silver `daily_demand`:
 *    top200 (top 200 SKUs by units over their active range, as in round 1), intermittent (200
 *    intermittent SKUs outside the top 200), all (every SKU, to the end of the data: fleet bias);
 *    H=28, M=7. The Silver extract is cached beside them (`.key.json`, input file sizes).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { openLakeTable } from '../src/lib/delta';
import { backtestRowsToCsv, parseLongSeriesCsv, runBacktest, type BacktestRow, type LongSeries } from '../src/lib/forecast/backtest';
import { forecastModels } from '../src/lib/forecast/models/registry';
import { FileSystemLake } from '../src/lib/lake/fileSystemLake';
import { lakeTables } from '../src/lib/lakeTables';
import { readRetailCsv } from '../src/lib/silver/retailCsv';
import { buildSilverTables } from '../src/lib/silver/silverBuild';

interface Dataset {
  key: string;
  file: string;
  horizon: number;
  season: number;
  ourModels: string[];
  /** R models run on this set (r_forecast.R names). */
  rModels: string;
}

// bench/ from sources, dist/bench/ when compiled: the repository root is the one with tsconfig.json.
const repoRoot =
  [path.resolve(__dirname, '..'), path.resolve(__dirname, '../..')].find((d) => existsSync(path.join(d, 'tsconfig.json'))) ?? process.cwd();
const sharedDir = path.resolve(repoRoot, '../shared');
const outDir = path.join(repoRoot, 'bench-output');

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function isoDays(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
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
 * Every SKU's daily units from Silver `daily_demand`: both Online Retail files through
 * `buildSilverTables` into a temporary lake. Cached in bench-output/ as a long CSV (every SKU from
 * its first sale to the last day of the data, zero-filled), keyed by the input files' sizes.
 */
async function buildRetailAllFile(target: string): Promise<boolean> {
  const sources = retailSources.map((f) => path.join(sharedDir, 'data', f));
  if (!sources.every((f) => existsSync(f))) return false;
  const [retailFile, retailIiFile] = sources as [string, string];
  const cacheKey = JSON.stringify({
    builder: 'silver-daily_demand-all-v2',
    sizes: sources.map((f) => [path.basename(f), statSync(f).size]),
  });
  const keyFile = `${target}.key.json`;
  if (existsSync(target) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === cacheKey) {
    console.log(
      `online retail: ${path.relative(repoRoot, target)} cached (built from Silver daily_demand; inputs unchanged, keyed by file sizes) — Silver build skipped`,
    );
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
    const days = new Map<string, Map<string, number>>();
    let lastDay = '';
    for await (const row of openLakeTable(lake, lakeTables.daily_demand).read({ columns: ['sku', 'date', 'units'] })) {
      const sku = String(row.sku);
      const day = isoDay(row.date);
      if (day > lastDay) lastDay = day;
      let byDay = days.get(sku);
      if (!byDay) days.set(sku, (byDay = new Map<string, number>()));
      byDay.set(day, (byDay.get(day) ?? 0) + Number(row.units));
    }
    const out = ['series_id,date,y'];
    for (const sku of [...days.keys()].sort()) {
      const byDay = days.get(sku) as Map<string, number>;
      const first = [...byDay.keys()].sort()[0] as string;
      for (const d of isoDays(first, lastDay)) out.push(`${sku},${d},${byDay.get(d) ?? 0}`);
    }
    writeFileSync(target, `${out.join('\n')}\n`);
    writeFileSync(keyFile, cacheKey);
    console.log(`online retail: ${days.size} SKUs from Silver daily_demand, each from its first sale to ${lastDay}`);
    return true;
  } finally {
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

function writeSeries(target: string, series: readonly LongSeries[]): void {
  const out = ['series_id,date,y'];
  for (const s of series) s.dates.forEach((d, i) => out.push(`${s.seriesId},${d},${s.values[i]}`));
  writeFileSync(target, `${out.join('\n')}\n`);
}

/** A series cut to its active range: first to last sale. */
function activeRange(s: LongSeries): LongSeries {
  let last = s.values.length - 1;
  while (last > 0 && !((s.values[last] as number) > 0)) last--;
  return { seriesId: s.seriesId, dates: s.dates.slice(0, last + 1), values: s.values.slice(0, last + 1) };
}

/**
 * The three Online Retail sets, all from the all-SKU file:
 *  - top200: the 200 SKUs with most units, each over its active range (first to last sale), kept
 *    when at least 3H+14 days long (as the round-1 bench defined it);
 *  - intermittent: 200 SKUs outside the top 200, evenly spread by units, whose training part
 *    (before the last H days) is intermittent (ADI ≥ 1.32), at least 3H+14 days long and has a
 *    sale in its last H days; each to the end of the data (a SKU that stops selling is real);
 *  - all: every SKU with more than H+M days, to the end of the data (for the fleet bias).
 */
function deriveRetailSets(allFile: string, horizon: number, files: { top200: string; intermittent: string; all: string }): void {
  const all = parseLongSeriesCsv(readFileSync(allFile, 'utf8'));
  const units = (s: LongSeries): number => s.values.reduce((a, v) => a + v, 0);
  const byUnits = [...all].sort((a, b) => units(b) - units(a) || (a.seriesId < b.seriesId ? -1 : 1));
  const minLength = 3 * horizon + 14;
  const top = byUnits
    .slice(0, 200)
    .map(activeRange)
    .filter((s) => s.values.length >= minLength);
  writeSeries(
    files.top200,
    [...top].sort((a, b) => (a.seriesId < b.seriesId ? -1 : 1)),
  );
  const topIds = new Set(byUnits.slice(0, 200).map((s) => s.seriesId));
  const eligible = byUnits.filter((s) => {
    if (topIds.has(s.seriesId) || s.values.length < minLength) return false;
    const train = s.values.slice(0, s.values.length - horizon);
    const saleDays = train.filter((v) => v > 0).length;
    return saleDays > 0 && train.length / saleDays >= 1.32 && train.slice(-horizon).some((v) => v > 0);
  });
  const step = Math.max(1, eligible.length / 200);
  const picked = Array.from({ length: Math.min(200, eligible.length) }, (_, i) => eligible[Math.floor(i * step)] as LongSeries);
  writeSeries(
    files.intermittent,
    [...picked].sort((a, b) => (a.seriesId < b.seriesId ? -1 : 1)),
  );
  writeSeries(
    files.all,
    all.filter((s) => s.values.length > horizon + 7),
  );
  console.log(
    `online retail: top200 ${top.length} series, intermittent ${picked.length} of ${eligible.length} eligible, all ${all.filter((s) => s.values.length > horizon + 7).length} of ${all.length} SKUs (more than H+M days)`,
  );
}

interface Summary {
  source: 'ours' | 'R';
  model: string;
  series: number;
  failed: number;
  meanMase: number;
  wape: number;
  meanRmsse: number;
  coverage50: number;
  coverage90: number;
  /** R only: its 80% and 95% intervals. */
  coverage80: number;
  coverage95: number;
  /** Σ forecast ÷ Σ actual − 1 over every scored series. */
  fleetBias: number;
  /** The same with the expected-units forecast (`mean`). */
  meanFleetBias: number;
  pit50: number;
  pit90: number;
  medianFitInMs: number;
}

interface BenchRow extends BacktestRow {
  coverage80?: number;
  coverage95?: number;
}

function meanOf(values: number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : Number.NaN;
}

function medianOf(values: number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? ((s[Math.floor((s.length - 1) / 2)] as number) + (s[Math.ceil((s.length - 1) / 2)] as number)) / 2 : Number.NaN;
}

function summarise(source: 'ours' | 'R', rows: BenchRow[]): Summary[] {
  const byModel = new Map<string, BenchRow[]>();
  for (const r of rows) {
    let list = byModel.get(r.model);
    if (!list) byModel.set(r.model, (list = []));
    list.push(r);
  }
  return [...byModel.entries()].map(([model, list]) => {
    const scored = list.filter((r) => Number.isFinite(r.absError) && Number.isFinite(r.absActual));
    const finite = scored.filter((r) => Number.isFinite(r.mase) && Number.isFinite(r.smape));
    const sumErr = scored.reduce((s, r) => s + r.absError, 0);
    const sumAct = scored.reduce((s, r) => s + r.absActual, 0);
    const sumBias = scored.reduce((s, r) => s + (Number.isFinite(r.bias) ? r.bias : 0), 0);
    const sumMeanBias = scored.reduce((s, r) => s + (Number.isFinite(r.meanBias) ? r.meanBias : 0), 0);
    return {
      source,
      model,
      series: finite.length,
      failed: list.length - scored.length,
      meanMase: meanOf(finite.map((r) => r.mase)),
      wape: sumAct > 0 ? sumErr / sumAct : Number.NaN,
      meanRmsse: meanOf(finite.map((r) => r.rmsse)),
      coverage50: meanOf(scored.map((r) => r.coverage50)),
      coverage90: meanOf(scored.map((r) => r.coverage90)),
      coverage80: meanOf(scored.map((r) => r.coverage80 ?? Number.NaN)),
      coverage95: meanOf(scored.map((r) => r.coverage95 ?? Number.NaN)),
      fleetBias: sumAct > 0 ? sumBias / sumAct : Number.NaN,
      meanFleetBias: source === 'ours' && sumAct > 0 ? sumMeanBias / sumAct : Number.NaN,
      pit50: meanOf(scored.map((r) => r.pitCoverage50)),
      pit90: meanOf(scored.map((r) => r.pitCoverage90)),
      medianFitInMs: medianOf(list.map((r) => r.fitInMs)),
    };
  });
}

/** R's model names as the issue and R's documentation spell them. */
const rLabels: Record<string, string> = { arima: 'auto.arima', theta: 'thetaf' };

function readRCsv(file: string): BenchRow[] {
  const records = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const num = (v: string | undefined): number => (v === undefined || v === 'NA' ? Number.NaN : v === 'Inf' ? Infinity : Number(v));
  return records.map((r) => ({
    seriesId: r['series_id'] ?? '',
    model: rLabels[r['model'] ?? ''] ?? r['model'] ?? '',
    mase: num(r['mase']),
    smape: num(r['smape']),
    absError: num(r['abs_err']),
    absActual: num(r['abs_actual']),
    fitInMs: num(r['fit_ms']),
    rmsse: num(r['rmsse']),
    coverage50: num(r['coverage50']),
    coverage80: num(r['coverage80']),
    coverage90: num(r['coverage90']),
    coverage95: num(r['coverage95']),
    pinball: Number.NaN,
    bias: num(r['bias']),
    chosen: r['model'] ?? '',
    reason: '',
    meanBias: Number.NaN,
    pitCoverage50: Number.NaN,
    pitCoverage90: Number.NaN,
  }));
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '-';
}

function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

function printTable(key: string, table: Summary[]): void {
  const head = [
    'source:model'.padEnd(24),
    'series',
    'failed',
    'meanMASE',
    'WAPE',
    'meanRMSSE',
    'cov50',
    'cov90',
    'pit50',
    'pit90',
    'cov80',
    'cov95',
    'fleetBias',
    'meanBias',
    'median_ms',
  ];
  console.log(`\n${key}  ${head.map((h, i) => (i === 0 ? h : h.padStart(9))).join(' ')}`);
  for (const s of table) {
    const cells = [
      String(s.series),
      String(s.failed),
      fixed(s.meanMase, 4),
      fixed(s.wape, 4),
      fixed(s.meanRmsse, 4),
      pct(s.coverage50),
      pct(s.coverage90),
      pct(s.pit50),
      pct(s.pit90),
      pct(s.coverage80),
      pct(s.coverage95),
      pct(s.fleetBias),
      pct(s.meanFleetBias),
      fixed(s.medianFitInMs, 1),
    ];
    console.log(`${key}  ${`${s.source}:${s.model}`.padEnd(24)} ${cells.map((c) => c.padStart(9)).join(' ')}`);
  }
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

function fileHash(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** Our models: every model in the registry (new models appear here by registering), or --models. */
function ourModelList(args: string[]): string[] {
  const listed = argValue(args, '--models');
  const skip = new Set((argValue(args, '--skip-models') ?? '').split(',').filter(Boolean));
  // `auto` always runs; naming it (--models auto) runs it alone.
  return (listed ? listed.split(',').filter(Boolean) : [...forecastModels.keys()]).filter((m) => !skip.has(m) && m !== 'auto');
}

export async function runForecastBench(args: string[]): Promise<void> {
  const limit = Number(argValue(args, '--limit') ?? Infinity);
  const wanted = (argValue(args, '--datasets') ?? 'store,retail,intermittent,all').split(',');
  const skipR = args.includes('--skip-r');
  const reuseR = args.includes('--reuse-r');
  const rScript = path.join(repoRoot, 'bench/r_forecast.R');
  const hasR = !skipR && spawnSync('Rscript', ['--version']).status === 0;
  if (!hasR)
    console.log(skipR ? 'R reference skipped (--skip-r)' : 'R reference skipped: Rscript is absent (apt-get install -y r-cran-forecast)');
  mkdirSync(outDir, { recursive: true });
  const models = ourModelList(args);
  const autoExtra = (argValue(args, '--auto-extra') ?? '').split(',').filter(Boolean);
  const datasets: Dataset[] = [
    {
      key: 'store',
      file: path.join(outDir, 'store_item.csv'),
      horizon: 90,
      season: 7,
      ourModels: models,
      rModels: 'snaive,ets,arima,theta,mstl',
    },
    {
      key: 'retail',
      file: path.join(outDir, 'online_retail_top200.csv'),
      horizon: 28,
      season: 7,
      ourModels: models,
      rModels: 'snaive,ets,arima,theta,mstl,croston',
    },
    {
      key: 'intermittent',
      file: path.join(outDir, 'online_retail_intermittent.csv'),
      horizon: 28,
      season: 7,
      ourModels: models,
      rModels: 'snaive,ets,arima,theta,croston',
    },
    // Every SKU, for the fleet bias: the engine only unless --models names some (R's models on 4,000 series would take hours here).
    {
      key: 'all',
      file: path.join(outDir, 'online_retail_all_skus.csv'),
      horizon: 28,
      season: 7,
      ourModels: argValue(args, '--models') ? models : [],
      rModels: '',
    },
  ].filter((d) => wanted.includes(d.key));
  const retailAll = path.join(outDir, 'online_retail_daily.csv');
  const retailWanted = datasets.some((d) => d.key !== 'store');
  const retailBuilt = retailWanted && (await buildRetailAllFile(retailAll));
  if (retailBuilt) {
    deriveRetailSets(retailAll, 28, {
      top200: path.join(outDir, 'online_retail_top200.csv'),
      intermittent: path.join(outDir, 'online_retail_intermittent.csv'),
      all: path.join(outDir, 'online_retail_all_skus.csv'),
    });
  }
  const commands: string[] = [];
  for (const ds of datasets) {
    const built = ds.key === 'store' ? buildStoreFile(ds.file) : retailBuilt;
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
      ...(autoExtra.length ? { extraCandidates: autoExtra } : {}),
      onSeriesDone: (done, total) => {
        const every = total > 1000 ? 500 : 25;
        if (done % every === 0 || done === total)
          process.stdout.write(`  ours: ${done}/${total} series (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
      },
    });
    writeFileSync(oursOut, backtestRowsToCsv(ours));
    commands.push(
      `node bin/demand.js backtest --input ${path.relative(repoRoot, file)} --horizon ${ds.horizon} --season ${ds.season} --output ${path.relative(repoRoot, oursOut)}${ds.ourModels.length ? ` --models ${ds.ourModels.join(',')}` : ''}${autoExtra.length ? ` --auto-extra ${autoExtra.join(',')}` : ''}`,
    );
    let rRows: BenchRow[] = [];
    const rModels = argValue(args, `--r-models-${ds.key}`) ?? argValue(args, '--r-models') ?? ds.rModels;
    if (hasR && rModels) {
      const rOut = path.join(outDir, `r_${ds.key}.csv`);
      const key = `${fileHash([file, rScript])}:${rModels}`;
      const rArgs = [rScript, file, String(ds.horizon), String(ds.season), rOut, rModels];
      const cached = reuseR && existsSync(rOut) && existsSync(`${rOut}.key`) && readFileSync(`${rOut}.key`, 'utf8') === key;
      if (cached) {
        rRows = readRCsv(rOut);
        console.log(
          `  R: reused ${path.relative(repoRoot, rOut)} (--reuse-r; same series file, same script, written ${statSync(rOut).mtime.toISOString()}): its fit times come from that run`,
        );
      } else {
        console.log(`  R: Rscript ${rArgs.map((a) => path.relative(repoRoot, a) || a).join(' ')}`);
        const t1 = Date.now();
        const r = spawnSync('Rscript', rArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
        if (r.status === 0 && existsSync(rOut)) {
          rRows = readRCsv(rOut);
          writeFileSync(`${rOut}.key`, key);
          console.log(`  R done in ${((Date.now() - t1) / 1000).toFixed(0)} s`);
        } else console.log(`  R failed (exit ${r.status}); R columns left empty`);
      }
      commands.push(
        `Rscript bench/r_forecast.R ${path.relative(repoRoot, file)} ${ds.horizon} ${ds.season} ${path.relative(repoRoot, rOut)} ${rModels}`,
      );
    }
    const table = [...summarise('ours', ours), ...summarise('R', rRows)];
    printTable(ds.key, table);
    const auto = table.find((s) => s.source === 'ours' && s.model === 'auto');
    const rModelsOnly = table.filter((s) => s.source === 'R' && s.series > 0);
    if (auto && rModelsOnly.length) {
      const bestR = rModelsOnly.reduce((a, b) => (b.meanMase < a.meanMase ? b : a));
      const rMstl = rModelsOnly.find((s) => s.model === 'mstl');
      console.log(
        `${ds.key}  ratio MASE ours:auto / R:${bestR.model} (R's best) = ${(auto.meanMase / bestR.meanMase).toFixed(3)}  (${auto.meanMase.toFixed(4)} vs ${bestR.meanMase.toFixed(4)})`,
      );
      if (rMstl)
        console.log(
          `${ds.key}  ratio median fit_ms ours:auto / R:mstl = ${(auto.medianFitInMs / rMstl.medianFitInMs).toFixed(3)}  (${auto.medianFitInMs.toFixed(1)} ms vs ${rMstl.medianFitInMs.toFixed(1)} ms)`,
        );
    }
    if (auto) {
      const reasons = new Map<string, number>();
      for (const r of ours)
        if (r.model === 'auto' && r.reason)
          for (const part of r.reason.split('; '))
            reasons.set(part.replace(/\d+(\.\d+)?/g, 'N'), (reasons.get(part.replace(/\d+(\.\d+)?/g, 'N')) ?? 0) + 1);
      const topReasons = [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
      if (topReasons.length) console.log(`${ds.key}  auto reasons (top 5): ${topReasons.map(([r, c]) => `${c}× ${r}`).join(' | ')}`);
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
