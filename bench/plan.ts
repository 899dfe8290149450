/**
 * planForecast on Online Retail (both files, ~1.07M order lines, no inventory): a full build's plan,
 * then the plan of a daily increment (the last day, 2011-12-09, arriving after a build without it),
 * in process CPU seconds and daily_demand bytes read, beside the Silver builds of the same run
 * (the reference: what a full build and an increment of Silver cost in the same process).
 * The increment's batches are checked equal to a plan of the same version made from scratch.
 *
 *   npm run bench -- plan [--data <dir>] [--keep <dir>]
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeBronzePart } from '../src/lib/bronze/writer';
import { FileSystemLake } from '../src/lib/lake/fileSystemLake';
import type { LakeStore } from '../src/lib/lake/lakeStore';
import { buildSilver } from '../src/activities/buildSilver';
import { planForecast } from '../src/activities/planForecast';
import type { PipelineServices } from '../src/lib/pipelineServices';
import { loadSettings } from '../src/lib/config/settings';
import { EmbeddedEntityStore } from '../src/lib/tables/embeddedEntityStore';
import { readRetailCsv } from '../src/lib/silver/retailCsv';
import { adapterFactories } from '../src/composition/services';
import { planBatchRefs } from '../src/contracts/skuBatches';
import { argValue, onlineRetailPaths } from './args';

const lastDay = '2011-12-09';
const overlapStart = '2010-12-01';

/** The lake with the bytes and data files read under silver/daily_demand counted. */
function countingLake(inner: LakeStore): LakeStore & { reads: { files: number; bytes: number } } {
  const reads = { files: 0, bytes: 0 };
  return Object.assign(Object.create(inner) as LakeStore, {
    reads,
    read: async (p: string, o?: { abortSignal?: AbortSignal }) => {
      const data = await inner.read(p, o);
      if (p.startsWith('silver/daily_demand/') && p.endsWith('.parquet')) {
        reads.files++;
        reads.bytes += data.byteLength;
      }
      return data;
    },
  });
}

async function bronzeOf(lake: LakeStore, runId: string, lines: string[]): Promise<string> {
  const folder = `bronze/orders/ingest_date=2011-12-10/run_id=${runId}`;
  const quantitySum = lines.reduce((a, l) => a + Number((JSON.parse(l) as { Quantity: unknown }).Quantity ?? 0), 0);
  const written = await writeBronzePart(lake, folder, 0, 'ndjson', Buffer.from(`${lines.join('\n')}\n`), {
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

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; cpuS: number; wallS: number }> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, cpuS: (used.user + used.system) / 1e6, wallS: (performance.now() - wall) / 1000 };
}

interface SilverFigures {
  fullVersion: number;
  incrementVersion: number;
  lines: number;
  incrementLines: number;
  full: { cpuS: number; wallS: number };
  increment: { cpuS: number; wallS: number };
}

/**
 * Silver built once per kept folder: every line before the last day, then the last day's lines as
 * an increment; the daily_demand version after each and their CPU (kept in silver-build.json).
 */
async function silverVersions(
  root: string,
  lake: LakeStore,
  services: PipelineServices,
  paths: { onlineRetailII: string; onlineRetail: string },
): Promise<SilverFigures> {
  const marker = path.join(root, 'silver-build.json');
  const known = await fs.readFile(marker, 'utf8').then(
    (t) => JSON.parse(t) as SilverFigures,
    () => undefined,
  );
  if (known) return known;
  const before: string[] = [];
  const last: string[] = [];
  const sources = [
    readRetailCsv(paths.onlineRetailII, { idPrefix: 'ii', before: overlapStart }),
    readRetailCsv(paths.onlineRetail, { idPrefix: 'i' }),
  ];
  for (const source of sources)
    for await (const rec of source) {
      const text = JSON.stringify(rec.record);
      (String((rec.record as { InvoiceDate: unknown }).InvoiceDate) >= lastDay ? last : before).push(text);
    }
  const fullManifests: string[] = [];
  for (let i = 0; i < before.length; i += 100_000)
    fullManifests.push(await bronzeOf(lake, `bench-full-${i}`, before.slice(i, i + 100_000)));
  const run = (runId: string) => ({ runId, runDate: '2011-12-10', startedAt: '2011-12-10T02:00:00.000Z' });
  const full = await timed(() =>
    buildSilver({ ...run('bench-silver-1'), orderManifests: fullManifests, inventoryManifests: [] }, services),
  );
  const fullVersion = full.value.tableVersions['daily_demand'] ?? -1;
  // The last day lands after the build (a Silver build applies every Bronze part not applied yet).
  const incrementManifest = await bronzeOf(lake, 'bench-increment', last);
  const increment = await timed(() =>
    buildSilver({ ...run('bench-silver-2'), orderManifests: [incrementManifest], inventoryManifests: [] }, services),
  );
  const incrementVersion = increment.value.tableVersions['daily_demand'] ?? -1;
  if (incrementVersion <= fullVersion)
    throw new Error(`the increment did not change daily_demand (v${fullVersion} → v${incrementVersion})`);
  const figures: SilverFigures = {
    fullVersion,
    incrementVersion,
    lines: before.length + last.length,
    incrementLines: last.length,
    full: { cpuS: full.cpuS, wallS: full.wallS },
    increment: { cpuS: increment.cpuS, wallS: increment.wallS },
  };
  await fs.writeFile(marker, JSON.stringify(figures));
  return figures;
}

