#!/usr/bin/env node
// By-hand crash check (not part of npm test): N random SIGKILLs of `demand run` against the sample
// orders API, each followed by a re-run with a NEW run id; every Silver table and the Gold rows
// of completed runs are compared with an uninterrupted run. Prints lost / extra (duplicated)
// rows per kill and in total, and failed re-runs.
//   npm run build && node scripts/crash-kills.js [N=20] [seed=1]
// Uses dist/ for the CLI and test/support/lakeSnapshot.ts (transpiled on the fly) to compare.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
require('../test/support/tsRequire');
const { workspaceTables, tableDiff, runCompleted } = require('../test/support/lakeSnapshot.ts');

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'bin', 'demand.js');
const n = Number(process.argv[2] ?? 20);
let seed = Number(process.argv[3] ?? 1);
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const env = { ...process.env, DEMAND_FORECAST_MODEL_TIMEOUT_MS: '600000' };

function run(args, killAfterMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const p = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, out, ms: Date.now() - started });
    });
  });
}

(async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-kills-'));
  const api = spawn(process.execPath, [cli, 'sample', 'orders-api', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => api.stdout.once('data', (d) => resolve(String(d).trim())));
  try {
    const ws = (name) => path.join(work, name);
    const pipeline = (w, id, kill) =>
      run(['--workspace', w, 'run', '--orders-api-url', url, '--run-id', id, '--json', '--no-progress'], kill);
    await run(['--workspace', ws('reference'), 'sample', 'landing']);
    const ref = await pipeline(ws('reference'), 'reference');
    if (ref.code !== 0) throw new Error(`reference run failed: ${ref.out.slice(-800)}`);
    const expected = await workspaceTables(ws('reference'));
    console.log(
      `reference run: ${ref.ms} ms; rows ${JSON.stringify(Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, v.length])))}`,
    );
    let lastFull = ref.ms;
    const total = { kills: 0, notKilled: 0, failedReruns: 0, lost: 0, extra: 0, lostWhenKilled: 0, extraWhenKilled: 0 };
    for (let i = 1; i <= n; i++) {
      const w = ws(`kill-${i}`);
      await run(['--workspace', w, 'sample', 'landing']);
      // Kill within the first 90% of the latest uninterrupted run's time (runs speed up as caches warm).
      const at = Math.round(300 + random() * (lastFull - 300) * 0.9);
      const killed = await pipeline(w, `killed-${i}`, at);
      const rerun = await pipeline(w, `rerun-${i}`);
      if (killed.signal !== 'SIGKILL') lastFull = Math.min(lastFull, killed.ms);
      // A run that finished before the kill is a completed run too: then Gold is compared for the re-run alone.
      const d = tableDiff(expected, await workspaceTables(w, (await runCompleted(w, `killed-${i}`)) ? { onlyRuns: [`rerun-${i}`] } : {}));
      const lost = Object.values(d).reduce((a, x) => a + x.lost, 0);
      const extra = Object.values(d).reduce((a, x) => a + x.extra, 0);
      total.kills += killed.signal === 'SIGKILL' ? 1 : 0;
      total.notKilled += killed.signal === 'SIGKILL' ? 0 : 1;
      total.failedReruns += rerun.code === 0 ? 0 : 1;
      total.lost += lost;
      total.extra += extra;
      if (killed.signal === 'SIGKILL') {
        total.lostWhenKilled += lost;
        total.extraWhenKilled += extra;
      }
      console.log(
        `kill ${i}: SIGKILL at ${at} ms (${killed.signal ?? `exit ${killed.code}`}); re-run ${rerun.code === 0 ? 'ok' : `FAILED: ${rerun.out.slice(-300)}`}; lost ${lost}, extra ${extra} ${Object.keys(d).length ? JSON.stringify(d) : ''}`,
      );
      fs.rmSync(w, { recursive: true, force: true });
    }
    console.log(`TOTAL ${JSON.stringify(total)}`);
  } finally {
    api.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
