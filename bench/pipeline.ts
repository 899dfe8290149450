/**
 * The whole pipeline on the full two years of UCI Online Retail (Online Retail II 2009-2010 plus
 * Online Retail from 2010-12-10), through the local host on the real replay engine: orders served
 * by the sample orders API from both files, weekly inventory snapshots derived from the same orders
 * the way the bundled sample's are. Prints wall time and peak RSS per stage, the share of SKUs the
 * drift check flagged, history events and the largest history message. The reference in the same
 * run is the forecast stage's share of the wall time (the work a daily run cannot avoid).
 *
 *   npm run bench -- pipeline [--data <dir>] [--keep <dir>] [--runs 1] [--until YYYY-MM-DD]
 *   npm run bench -- pipeline --synthetic-skus N [--days 730] [--seed 7]   (a synthetic fleet instead)
 *   ... --models snaive,naive   (every batch forecast with these candidates only: the scale bench's
 *   cheap mode, for memory against the SKU count when the full selection's CPU would not fit the time;
 *   its accuracy is not the product's)
 *   ... --workers N   (Silver's and the forecast pool's worker threads: a 2,048 MB Flex instance has 1 core, and
 *   infra/bicep sizes the forecast pool by the instance's cores; default auto)
 *   ... --silver-max-workers N   (DEMAND_SILVER_MAX_WORKERS: Silver's auto at most N workers, as infra/bicep sets it
 *   from the instance's cores; the forecast pool stays as --workers says)
 *   (or, once built: node dist/bench/pipeline.js; `node --expose-gc dist/bench/pipeline.js ...` adds each
 *   stage's live heap after a forced GC, which is what the scale bench does)
 *
 * --runs N runs the pipeline N times on the same workspace (later runs find nothing new to ingest),
 * so the drift check's time can be compared across a growing history of earlier runs.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { historyStats } from '../src/host/historyStats';
import { runLocalPipeline } from '../src/host/pipelineRun';
import { loadSettings } from '../src/lib/config/settings';
import { closeSharedForecastPool } from '../src/activities/forecastPool';
import { ForecastPool } from '../src/lib/forecast';
import { createServices } from '../src/composition/services';
import { readOnlineRetailTwoYears } from '../src/lib/sample/onlineRetailCsv';
import { startOrdersApi } from '../src/lib/sample/ordersApi';
import type { StreamStart } from '../src/lib/sample/orderedSource';
import { syntheticFleet, syntheticOrders } from '../src/lib/sample/syntheticFleet';
import { pipelineOptionsFromSettings, type DemandPipelineInput } from '../src/orchestrators/input';
import type { RunSummary } from '../src/orchestrators/summary';
import type { OrderRecord } from '../src/lib/ingest/orderRecord';
import { argValue, onlineRetailPaths } from './args';
import type { SampleInventoryJob } from './sampleInventoryWorker';

/** The sample's weekly inventory snapshots, written by bench/sampleInventoryWorker on its own thread. */
function sampleInventoryOnWorker(job: SampleInventoryJob): Promise<{ files: number; rows: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'sampleInventoryWorker.js'), { workerData: job });
    worker.once('message', (m: { ok: boolean; files: number; rows: number; error?: string }) =>
      m.ok ? resolve({ files: m.files, rows: m.rows }) : reject(new Error(`sample inventory worker: ${m.error}`)),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`sample inventory worker exited with ${code}`)));
  });
}

interface StageFigures {
  calls: number;
  firstStartMs: number;
  lastEndMs: number;
  busyMs: number;
  peakRssMb: number;
  /** At the RSS peak: the main thread's committed V8 heap and its external memory (ArrayBuffers, Buffers); RSS minus both is worker threads, code and native memory. */
  atPeak: { heapTotalMb: number; externalMb: number };
  active: number;
  startedAt: number[];
  /**
   * Process CPU (all threads, user + system) while a call of the stage ran: summed over the spans in
   * which one was active, so a stage between two calls (checkDrift between the two publishes) is not counted.
   */
  cpuOpenedUs: number;
  cpuSeconds: number;
  /** Main-thread live heap (V8 heap used + external, after a forced GC) when the stage first started. */
  liveAtStartMb: number;
  /** Largest live heap (after a forced GC) seen while a call of the stage ran. */
  peakLiveMb: number;
}

