import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerBacktestCommand } from '../../src/cli/commands/backtest';
import type { CliContext } from '../../src/cli/context';
import { backtestCsvHeader, backtestRowsToCsv, parseLongSeriesCsv, runBacktest } from '../../src/lib/forecast/backtest';
import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { ForecastPool } from '../../src/lib/forecast/pool';
import type { SeriesInput } from '../../src/lib/forecast/types';
import { normalRng } from './rng';

function series(sku: string, n: number, seed: number): SeriesInput {
  const rng = normalRng(seed);
  return {
    sku,
    startDate: '2024-01-01',
    values: Array.from({ length: n }, (_, t) => Math.max(0, Math.round(20 + 6 * Math.sin((2 * Math.PI * t) / 7) + 2 * rng()))),
  };
}

describe('ForecastPool', () => {
  it('gives the same results on worker threads as in-process', async () => {
    const inputs = [
      series('a', 120, 1),
      series('b', 90, 2),
      { sku: 'z', startDate: '2024-01-01', values: [0, 0, 0, 0] },
      series('c', 60, 3),
    ];
    const options = { horizon: 14, season: 7 };
    const inProcess = ForecastPool.create({ workers: 0 });
    const threaded = ForecastPool.create({ workers: 1 });
    try {
      const a = await inProcess.forecast(inputs, options);
      const b = await threaded.forecast(inputs, options);
      expect(b.map((f) => f.sku)).toEqual(['a', 'b', 'z', 'c']);
      expect(b).toEqual(a);
      expect(a).toEqual(inputs.map((i) => forecastSeries(i, options)));
    } finally {
      await Promise.all([inProcess.close(), threaded.close()]);
    }
  });
});

describe('backtest contract (same definitions as r_reference.R)', () => {
  // Two series, 12 days each; H = 3, M = 2.
  const csv = [
    'series_id,date,y',
    ...[1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4].map((y, i) => `flat,2024-01-${String(i + 1).padStart(2, '0')},${y}`),
    ...[5, 1, 6, 2, 7, 3, 8, 4, 9, 5, 10, 0].map((y, i) => `b,2024-01-${String(i + 1).padStart(2, '0')},${y}`),
  ].join('\n');

  it('scores snaive exactly as defined (MASE vs in-sample lag-M naive, sMAPE with 0/0 = 0)', () => {
    const rows = runBacktest(parseLongSeriesCsv(csv), { horizon: 3, season: 2, models: ['snaive'] });
    expect(rows.map((r) => `${r.seriesId}/${r.model}`)).toEqual(['b/auto', 'b/snaive', 'flat/auto', 'flat/snaive']);
    const b = rows.find((r) => r.seriesId === 'b' && r.model === 'snaive')!;
    // train b = 5 1 6 2 7 3 8 4 9, test = 5 10 0; snaive(2) forecast = 4 9 4.
    // scale = mean |y_t − y_{t−2}| over the train = mean(1,1,1,1,1,1,1) = 1.
    expect(b.absError).toBeCloseTo(1 + 1 + 4, 12);
    expect(b.absActual).toBeCloseTo(15, 12);
    expect(b.mase).toBeCloseTo(6 / 3 / 1, 12);
    // sMAPE: 200·1/9, 200·1/19, 200·4/4.
    expect(b.smape).toBeCloseTo((200 / 9 + 200 / 19 + 200) / 3, 10);
    for (const r of rows) expect(r.fitInMs).toBeGreaterThanOrEqual(0);
  });

  it('the command writes the CSV header and one row per series and model', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'backtest-'));
    try {
      const input = path.join(dir, 'in.csv');
      const output = path.join(dir, 'out.csv');
      await fs.writeFile(input, `${csv}\n`);
      const out: string[] = [];
      const err: string[] = [];
      let exitCode = 0;
      const context = {
        stdout: (t: string) => void out.push(t),
        stderr: (t: string) => void err.push(t),
        setExitCode: (c: number) => void (exitCode = c),
      } as unknown as CliContext;
      const program = new Command('demand').exitOverride();
      registerBacktestCommand(program, context);
      await program.parseAsync([
        'node',
        'demand',
        'backtest',
        '--input',
        input,
        '--horizon',
        '3',
        '--season',
        '2',
        '--output',
        output,
        '--models',
        'snaive,theta',
      ]);
      expect(err).toEqual([]);
      expect(exitCode).toBe(0);
      const lines = (await fs.readFile(output, 'utf8')).trim().split('\n');
      expect(lines[0]).toBe(backtestCsvHeader);
      // r_reference.R's columns first, unchanged; the probabilistic ones after them.
      expect(
        lines[0]!.startsWith('series_id,model,mase,smape,abs_err,abs_actual,fit_ms,coverage50,coverage90,pinball,bias,chosen,reason'),
      ).toBe(true);
      expect(lines).toHaveLength(1 + 2 * 3);
      expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join('/'))).toEqual([
        'b/auto',
        'b/snaive',
        'b/theta',
        'flat/auto',
        'flat/snaive',
        'flat/theta',
      ]);
      for (const line of lines.slice(1))
        expect(
          line
            .split(',')
            .slice(2, 11)
            .every((v) => v === 'Inf' || Number.isFinite(Number(v))),
        ).toBe(true);

      await program.parseAsync(['node', 'demand', 'backtest', '--input', input, '--horizon', 'x', '--season', '2', '--output', output]);
      expect(exitCode).toBe(1);
      expect(err.join('')).toMatch(/--horizon must be a positive integer, got "x"/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('writes R-style Inf for a zero MASE scale', () => {
    const rows = runBacktest(parseLongSeriesCsv(csv), { horizon: 3, season: 2 });
    const flat = rows.find((r) => r.seriesId === 'flat')!;
    // flat's train (1 2 3 4 1 2 3 4 1) has lag-2 differences of 2, so its scale is finite.
    expect(Number.isFinite(flat.mase)).toBe(true);
    expect(backtestRowsToCsv([{ ...flat, mase: Infinity }])).toMatch(/flat,auto,Inf,/);
  });
});
