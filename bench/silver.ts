/**
 * Benchmark: Bronze → Silver on the Online Retail data (both files, overlap window once, ~1.07M
 * lines), wall time and peak RSS, side by side with DuckDB doing the same cleansing and daily
 * aggregation in SQL over the same CSVs. Each side runs in its own child process so peak RSS
 * (getrusage maxrss) is that side's alone. `--scales 1,3` also runs 3× the data (copies shifted
 * by 3 years each) to show whether memory stays flat. Each side runs `--repeat` times (default 3),
 * alternating, each Node run on a fresh copy of the same Bronze; the table gives the medians (this
 * 2-core machine's speed drifts by ±20% between runs), peak RSS the largest of the runs, and every
 * run is printed below it. After each Node build, three increments of 5,000 lines (the next three
 * months) go into the built lake, reported as a share of the full build's time.
 *
 *   npm run build && node dist/bench/silver.js --scales 1,3 --repeat 3
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeBronzePart } from '../src/lib/bronze/writer';
import { FileSystemLake } from '../src/lib/lake/fileSystemLake';
import { buildSilver } from '../src/activities/buildSilver';
import type { PipelineServices } from '../src/lib/pipelineServices';
import { loadSettings } from '../src/lib/config/settings';
import { EmbeddedEntityStore } from '../src/lib/tables/embeddedEntityStore';
import { readRetailCsv } from '../src/lib/silver/retailCsv';
import { adapterFactories } from '../src/composition/services';

const retailFile = 'online_retail/online_retail.csv.gz';
const retailIiFile = 'online_retail_ii/online_retail_ii_year_2009_2010.csv.gz';
const overlapStart = '2010-12-01';
const shiftPerCopyYears = 3;
const recordsPerPart = 100_000;

function findDataDir(explicit: string | undefined): string | undefined {
  const candidates = explicit
    ? [explicit]
    : [path.resolve(__dirname, '../../shared/data'), path.resolve(__dirname, '../../../shared/data')];
  return candidates.find((d) => existsSync(path.join(d, retailFile)) && existsSync(path.join(d, retailIiFile)));
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** All source rows for a scale: II before the overlap, then I, then shifted copies. */
async function* sourceRecords(dataDir: string, scale: number) {
  for (let copy = 0; copy < scale; copy += 1) {
    const shiftYears = copy * shiftPerCopyYears;
    yield* readRetailCsv(path.join(dataDir, retailIiFile), { idPrefix: `ii${copy}`, before: overlapStart, shiftYears });
    yield* readRetailCsv(path.join(dataDir, retailFile), { idPrefix: `i${copy}`, shiftYears });
  }
}

/** One Bronze NDJSON part of order lines (JSON texts); returns its manifest path. */
async function writeOrdersPart(
  lake: FileSystemLake,
  folder: string,
  runId: string,
  part: number,
  lines: string[],
  quantitySum: number,
): Promise<string> {
  const written = await writeBronzePart(lake, folder, part, 'ndjson', Buffer.from(`${lines.join('\n')}\n`), {
    source: 'orders',
    runId,
    records: lines.length,
    pageFrom: null,
    pageTo: null,
    cursorFrom: null,
    cursorTo: null,
    quantitySum,
    problems: {},
  });
  return written.ref.manifestPath;
}

/** Writes the source rows as Bronze NDJSON parts (untimed preparation); returns the manifests. */
async function prepareBronze(lakeDir: string, dataDir: string, scale: number): Promise<string[]> {
  const lake = FileSystemLake.fromDirectory(lakeDir);
  const folder = `bronze/orders/ingest_date=2024-01-01/run_id=bench`;
  const manifests: string[] = [];
  let lines: string[] = [];
  let quantitySum = 0;
  const flush = async (): Promise<void> => {
    if (lines.length === 0) return;
    manifests.push(await writeOrdersPart(lake, folder, 'bench', manifests.length, lines, quantitySum));
    lines = [];
    quantitySum = 0;
  };
  for await (const rec of sourceRecords(dataDir, scale)) {
    lines.push(JSON.stringify(rec.record));
    const q = (rec.record as { Quantity: unknown }).Quantity;
    if (typeof q === 'number') quantitySum += q;
    if (lines.length >= recordsPerPart) await flush();
  }
  await flush();
  return manifests;
}