/** `global.gc` when node runs with --expose-gc (the scale bench starts this script so). */
const forcedGc = (globalThis as { gc?: () => void }).gc;

/**
 * Main-thread memory that is reachable: full GCs first, so V8's lazy release does not count. Two:
 * after one, `external` still counts the ArrayBuffers that GC just found dead (their backing stores
 * are freed in a second phase); measured 5-18 MB of decode buffers at 32k SKUs in publish.
 */
function liveHeapMb(): number {
  forcedGc?.();
  forcedGc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / 1024 / 1024;
}

/**
 * Wall (first start → last end) and peak RSS seen while any call of the stage ran, per activity name.
 * With --expose-gc also the live heap: every `liveEveryMs` while a stage runs (and at each start and
 * end) a full GC, then heap used + external. RSS is the whole process (every activity of the local
 * host, V8's lazily released pages, the worker threads); the live heap is what the main thread holds.
 */
class StageMeter {
  readonly stages = new Map<string, StageFigures>();
  private readonly timer: NodeJS.Timeout;
  private readonly liveTimer: NodeJS.Timeout | undefined;
  constructor(
    private readonly t0: number,
    liveEveryMs = 1000,
  ) {
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
    if (forcedGc) {
      this.liveTimer = setInterval(() => this.sampleLive(), liveEveryMs);
      this.liveTimer.unref();
    }
  }
  private sample(): void {
    const rss = process.memoryUsage.rss() / 1024 / 1024;
    let m: NodeJS.MemoryUsage | undefined;
    for (const s of this.stages.values()) {
      if (s.active === 0 || rss <= s.peakRssMb) continue;
      s.peakRssMb = rss;
      m ??= process.memoryUsage();
      s.atPeak = { heapTotalMb: m.heapTotal / 1024 / 1024, externalMb: m.external / 1024 / 1024 };
    }
  }
  private sampleLive(): void {
    if (![...this.stages.values()].some((s) => s.active > 0)) return;
    const live = liveHeapMb();
    for (const s of this.stages.values()) if (s.active > 0) s.peakLiveMb = Math.max(s.peakLiveMb, live);
  }
  on(name: string, phase: 'started' | 'completed' | 'failed'): void {
    const now = performance.now() - this.t0;
    let s = this.stages.get(name);
    if (!s) {
      s = {
        calls: 0,
        firstStartMs: now,
        lastEndMs: now,
        busyMs: 0,
        peakRssMb: 0,
        atPeak: { heapTotalMb: 0, externalMb: 0 },
        active: 0,
        startedAt: [],
        cpuOpenedUs: 0,
        cpuSeconds: 0,
        liveAtStartMb: forcedGc ? liveHeapMb() : 0,
        peakLiveMb: 0,
      };
      this.stages.set(name, s);
    }
    const cpu = process.cpuUsage();
    if (phase === 'started') {
      if (s.active === 0) s.cpuOpenedUs = cpu.user + cpu.system;
      s.calls++;
      s.active++;
      s.startedAt.push(now);
    } else {
      s.active--;
      s.lastEndMs = now;
      if (s.active === 0) s.cpuSeconds += (cpu.user + cpu.system - s.cpuOpenedUs) / 1e6;
      s.busyMs += now - (s.startedAt.shift() ?? now);
    }
    this.sample();
    if (phase === 'started' && forcedGc) s.peakLiveMb = Math.max(s.peakLiveMb, s.liveAtStartMb);
  }
  stop(): void {
    clearInterval(this.timer);
    if (this.liveTimer) clearInterval(this.liveTimer);
  }
}

interface RunFigures {
  runId: string;
  status: string;
  error?: string;
  wallSeconds: number;
  summary: RunSummary | undefined;
  stages: Map<string, StageFigures>;
  history: ReturnType<typeof historyStats>;
  subOrchestrations: Map<string, { firstMs: number; lastMs: number }>;
}