export async function runPlanBench(args: string[]): Promise<void> {
  const paths = onlineRetailPaths(args);
  if (!paths) {
    process.stdout.write('plan bench: Online Retail not found (../shared/data or --data <dir>); skipped\n');
    return;
  }
  const root = argValue(args, '--keep') ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'bench-plan-')));
  const lake = countingLake(FileSystemLake.fromDirectory(path.join(root, 'lake')));
  const services: PipelineServices = {
    settings: loadSettings({ DEMAND_LAKE_DIR: path.join(root, 'lake'), DEMAND_SCRATCH_DIR: os.tmpdir() }),
    lake,
    entities: EmbeddedEntityStore.fromDirectory(path.join(root, 'state')),
    log: process.env['PLAN_BENCH_VERBOSE'] ? (m) => process.stderr.write(`${m}\n`) : () => undefined,
    adapters: adapterFactories,
  };
  const silver = await silverVersions(root, lake, services, paths);
  const run = (runId: string) => ({ runId, runDate: '2011-12-10', startedAt: '2011-12-10T02:00:00.000Z' });
  lake.reads.files = lake.reads.bytes = 0;
  const planFull = await timed(() =>
    planForecast({ ...run('bench-plan-1'), dailyDemandVersion: silver.fullVersion, batchSize: 100 }, services),
  );
  const fullReads = { ...lake.reads };
  lake.reads.files = lake.reads.bytes = 0;
  const planIncrement = await timed(() =>
    planForecast({ ...run('bench-plan-2'), dailyDemandVersion: silver.incrementVersion, batchSize: 100 }, services),
  );
  const incrementReads = { ...lake.reads };
  // The same version planned from scratch (a run id with no earlier plan to start from): same batches?
  const planScratch = await timed(() =>
    planForecast({ ...run('bench-plan-2-scratch'), dailyDemandVersion: planIncrement.value.dailyDemandVersion, batchSize: 100 }, services, {
      fromScratch: true,
    }),
  );
  let differing = 0;
  for (const [a, b] of planBatchRefs('bench-plan-2', planIncrement.value).map(
    (ref, i) => [ref, planBatchRefs('bench-plan-2-scratch', planScratch.value)[i]!] as const,
  )) {
    const x = JSON.parse((await lake.read(a.path)).toString('utf8')) as Record<string, unknown>;
    const y = JSON.parse((await lake.read(b.path)).toString('utf8')) as Record<string, unknown>;
    if (JSON.stringify({ ...x, runId: '' }) !== JSON.stringify({ ...y, runId: '' })) differing++;
  }

  const line = (name: string, t: { cpuS: number; wallS: number }, extra = '') =>
    `  ${name.padEnd(28)} CPU ${t.cpuS.toFixed(2).padStart(7)} s   wall ${t.wallS.toFixed(2).padStart(7)} s${extra}\n`;
  const mb = (r: { files: number; bytes: number }) => `   daily_demand read: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB`;
  process.stdout.write(
    `plan bench: Online Retail (${silver.lines} order lines; increment: ${silver.incrementLines} lines of ${lastDay}), ` +
      `${os.availableParallelism()} CPU, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)}\n` +
      line('buildSilver full', silver.full) +
      line('planForecast full', planFull, mb(fullReads) + `   ${planFull.value.skuCount} SKUs, ${planFull.value.batchCount} batches`) +
      line('buildSilver increment', silver.increment) +
      line('planForecast increment', planIncrement, mb(incrementReads) + `   ${planIncrement.value.skuCount} SKUs`) +
      line('planForecast same, from scratch', planScratch) +
      `  increment plan / full plan CPU: ${(planIncrement.cpuS / planFull.cpuS).toFixed(3)}; ` +
      `increment (Silver + plan) / full build (Silver + plan) CPU: ${((silver.increment.cpuS + planIncrement.cpuS) / (silver.full.cpuS + planFull.cpuS)).toFixed(3)}\n` +
      `  increment batches equal to the from-scratch plan's: ${differing === 0 ? 'yes' : `NO, ${differing} differ`} (${planIncrement.value.batchCount} batches)\n` +
      `reproduce: npm run bench -- plan [--keep <dir>]   (a kept dir re-uses its Silver build and its figures)\n`,
  );
  if (!argValue(args, '--keep')) await fs.rm(root, { recursive: true, force: true });
  if (differing > 0) process.exitCode = 1;
}
