/**
 * Bronze ingestion of the full two years of UCI Online Retail (Online Retail II 2009-2010 plus
 * Online Retail from 2010-12-10, the 2010-12-01..09 overlap taken once) from the local orders API
 * into a temporary lake: order lines per second and peak RSS, at 1× and 4× input (4× = every line
 * repeated with new ids). Each scale runs in its own process so peak RSS is that scale's alone.
 *
 *   npm run bench -- ingest [--scales 1,4] [--page-size 5000]
 *   (or, once built: node dist/bench/ingest.js)
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../src/lib/config/settings';
import { FileSystemLake } from '../src/lib/lake/fileSystemLake';
import { ingestOrders } from '../src/activities/ingestOrders';
import { readOnlineRetailTwoYears, repeatOrders } from '../src/lib/sample/onlineRetailCsv';
import { startOrdersApi } from '../src/lib/sample/ordersApi';
import { EmbeddedEntityStore } from '../src/lib/tables/embeddedEntityStore';
import type { OrderRecord } from '../src/lib/ingest/orderRecord';
import { argValue, onlineRetailPaths } from './args';
import { adapterFactories } from '../src/composition/services';

interface ScaleResult {
  scale: number;
  lines: number;
  quantitySum: number;
  servedLines: number;
  servedQuantity: number;
  parts: number;
  pages: number;
  seconds: number;
  linesPerSecond: number;
  peakRssMb: number;
  bronzeMb: number;
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      total += (await fs.stat(path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))).size;
  }
  return total;
}

/** One scale, in this process. */
async function runScale(args: string[], scale: number): Promise<ScaleResult> {
  const paths = onlineRetailPaths(args);
  if (!paths) throw new Error('data absent');
  const pageSize = Number(argValue(args, '--page-size') ?? 5000);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-ingest-'));
  let servedLines = 0;
  let servedQuantity = 0;
  const records = async function* (): AsyncIterable<OrderRecord> {
    for await (const r of repeatOrders(readOnlineRetailTwoYears(paths), scale)) {
      servedLines++;
      servedQuantity += typeof r.Quantity === 'number' ? r.Quantity : 0;
      yield r;
    }
  };
  const api = await startOrdersApi({ records: records, pageSizeMax: 10_000 });
  try {
    const settings = loadSettings(
      {},
      {
        DEMAND_ORDERS_API_URL: api.url,
        DEMAND_ORDERS_PAGE_SIZE: String(pageSize),
        DEMAND_ORDERS_PAGES_PER_PART: '4',
      },
    );
    const lake = FileSystemLake.fromDirectory(path.join(tmp, 'lake'));
    const started = process.hrtime.bigint();
    const out = await ingestOrders(
      { runId: `bench-${scale}x`, runDate: '2011-12-10', startedAt: '2011-12-10T02:00:00Z', source: 'orders' },
      {
        settings,
        lake,
        entities: EmbeddedEntityStore.fromDirectory(path.join(tmp, 'state')),
        log: () => undefined,
        adapters: adapterFactories,
      },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      scale,
      lines: out.records,
      quantitySum: out.quantitySum,
      servedLines,
      servedQuantity,
      parts: out.batches.length,
      pages: out.pages,
      seconds,
      linesPerSecond: out.records / seconds,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      bronzeMb: (await folderBytes(path.join(tmp, 'lake'))) / 1024 / 1024,
    };
  } finally {
    await api.close();
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

function runChild(args: string[], scale: number): Promise<ScaleResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--child', '--scale', String(scale), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as ScaleResult);
      else reject(new Error(`bench child for ${scale}× exited with ${code}: ${out.slice(-500)}`));
    });
  });
}

export async function runIngestBench(args: string[]): Promise<void> {
  if (!onlineRetailPaths(args)) {
    process.stdout.write(
      'ingest bench SKIPPED: ../shared/data/online_retail/online_retail.csv.gz and ../shared/data/online_retail_ii/online_retail_ii_year_2009_2010.csv.gz are absent (pass --data <dir> to point elsewhere)\n',
    );
    return;
  }
  if (args.includes('--child')) {
    const result = await runScale(args, Number(argValue(args, '--scale') ?? 1));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const scales = (argValue(args, '--scales') ?? '1,4').split(',').map(Number);
  const passOn = args.filter((a, i) => a !== '--scales' && !a.startsWith('--scales=') && args[i - 1] !== '--scales');
  process.stdout.write(
    `ingest bench: Online Retail II 2009-2010 + Online Retail 2010-12-10..2011-12-09 via the local orders API (${os.cpus().length} CPU, node ${process.version})\n`,
  );
  const results: ScaleResult[] = [];
  for (const scale of scales) {
    const r = await runChild(passOn, scale);
    results.push(r);
    const exact = r.lines === r.servedLines && r.quantitySum === r.servedQuantity;
    process.stdout.write(
      `  ${r.scale}×: ${r.lines.toLocaleString('en')} lines in ${r.seconds.toFixed(1)} s = ${Math.round(r.linesPerSecond).toLocaleString('en')} lines/s, ` +
        `peak RSS ${r.peakRssMb.toFixed(0)} MB, ${r.pages} pages → ${r.parts} parts, Bronze ${r.bronzeMb.toFixed(1)} MB; ` +
        `reconciled with the API's stream (count ${r.servedLines}, Σquantity ${r.servedQuantity}): ${exact ? 'exact' : 'MISMATCH'}\n`,
    );
  }
  const [a, b] = [results[0], results.at(-1)];
  if (a && b && a !== b) {
    process.stdout.write(
      `  peak RSS ratio ${b.scale}×/${a.scale}×: ${(b.peakRssMb / a.peakRssMb).toFixed(2)} (input ratio ${b.scale / a.scale})\n`,
    );
  }
  process.stdout.write(
    `reproduce: npm run bench -- ingest${args.length ? ` ${args.join(' ')}` : ''}   (built: node dist/bench/ingest.js)\n`,
  );
}

if (require.main === module) {
  runIngestBench(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`ingest bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