async function runOnce(
  runId: string,
  services: Awaited<ReturnType<typeof createServices>>,
  settings: ReturnType<typeof loadSettings>,
): Promise<RunFigures> {
  const t0 = performance.now();
  const meter = new StageMeter(t0);
  const subOrchestrations = new Map<string, { firstMs: number; lastMs: number }>();
  const input: DemandPipelineInput = { trigger: 'manual', options: pipelineOptionsFromSettings(settings) };
  const run = await runLocalPipeline(services, {
    runId,
    input,
    onActivity: (name, phase) => meter.on(name, phase),
    onEvent: (instanceId) => {
      // Group a run's child instances by kind: forecastRun, forecast chunks, re-forecast.
      const kind = instanceId.slice(runId.length + 1).replace(/:\d+$/, '') || 'demandPipeline';
      const now = performance.now() - t0;
      const g = subOrchestrations.get(kind) ?? { firstMs: now, lastMs: now };
      g.lastMs = now;
      subOrchestrations.set(kind, g);
    },
  });
  meter.stop();
  const status = run.status;
  const summary =
    status.runtimeStatus === 'Completed'
      ? (status.output as RunSummary)
      : (status.customStatus as { summary?: RunSummary } | undefined)?.summary;
  return {
    runId,
    status: status.runtimeStatus,
    ...(status.runtimeStatus === 'Completed' ? {} : { error: String(status.output).slice(0, 600) }),
    wallSeconds: (performance.now() - t0) / 1000,
    summary,
    stages: meter.stages,
    history: run.history,
    subOrchestrations,
  };
}

function printRun(r: RunFigures, write: (s: string) => void): void {
  write(`run ${r.runId}: ${r.status} in ${r.wallSeconds.toFixed(1)} s${r.error ? `: ${r.error}` : ''}\n`);
  const live = forcedGc !== undefined;
  write(
    `  stage                 calls    wall s   busy s   CPU s  peak RSS MB (main heap / external / rest)${live ? '  live heap MB: at start  peak' : ''}\n`,
  );
  for (const [name, s] of r.stages) {
    write(
      `  ${name.padEnd(20)} ${String(s.calls).padStart(6)} ${((s.lastEndMs - s.firstStartMs) / 1000).toFixed(1).padStart(9)} ${(s.busyMs / 1000).toFixed(1).padStart(8)} ${s.cpuSeconds.toFixed(1).padStart(7)} ${s.peakRssMb.toFixed(0).padStart(12)} ${atPeakText(s).padEnd(29)}` +
        `${live ? ` ${s.liveAtStartMb.toFixed(0).padStart(24)} ${s.peakLiveMb.toFixed(0).padStart(5)}` : ''}\n`,
    );
  }
  for (const [kind, g] of r.subOrchestrations) {
    write(`  orchestration ${kind.padEnd(22)} ${((g.lastMs - g.firstMs) / 1000).toFixed(1).padStart(8)} s (first → last history event)\n`);
  }
  const s = r.summary?.stages;
  if (s) {
    const silver = s.silver as { orderLinesRead?: number; orderLinesKept?: number; quarantined?: number } | undefined;
    const forecast = s.forecast as { skus?: number; batches?: number } | undefined;
    const drift = s.drift as
      | {
          skusChecked?: number;
          dataDrifted?: number;
          driftedSkus?: unknown;
          fleetDrift?: boolean;
          events?: number;
          challengerStarted?: boolean;
        }
      | undefined;
    write(
      `  silver read ${silver?.orderLinesRead ?? '?'}, kept ${silver?.orderLinesKept ?? '?'} lines, quarantined ${silver?.quarantined ?? '?'}; forecast ${forecast?.skus ?? '?'} SKUs in ${forecast?.batches ?? '?'} batches\n`,
    );
    if (drift) write(`  drift: ${JSON.stringify(drift).slice(0, 400)}\n`);
  }
  const h = r.history;
  write(
    `  history: ${h.instances} instances, ${h.events} events (most in one instance ${h.maxEventsPerInstance}); largest message ` +
      `${h.largest ? `${(h.largest.bytes / 1024).toFixed(1)} KB (${h.largest.event}.${h.largest.field} of ${h.largest.name ?? '?'} in ${h.largest.instanceId})` : 'none'}\n`,
  );
  const forecastStage = r.stages.get('forecastBatch');
  const skus = (r.summary?.stages.forecast as { skus?: number } | undefined)?.skus;
  if (forecastStage && skus) {
    write(
      `  forecast CPU per SKU: ${((forecastStage.cpuSeconds / skus) * 1000).toFixed(1)} ms (process CPU over the fan-out / ${skus} SKUs) = ${(skus / forecastStage.cpuSeconds).toFixed(1)} SKUs per core-second\n`,
    );
  }
  if (forecastStage) {
    write(
      `  ratio: wall / forecast fan-out wall = ${(r.wallSeconds / ((forecastStage.lastEndMs - forecastStage.firstStartMs) / 1000)).toFixed(2)}\n`,
    );
  }
}