/** One Bronze part of 5,000 order lines in `month` for five SKUs the Online Retail data has. */
async function incrementManifests(lake: FileSystemLake, month: string): Promise<string[]> {
  const skus = ['85123A', '22423', '47566', '84879', '20725'];
  const lines: string[] = [];
  let quantitySum = 0;
  for (let i = 0; i < 5000; i++) {
    const quantity = 1 + (i % 7);
    quantitySum += quantity;
    lines.push(
      JSON.stringify({
        orderLineId: `inc-${month}:${i}`,
        InvoiceNo: String(900000 + Math.floor(i / 5)),
        StockCode: skus[i % skus.length],
        Description: 'INCREMENT',
        Quantity: quantity,
        InvoiceDate: `${month}-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00`,
        UnitPrice: 2.5,
        CustomerID: String(13000 + (i % 50)),
        Country: 'United Kingdom',
      }),
    );
  }
  return [
    await writeOrdersPart(lake, `bronze/orders/ingest_date=${month}-28/run_id=bench-${month}`, `bench-${month}`, 0, lines, quantitySum),
  ];
}

async function runNodeSide(lakeDir: string, manifests: string[], scale: number): Promise<Record<string, unknown>> {
  const lake = FileSystemLake.fromDirectory(lakeDir);
  const services: PipelineServices = {
    settings: loadSettings({ DEMAND_LAKE_DIR: lakeDir }),
    lake,
    entities: EmbeddedEntityStore.fromDirectory(path.join(lakeDir, '..', 'state')),
    log: process.env.SILVER_BENCH_VERBOSE ? (m) => console.error(`${new Date().toISOString()} ${m}`) : () => undefined,
    adapters: adapterFactories,
  };
  const started = performance.now();
  const result = await buildSilver(
    { runId: 'bench-run', runDate: '2024-01-01', startedAt: '2024-01-01T00:00:00Z', orderManifests: manifests, inventoryManifests: [] },
    services,
  );
  const wallMs = performance.now() - started;
  // Then increments into the built lake: 5,000 new lines in each of the three months after the
  // data (which ends in December 2011 + the last copy's shift) for existing SKUs.
  const incrementalMs: number[] = [];
  const nextYear = 2012 + (scale - 1) * shiftPerCopyYears;
  for (const month of ['01', '02', '03'].map((m) => `${nextYear}-${m}`)) {
    const at = performance.now();
    await buildSilver(
      {
        runId: `bench-${month}`,
        runDate: `${month}-28`,
        startedAt: `${month}-28T00:00:00Z`,
        orderManifests: await incrementManifests(lake, month),
        inventoryManifests: [],
      },
      services,
    );
    incrementalMs.push(Math.round(performance.now() - at));
  }
  return {
    wallMs,
    incrementalMs,
    linesRead: result.orderLinesRead,
    kept: result.orderLinesKept,
    units: result.unitsKept,
    nettedUnits: result.nettedUnits,
    quarantined: result.quarantined,
    dailyDemandRows: result.dailyDemandRows,
  };
}

const nonProductPattern =
  '^(POST|DOT|M|C2|C3|D|S|B|CRUK|PADS|AMAZONFEE|BANK CHARGES|ADJUST[0-9]*|TEST[0-9]*|SP[0-9]+|GIFT|GIFT_0001_[0-9]+|DCGS.*)$';

