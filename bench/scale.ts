/**
 * Scale: the whole pipeline on synthetic fleets of growing size (src/lib/sample/syntheticFleet),
 * each in its own process so peak RSS is that size's alone. Per size: wall and peak RSS per stage,
 * then the ratios per doubling of SKUs; and an increment run (one more day of orders after a full
 * build) as a share of the full build. The reference measured in the same run is the smallest size.
 *
 *   npm run bench -- scale [--skus 2000,8000,32000] [--days 730] [--seed 7] [--models snaive,naive]
 *   (--models: every batch tries only these forecast candidates, so a 16× fleet fits the time on a
 *   small machine; memory is what is measured, the forecast's accuracy is not the product's)
 *   ... --workers N: Silver's and the forecast pool's worker threads in every size (1 is the core count of the
 *   default 2,048 MB Flex instance, as infra/bicep sets the forecast pool's); default auto (one per core)
 *   (or, once built: node dist/bench/scale.js)
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { glibcMallocEnvironment, withMemoryTuning } from '../src/host/memoryTuning';
import { argValue } from './args';

interface RunJson {
  runId: string;
  status: string;
  wallSeconds: number;
  stages: Record<string, { wallSeconds: number; cpuSeconds?: number; peakRssMb: number; liveAtStartMb?: number; peakLiveMb?: number }>;
  largestMessageBytes: number;
  historyEvents: number;
  skus: number;
}

function runSize(
  skus: number,
  days: string,
  seed: string,
  models: string | undefined,
  workers: string | undefined,
  fullOnly: boolean,
): Promise<{ runs: RunJson[]; peakRssMb: number }> {
  const script = path.join(__dirname, 'pipeline.js');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      // --expose-gc: the child measures each stage's live heap after a forced GC besides RSS.
      [
        '--expose-gc',
        script,
        '--synthetic-skus',
        String(skus),
        '--days',
        days,
        '--seed',
        seed,
        ...(fullOnly ? [] : ['--increment']),
        '--json',
        ...(models ? ['--models', models] : []),
        ...(workers !== undefined ? ['--workers', workers] : []),
      ],
      // The malloc settings the deployment sets (infra/bicep app settings, the CLI's relaunch), unless
      // this bench's environment sets them (DEMAND_MEMORY_TUNING=off: none, to measure without).
      { stdio: ['ignore', 'pipe', 'inherit'], env: withMemoryTuning(process.env) },
    );
    let out = '';
    // The child's own report goes to stderr as it comes, so a size that runs out of time still
    // leaves its full build's figures (the summary below prints only when both runs are done).
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line && !line.startsWith('{')) process.stderr.write(`[${skus} SKUs] ${line}\n`);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as { runs: RunJson[]; peakRssMb: number });
      else reject(new Error(`scale child for ${skus} SKUs exited with ${code}: ${out.slice(-800)}`));
    });
  });
}

const mallocSettingsText = (env: NodeJS.ProcessEnv): string =>
  Object.keys(glibcMallocEnvironment)
    .map((name) => `${name}=${env[name] ?? '(unset)'}`)
    .join(' ');
const mb = (v: number | undefined): string => (v === undefined ? '     -' : v.toFixed(0).padStart(6));
const cpu = (v: number | undefined): string => (v === undefined ? '     -' : v.toFixed(1).padStart(6));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || !b ? 'n/a' : `${(a / b).toFixed(2)}×`);

interface SizeResult {
  skus: number;
  full: RunJson;
  increment: RunJson | undefined;
  peakRssMb: number;
}

/** The increment's wall apart from the forecast fan-out, as a share of the full build's (issue 16: "a small share apart from the fan-out"). */
function shareApartFromFanOut(full: RunJson, increment: RunJson): string {
  const fanOut = (run: RunJson): number => run.stages['forecastBatch']?.wallSeconds ?? 0;
  const fullRest = full.wallSeconds - fanOut(full);
  const incRest = increment.wallSeconds - fanOut(increment);
  const cpuRest = (run: RunJson): number =>
    Object.entries(run.stages).reduce((sum, [name, st]) => (name === 'forecastBatch' ? sum : sum + (st.cpuSeconds ?? 0)), 0);
  const cpuShare = cpuRest(full) > 0 ? `; CPU ${((cpuRest(increment) / cpuRest(full)) * 100).toFixed(0)}%` : '';
  // CPU too: on a shared machine wall times measure contention, process CPU does not.
  return fullRest > 0
    ? `${((incRest / fullRest) * 100).toFixed(0)}% apart from the forecast fan-out${cpuShare}`
    : 'n/a apart from the fan-out';
}

