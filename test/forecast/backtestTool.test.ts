import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerBacktestCommand } from '../../src/cli/commands/backtest';
import type { CliContext } from '../../src/cli/context';
import { ValidationError } from '../../src/lib/errors';
import { backtestRowsToCsv, intervalScores, parseLongSeriesCsv, pitCoverage, runBacktest } from '../../src/lib/forecast/backtest';
import { registerForecastModel } from '../../src/lib/forecast/models/registry';
import { normalRng } from './rng';

function csv(rows: Array<[string, string, string]>): string {
  return ['series_id,date,y', ...rows.map((r) => r.join(','))].join('\n');
}

function days(id: string, values: Array<number | string>, start = Date.UTC(2024, 0, 1)): Array<[string, string, string]> {
  return values.map((v, i) => [id, new Date(start + i * 86_400_000).toISOString().slice(0, 10), String(v)]);
}

describe('parseLongSeriesCsv: bad input is a clear error naming series and date', () => {
  it('a duplicate date', () => {
    const rows = days('a', [1, 2, 3]);
    rows.push(['a', '2024-01-02', '5']);
    expect(() => parseLongSeriesCsv(csv(rows))).toThrow(/series "a" has date 2024-01-02 twice/);
  });

  it('a missing day, or filled with 0 and counted when asked', () => {
    const rows = days('a', [1, 2, 3, 4]).filter((r) => r[1] !== '2024-01-03');
    expect(() => parseLongSeriesCsv(csv(rows))).toThrow(/series "a" has no row for 2024-01-03/);
    const [s] = parseLongSeriesCsv(csv(rows), { fillGaps: true });
    expect(s!.values).toEqual([1, 2, 0, 4]);
    expect(s!.filledDays).toBe(1);
  });

  it('a text value and an impossible date', () => {
    expect(() => parseLongSeriesCsv(csv([...days('a', [1, 2]), ['a', '2024-01-03', 'ten']]))).toThrow(
      /row 4: series "a" on 2024-01-03: y "ten" is not a number/,
    );
    expect(() => parseLongSeriesCsv(csv([['a', '2024-02-30', '1']]))).toThrow(ValidationError);
  });

  it('empty and NA are unknown values, not errors', () => {
    const [s] = parseLongSeriesCsv(csv(days('a', [1, '', 'NA', 4])));
    expect(s!.values.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([1, 'NaN', 'NaN', 4]);
  });
});

describe('runBacktest: one bad series is a row with a reason, never an abort', () => {
  const rng = normalRng(5);
  const good = days(
    'good',
    Array.from({ length: 70 }, (_, t) => Math.max(0, Math.round(10 + 4 * Math.sin((2 * Math.PI * t) / 7) + 2 * rng()))),
  );

  it('a too-short series and a throwing model give rows with reasons; the rest is scored', () => {
    registerForecastModel({
      name: 'test_throws',
      minLength: () => 1,
      forecast: () => {
        throw new Error('boom');
      },
    });
    const rows = runBacktest(parseLongSeriesCsv(csv([...good, ...days('short', [1, 2, 3])])), {
      horizon: 7,
      season: 7,
      models: ['test_throws'],
    });
    const short = rows.filter((r) => r.seriesId === 'short');
    expect(short).toHaveLength(2);
    for (const r of short) {
      expect(r.reason).toMatch(/too short: 3 points; needs more than horizon \+ season = 14/);
      expect(Number.isNaN(r.mase)).toBe(true);
    }
    const auto = rows.find((r) => r.seriesId === 'good' && r.model === 'auto')!;
    expect(Number.isFinite(auto.mase)).toBe(true);
    expect(auto.chosen).not.toBe('');
    for (const v of [auto.coverage50, auto.coverage90, auto.pinball, auto.rmsse, auto.pitCoverage50, auto.pitCoverage90])
      expect(Number.isFinite(v)).toBe(true);
    const thrown = rows.find((r) => r.seriesId === 'good' && r.model === 'test_throws')!;
    expect(thrown.reason).toMatch(/test_throws failed: (Error: )?boom/);
    const out = backtestRowsToCsv(rows);
    expect(out.split('\n')[0]).toBe(
      'series_id,model,mase,smape,abs_err,abs_actual,fit_ms,coverage50,coverage90,pinball,bias,chosen,reason,rmsse,mean_bias,pit_coverage50,pit_coverage90',
    );
  });

  it('unknown actuals in the hold-out and training are left out, not NaN', () => {
    const values = good.map((r) => r[2]);
    values[10] = 'NA';
    values[66] = '';
    const rows = runBacktest(parseLongSeriesCsv(csv(days('g', values))), { horizon: 7, season: 7 });
    const r = rows[0]!;
    expect(Number.isFinite(r.mase)).toBe(true);
    expect(Number.isFinite(r.coverage90)).toBe(true);
  });
});

describe('interval scores', () => {
  it('coverage counts bounds as inside; pinball of a perfect median band is the spread cost only', () => {
    const q = { q05: [0, 0], q25: [1, 1], q50: [2, 2], q75: [3, 3], q95: [4, 4] };
    const s = intervalScores([2, 5], q);
    expect(s.coverage50).toBe(0.5);
    expect(s.coverage90).toBe(0.5);
  });

  it('randomized PIT: a certain 0 that comes true counts by the band width, a continuous PIT by inclusion', () => {
    const zeros: Record<string, number[]> = {};
    for (let i = 1; i <= 99; i++) zeros[`q${String(i).padStart(2, '0')}`] = [0];
    const pit = pitCoverage([0], zeros);
    expect(pit.pitCoverage50).toBeCloseTo(0.5, 10);
    expect(pit.pitCoverage90).toBeCloseTo(0.9, 10);
    const linear: Record<string, number[]> = {};
    for (let i = 1; i <= 99; i++) linear[`q${String(i).padStart(2, '0')}`] = [i];
    expect(pitCoverage([50.5], linear)).toEqual({ pitCoverage50: 1, pitCoverage90: 1 });
    expect(pitCoverage([97.5], linear)).toEqual({ pitCoverage50: 0, pitCoverage90: 0 });
  });
});

describe('demand backtest --forecasts --fill-gaps', () => {
  it('writes every hold-out point with its quantiles, fills a gap when asked and says so', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'backtest-tool-'));
    try {
      const rows = days(
        'a',
        Array.from({ length: 40 }, (_, t) => 5 + (t % 7)),
      ).filter((r) => r[1] !== '2024-01-10');
      const input = path.join(dir, 'in.csv');
      await fs.writeFile(input, csv(rows));
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
      const args = [
        'node',
        'demand',
        'backtest',
        '--input',
        input,
        '--horizon',
        '7',
        '--season',
        '7',
        '--output',
        path.join(dir, 'out.csv'),
      ];
      await program.parseAsync(args);
      expect(exitCode).toBe(1);
      expect(err.join('')).toMatch(/series "a" has no row for 2024-01-10/);
      exitCode = 0;
      await program.parseAsync([...args, '--fill-gaps', '--forecasts', path.join(dir, 'points.csv')]);
      expect(exitCode).toBe(0);
      const points = (await fs.readFile(path.join(dir, 'points.csv'), 'utf8')).trim().split('\n');
      expect(points[0]).toBe('series_id,model,date,actual,point,q05,q25,q50,q75,q95,expected');
      expect(points).toHaveLength(1 + 7);
      expect(points[1]!.startsWith('a,auto,2024-02-03,')).toBe(true);
      // Every point carries the expected units: a finite, non-negative number in the last column.
      for (const row of points.slice(1)) {
        const expected = Number(row.split(',').at(-1));
        expect(Number.isFinite(expected) && expected >= 0).toBe(true);
      }
      const result = (await fs.readFile(path.join(dir, 'out.csv'), 'utf8')).trim().split('\n');
      expect(result[1]).toMatch(/1 missing day\(s\) filled with 0/);
      expect(out.join('')).toMatch(/fleet bias -?\d+\.\d% \(point\)/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