/** "(heap / external / rest)" at a stage's RSS peak: where the process's resident memory was. */
function atPeakText(s: StageFigures): string {
  const { heapTotalMb, externalMb } = s.atPeak;
  const rest = s.peakRssMb - heapTotalMb - externalMb;
  return `(${heapTotalMb.toFixed(0)} / ${externalMb.toFixed(0)} / ${rest.toFixed(0)})`;
}

/** Largest RSS sampled while any stage of the runs ran (the pipeline's peak, not the bench's set-up). */
function stagesPeak(results: readonly RunFigures[]): number {
  return Math.max(0, ...results.flatMap((r) => [...r.stages.values()].map((s) => s.peakRssMb)));
}

/** --models a,b: every forecast call of this process tries only these candidates (the bench's cheap mode). */
function restrictCandidates(models: string[]): void {
  const proto = ForecastPool.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, 'forecast')?.value as ForecastPool['forecast'];
  proto.forecast = function (this: ForecastPool, inputs, options, progress) {
    return original.call(this, inputs, { ...options, models }, progress);
  };
}

export async function runPipelineBench(args: string[]): Promise<void> {
  const synthetic = argValue(args, '--synthetic-skus');
  const models = argValue(args, '--models');
  if (models) restrictCandidates(models.split(','));
  const paths = synthetic ? undefined : onlineRetailPaths(args);
  const write = (s: string): void => void process.stdout.write(s);
  if (!paths && !synthetic) {
    write(
      'pipeline bench SKIPPED: ../shared/data/online_retail/online_retail.csv.gz and ../shared/data/online_retail_ii/online_retail_ii_year_2009_2010.csv.gz are absent (pass --data <dir> to point elsewhere)\n',
    );
    return;
  }
  const keep = argValue(args, '--keep');
  const runs = Number(argValue(args, '--runs') ?? 1);
  const root = keep ? path.resolve(keep) : await fs.mkdtemp(path.join(os.tmpdir(), 'bench-pipeline-'));
  await fs.mkdir(root, { recursive: true });
  const fleet = synthetic
    ? syntheticFleet({
        skus: Number(synthetic),
        days: Number(argValue(args, '--days') ?? 730),
        seed: Number(argValue(args, '--seed') ?? 7),
      })
    : undefined;
  const workers = argValue(args, '--workers');
  const silverMaxWorkers = argValue(args, '--silver-max-workers');
  write(
    `pipeline bench: ${fleet ? `synthetic fleet of ${fleet.skus.length} SKUs over ${fleet.options.days} days (seed ${fleet.options.seed})` : 'Online Retail II 2009-2010 + Online Retail 2010-12-10..2011-12-09'}, ` +
      `whole pipeline via the local host (${os.cpus().length} CPU, node ${process.version})${models ? `, forecast candidates restricted to ${models} (cheap mode)` : ''}${workers !== undefined ? `, ${workers} Silver and forecast worker thread(s)` : ''}${silverMaxWorkers !== undefined ? `, Silver auto workers at most ${silverMaxWorkers}` : ''}; workspace ${root}\n`,
  );
  // --until D holds back the days from D on (the issue's workaround before cover was bounded).
  let until = argValue(args, '--until');
  // --increment: a first run without the last day, then a second run after that day arrives.
  const increment = args.includes('--increment');
  if (increment) until = fleet ? fleet.options.endDate : '2011-12-09';
  // A synthetic fleet opens at the request's `since` (as a shop's API would); the CSV files cannot seek.
  const source = (start: StreamStart): AsyncIterable<OrderRecord> =>
    fleet ? syntheticOrders(fleet, start) : readOnlineRetailTwoYears(paths!);
  const orders = async function* (start: StreamStart): AsyncIterable<OrderRecord> {
    for await (const r of source(start)) if (!until || String(r.InvoiceDate).slice(0, 10) < until) yield r;
  };
  const api = await startOrdersApi({ records: orders, host: '127.0.0.1', port: 0, pageSizeMax: 10_000 });
  try {
    const settings = loadSettings(
      {},
      {
        DEMAND_LAKE_DIR: path.join(root, 'lake'),
        DEMAND_STATE_DIR: path.join(root, 'state'),
        DEMAND_DASHBOARD_PATH: path.join(root, 'dashboard.html'),
        DEMAND_ORDERS_API_URL: api.url,
        DEMAND_ORDERS_PAGE_SIZE: '5000',
        DEMAND_ACTIVITY_FIRST_RETRY_MS: '1000',
        ...(workers !== undefined ? { DEMAND_SILVER_WORKERS: workers, DEMAND_FORECAST_WORKERS: workers } : {}),
        ...(silverMaxWorkers !== undefined ? { DEMAND_SILVER_MAX_WORKERS: silverMaxWorkers } : {}),
      },
    );
    const services = await createServices(settings);
    const t = performance.now();
    const inventory = await sampleInventoryOnWorker({
      lakeDir: settings.DEMAND_LAKE_DIR,
      landingPrefix: settings.DEMAND_INVENTORY_LANDING_PREFIX,
      ...(fleet ? { fleet: fleet.options } : {}),
      ...(paths ? { paths } : {}),
      ...(until ? { until } : {}),
    });
    write(
      `inventory: ${inventory.files} weekly snapshot files, ${inventory.rows} rows, written in ${((performance.now() - t) / 1000).toFixed(1)} s (on a worker thread: the generator's memory is not the pipeline's)\n`,
    );
    const results: RunFigures[] = [];
    for (let k = 1; k <= (increment ? 2 : runs); k++) {
      if (increment && k === 2) until = undefined;
      const r = await runOnce(`bench-run-${k}`, services, settings);
      results.push(r);
      printRun(r, write);
      if (r.status !== 'Completed') process.exitCode = 1;
    }
    if (args.includes('--json')) {
      const json = results.map((r) => ({
        runId: r.runId,
        status: r.status,
        wallSeconds: r.wallSeconds,
        stages: Object.fromEntries(
          [...r.stages].map(([name, st]) => [
            name,
            {
              wallSeconds: (st.lastEndMs - st.firstStartMs) / 1000,
              peakRssMb: st.peakRssMb,
              atPeak: st.atPeak,
              cpuSeconds: st.cpuSeconds,
              ...(forcedGc ? { liveAtStartMb: st.liveAtStartMb, peakLiveMb: st.peakLiveMb } : {}),
            },
          ]),
        ),
        largestMessageBytes: r.history.largest?.bytes ?? 0,
        historyEvents: r.history.events,
        skus: (r.summary?.stages.forecast as { skus?: number } | undefined)?.skus ?? 0,
      }));
      write(`${JSON.stringify({ runs: json, peakRssMb: stagesPeak(results), processMaxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
    }
    write(
      `peak RSS while a stage ran: ${stagesPeak(results).toFixed(0)} MB; process max RSS (inventory generator and orders API included): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`,
    );
  } finally {
    await api.close();
    await closeSharedForecastPool();
    if (!keep) await fs.rm(root, { recursive: true, force: true });
  }
  write(`reproduce: npm run bench -- pipeline${args.length ? ` ${args.join(' ')}` : ''}   (built: node dist/bench/pipeline.js)\n`);
}

if (require.main === module) {
  runPipelineBench(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`pipeline bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