function ratioLine(r: SizeResult, ref: SizeResult): string {
  const parts = Object.entries(r.full.stages).map(([name, st]) => {
    const base = ref.full.stages[name];
    return base
      ? `${name} ${ratio(st.wallSeconds, Math.max(base.wallSeconds, 0.001))}/${ratio(st.peakRssMb, Math.max(base.peakRssMb, 1))}/${ratio(st.peakLiveMb, base.peakLiveMb)}`
      : `${name} n/a`;
  });
  return (
    `${r.skus / ref.skus}× SKUs (${ref.skus} → ${r.skus}): whole wall ${ratio(r.full.wallSeconds, ref.full.wallSeconds)}, ` +
    `peak RSS ${ratio(r.peakRssMb, ref.peakRssMb)}; ${parts.join(', ')}`
  );
}

export async function runScaleBench(args: string[]): Promise<void> {
  const sizes = (argValue(args, '--skus') ?? '2000,8000,32000').split(',').map(Number);
  const days = argValue(args, '--days') ?? '730';
  const seed = argValue(args, '--seed') ?? '7';
  const models = argValue(args, '--models');
  const workers = argValue(args, '--workers');
  // --full-only: the full build alone (the increment run is left out, e.g. when time is short).
  const fullOnly = args.includes('--full-only');
  const write = (s: string): void => void process.stdout.write(s);
  write(
    `scale bench: synthetic fleets of ${sizes.join(', ')} SKUs over ${days} days, whole pipeline via the local host, each size in its own process (${os.cpus().length} CPU, node ${process.version})${models ? `; forecast candidates restricted to ${models} (cheap mode: memory, not accuracy)` : ''}${workers !== undefined ? `; ${workers} Silver and forecast worker thread(s) per size` : ''}\n` +
      `  child environment (the deployment's malloc settings, src/host/memoryTuning.ts): ${mallocSettingsText(withMemoryTuning(process.env))}\n`,
  );
  const results: SizeResult[] = [];
  for (const skus of sizes) {
    const r = await runSize(skus, days, seed, models, workers, fullOnly);
    const [full, increment] = r.runs as [RunJson, RunJson | undefined];
    results.push({ skus, full, increment, peakRssMb: r.peakRssMb });
    write(
      `  ${skus} SKUs (${full.skus} forecast): full build ${full.status} in ${full.wallSeconds.toFixed(1)} s, ` +
        (increment
          ? `increment (+1 day) ${increment.status} in ${increment.wallSeconds.toFixed(1)} s (${((increment.wallSeconds / full.wallSeconds) * 100).toFixed(0)}% of the build, ${shareApartFromFanOut(full, increment)})`
          : 'no increment run (--full-only)') +
        `; peak RSS while a stage ran ${r.peakRssMb.toFixed(0)} MB; largest message ${full.largestMessageBytes} B; ${full.historyEvents} history events\n`,
    );
    for (const [name, st] of Object.entries(full.stages)) {
      const inc = increment?.stages[name];
      write(
        `    ${name.padEnd(18)} wall ${st.wallSeconds.toFixed(1).padStart(7)} s  peak RSS ${st.peakRssMb.toFixed(0).padStart(6)} MB  ` +
          `live heap ${mb(st.liveAtStartMb)} → peak ${mb(st.peakLiveMb)} MB  CPU ${cpu(st.cpuSeconds)} s   ` +
          `increment wall ${inc ? inc.wallSeconds.toFixed(1).padStart(7) : '      -'} s  CPU ${cpu(inc?.cpuSeconds)} s  peak RSS ${mb(inc?.peakRssMb)} MB\n`,
      );
    }
  }
  const ref = results[0];
  if (ref) {
    write(`  ratios against ${ref.skus} SKUs (per stage: wall ×, peak RSS ×, peak live heap ×):\n`);
    for (const r of results.slice(1)) write(`    ${ratioLine(r, ref)}\n`);
  }
  if (results.length > 2) {
    write('  ratios per step (each size against the one before):\n');
    for (let i = 1; i < results.length; i++) write(`    ${ratioLine(results[i]!, results[i - 1]!)}\n`);
  }
  write(`reproduce: npm run bench -- scale${args.length ? ` ${args.join(' ')}` : ''}   (built: node dist/bench/scale.js)\n`);
}

if (require.main === module) {
  runScaleBench(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`scale bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