function duckSql(dataDir: string, scale: number, outDir: string): string[] {
  const sources: string[] = [];
  for (let copy = 0; copy < scale; copy += 1) {
    const shift = copy * shiftPerCopyYears;
    const ts = (col: string) => `(CAST(${col} AS TIMESTAMP) + INTERVAL ${shift} YEAR)`;
    const inv = (col: string) => (shift === 0 ? col : `${col} || '-${shift}'`);
    sources.push(
      `SELECT ${inv('Invoice')} AS inv, StockCode AS sc, Description AS d, Quantity AS q, ${ts('InvoiceDate')} AS ts, Price AS p, "Customer ID" AS cust, Country AS c
         FROM read_csv('${path.join(dataDir, retailIiFile)}', header = true, all_varchar = true) WHERE InvoiceDate < '${overlapStart}'`,
      `SELECT ${inv('InvoiceNo')}, StockCode, Description, Quantity, ${ts('InvoiceDate')}, UnitPrice, CustomerID, Country
         FROM read_csv('${path.join(dataDir, retailFile)}', header = true, all_varchar = true)`,
    );
  }
  return [
    `CREATE TABLE lines AS
       SELECT upper(trim(inv)) AS inv, upper(regexp_replace(trim(sc), '\\s+', ' ', 'g')) AS sku,
              nullif(regexp_replace(trim(d), '\\s+', ' ', 'g'), '') AS d, CAST(q AS BIGINT) AS q, ts, CAST(p AS DOUBLE) AS p,
              nullif(regexp_replace(trim(cust), '\\.0+$', ''), '') AS cust, nullif(trim(c), '') AS c
       FROM (${sources.join('\n UNION ALL \n')})`,
    `CREATE TABLE classified AS
       SELECT *, CASE WHEN inv LIKE 'A%' THEN 'bad_debt_adjustment'
                      WHEN regexp_matches(sku, '${nonProductPattern}') THEN 'non_product_code'
                      WHEN inv LIKE 'C%' THEN 'cancellation'
                      WHEN q <= 0 THEN 'quantity_not_positive'
                      WHEN p <= 0 THEN 'price_not_positive' ELSE 'demand' END AS cls,
              row_number() OVER (PARTITION BY inv, sku, d, q, ts, p, cust, c) AS copy_no
       FROM lines`,
    `CREATE TABLE demand AS SELECT row_number() OVER () AS id, * FROM classified WHERE cls = 'demand' AND copy_no = 1`,
    // Netting: each customer cancellation against the latest earlier line with the same customer, SKU and quantity within 28 days.
    `CREATE TABLE netted AS
       SELECT DISTINCT d.id FROM (SELECT * FROM classified WHERE cls = 'cancellation' AND copy_no = 1 AND cust IS NOT NULL) k
       ASOF JOIN demand d ON d.cust = k.cust AND d.sku = k.sku AND d.q = -k.q AND d.ts <= k.ts
       WHERE k.ts - d.ts <= INTERVAL 28 DAY`,
    `COPY (SELECT *, strftime(ts, '%Y-%m') AS order_month FROM demand) TO '${path.join(outDir, 'order_lines')}' (FORMAT parquet, PARTITION_BY (order_month))`,
    `COPY (
       WITH agg AS (
         SELECT sku, CAST(ts AS DATE) AS day, sum(q) AS units, round(sum(q * p), 4) AS revenue, count(DISTINCT inv) AS orders, count(DISTINCT cust) AS customers
         FROM demand WHERE id NOT IN (SELECT id FROM netted) GROUP BY ALL),
       ranges AS (SELECT sku, min(CAST(ts AS DATE)) AS f, max(CAST(ts AS DATE)) AS l FROM demand GROUP BY sku),
       grid AS (SELECT sku, CAST(unnest(generate_series(f, l, INTERVAL 1 DAY)) AS DATE) AS day FROM ranges)
       SELECT g.sku, g.day AS date, coalesce(units, 0) AS units, coalesce(revenue, 0) AS revenue, coalesce(orders, 0) AS orders,
              coalesce(customers, 0) AS customers, CAST(NULL AS BIGINT) AS on_hand, false AS stockout, strftime(g.day, '%Y-%m') AS month
       FROM grid g LEFT JOIN agg a USING (sku, day)
     ) TO '${path.join(outDir, 'daily_demand')}' (FORMAT parquet, PARTITION_BY (month))`,
  ];
}

async function runDuckSide(dataDir: string, scale: number, outDir: string): Promise<Record<string, unknown>> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  mkdirSync(outDir, { recursive: true });
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  for (const sql of duckSql(dataDir, scale, outDir)) await conn.run(sql);
  const summary = await conn.runAndReadAll(
    `SELECT (SELECT count(*) FROM lines) AS lines_read, (SELECT count(*) FROM demand) AS kept, (SELECT sum(q) FROM demand) AS units,
            (SELECT sum(q) FROM demand WHERE id IN (SELECT id FROM netted)) AS netted_units`,
  );
  const row = summary.getRowObjects()[0] ?? {};
  const wallMs = performance.now() - started;
  conn.closeSync();
  return { wallMs, ...Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])) };
}

async function child(args: string[]): Promise<void> {
  const mode = argValue(args, '--child');
  const dataDir = argValue(args, '--data') as string;
  const scale = Number(argValue(args, '--scale') ?? '1');
  const work = argValue(args, '--work') as string;
  let result: Record<string, unknown>;
  if (mode === 'prepare') result = { manifests: await prepareBronze(path.join(work, 'bronze-lake'), dataDir, scale) };
  else if (mode === 'node')
    result = await runNodeSide(path.join(work, 'lake'), JSON.parse(argValue(args, '--manifests') ?? '[]') as string[], scale);
  else result = await runDuckSide(dataDir, scale, path.join(work, 'duck'));
  result.peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(childArgs: string[]): Record<string, unknown> {
  const out = spawnSync(process.execPath, [__filename, ...childArgs], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`bench child ${childArgs.join(' ')} failed: ${out.stderr}`);
  const last = out.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Record<string, unknown>;
}

export async function runSilverBench(args: string[]): Promise<void> {
  if (argValue(args, '--child')) return child(args);
  const dataDir = findDataDir(argValue(args, '--data'));
  if (!dataDir) {
    console.log('silver bench: Online Retail data not found (pass --data <dir> holding online_retail/ and online_retail_ii/); skipped');
    return;
  }
  const scales = (argValue(args, '--scales') ?? '1,3').split(',').map(Number);
  const repeat = Math.max(1, Number(argValue(args, '--repeat') ?? '3'));
  console.log(
    `silver bench: Bronze → Silver vs DuckDB (node ${process.version}, ${os.cpus().length} cpus, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  console.log('scale | lines     | node wall s | node RSS MB | duckdb wall s | duckdb RSS MB | wall ratio | RSS ratio');
  for (const scale of scales) {
    const work = mkdtempSync(path.join(os.tmpdir(), 'silver-bench-'));
    try {
      const prepared = runChild(['--child', 'prepare', '--data', dataDir, '--scale', String(scale), '--work', work]);
      const nodeRuns: Array<Record<string, unknown>> = [];
      const duckRuns: Array<Record<string, unknown>> = [];
      for (let r = 0; r < repeat; r++) {
        rmSync(path.join(work, 'lake'), { recursive: true, force: true });
        cpSync(path.join(work, 'bronze-lake'), path.join(work, 'lake'), { recursive: true });
        rmSync(path.join(work, 'state'), { recursive: true, force: true });
        nodeRuns.push(
          runChild([
            '--child',
            'node',
            '--data',
            dataDir,
            '--scale',
            String(scale),
            '--work',
            work,
            '--manifests',
            JSON.stringify(prepared.manifests),
          ]),
        );
        rmSync(path.join(work, 'duck'), { recursive: true, force: true });
        duckRuns.push(runChild(['--child', 'duckdb', '--data', dataDir, '--scale', String(scale), '--work', work]));
      }
      const median = (runs: Array<Record<string, unknown>>, key: string): number => {
        const values = runs.map((run) => Number(run[key])).sort((a, b) => a - b);
        return values[Math.floor(values.length / 2)] as number;
      };
      const node = nodeRuns[0] as Record<string, unknown>;
      const nw = median(nodeRuns, 'wallMs') / 1000;
      const dw = median(duckRuns, 'wallMs') / 1000;
      // Memory: the largest peak of the runs, not the median.
      const maxOf = (runs: Array<Record<string, unknown>>, key: string): number => Math.max(...runs.map((run) => Number(run[key])));
      const nr = maxOf(nodeRuns, 'peakRssMb');
      const dr = maxOf(duckRuns, 'peakRssMb');
      console.log(
        `${String(scale).padStart(5)} | ${String(node.linesRead).padEnd(9)} | ${nw.toFixed(2).padStart(11)} | ${nr.toFixed(0).padStart(11)} | ${dw.toFixed(2).padStart(13)} | ${dr.toFixed(0).padStart(13)} | ${(nw / dw).toFixed(2).padStart(10)} | ${(nr / dr).toFixed(2).padStart(9)}`,
      );
      const increments = nodeRuns.flatMap((run) => run.incrementalMs as number[]).sort((a, b) => a - b);
      const incrementMs = increments[Math.floor(increments.length / 2)] ?? 0;
      console.log(
        `      incremental: 5,000 new lines of the next month into the built lake, median ${incrementMs} ms of ${increments.length} runs = ${((100 * incrementMs) / (nw * 1000)).toFixed(1)}% of the full build`,
      );
      for (const run of nodeRuns) console.log(`      node: ${JSON.stringify(run)}`);
      for (const run of duckRuns) console.log(`      duckdb: ${JSON.stringify(run)}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  console.log(
    `medians of ${repeat} runs per side; reproduce: npm run build && node dist/bench/silver.js --scales ${scales.join(',')} --repeat ${repeat}`,
  );
}

if (require.main === module) {
  runSilverBench(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
