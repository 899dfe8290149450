import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { registerForecastModel } from '../../src/lib/forecast/models/registry';
import { runArimaInWorker, stopArimaWorker } from '../../src/lib/forecast/models/arima';
import { ModelTimeoutError } from '../../src/lib/forecast/errors';
import type { SkuForecast } from '../../src/lib/forecast/types';
import { normalRng } from './rng';

const options = { horizon: 14, season: 7 };

function expectSane(f: SkuForecast, horizon = 14): void {
  expect(f.point).toHaveLength(horizon);
  for (const v of f.point) expect(Number.isFinite(v) && v >= 0).toBe(true);
  for (const key of ['q05', 'q25', 'q50', 'q75', 'q95']) {
    const q = f.quantiles[key] as number[];
    expect(q).toHaveLength(horizon);
    for (const v of q) expect(Number.isFinite(v) && v >= 0).toBe(true);
  }
  for (let h = 0; h < horizon; h++) expect(f.quantiles['q05']![h]).toBeLessThanOrEqual(f.quantiles['q95']![h] as number);
  // JSON would hide NaN as null: walk every number instead.
  const walk = (v: unknown): void => {
    if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk({ point: f.point, quantiles: f.quantiles, metrics: f.metrics });
}

const weekly = (n: number, seed = 3): number[] => {
  const rng = normalRng(seed);
  return Array.from({ length: n }, (_, t) => Math.max(0, Math.round(30 + 8 * Math.sin((2 * Math.PI * t) / 7) + 3 * rng())));
};

describe('robustness: never a crash, never NaN, a clear reason', () => {
  it('all-zero history', () => {
    const f = forecastSeries({ sku: 'z', startDate: '2024-01-01', values: new Array<number>(60).fill(0) }, options);
    expectSane(f);
    expect(f.point.every((v) => v === 0)).toBe(true);
    expect(f.demandClass).toBe('zero');
    expect(f.fallbackReason).toMatch(/all-zero/);
  });

  it('single sale', () => {
    const values = new Array<number>(50).fill(0);
    values[20] = 10;
    const f = forecastSeries({ sku: 's', startDate: '2024-01-01', values }, options);
    expectSane(f);
    expect(f.point[0]).toBeCloseTo(10 / 50, 10);
    expect(f.fallbackReason).toMatch(/single sale/);
  });

  it('constant history', () => {
    const f = forecastSeries({ sku: 'c', startDate: '2024-01-01', values: new Array<number>(40).fill(7) }, options);
    expectSane(f);
    expect(f.point.every((v) => v === 7)).toBe(true);
    expect(f.fallbackReason).toMatch(/constant/);
  });

  it('very short history (< 2 seasons)', () => {
    const f = forecastSeries({ sku: 'short', startDate: '2024-01-01', values: [3, 5, 4, 6, 5, 7, 6, 5, 4, 6] }, options);
    expectSane(f);
    expect(f.fallbackReason).toMatch(/short history/);
  });

  it('empty and garbage input', () => {
    expectSane(forecastSeries({ sku: 'e', startDate: '2024-01-01', values: [] }, options));
    expectSane(forecastSeries({ sku: 'g', startDate: 'not a date', values: [NaN, Infinity, -Infinity] }, options));
    expectSane(forecastSeries({ sku: 'h', startDate: '2024-01-01', values: [1, 2, 3] }, { horizon: NaN, season: -3 }), 1);
  });

  it('negative, NaN and Infinity values are repaired and reported', () => {
    const values = weekly(120);
    values[10] = -5;
    values[50] = NaN;
    values[51] = Infinity;
    const f = forecastSeries({ sku: 'bad', startDate: '2024-01-01', values }, options);
    expectSane(f);
    expect(f.fallbackReason).toMatch(/negative/);
    expect(f.fallbackReason).toMatch(/non-finite/);
  });

  it('a huge spike is capped and does not blow up the forecast', () => {
    const values = weekly(150);
    values[140] = 1e9;
    const f = forecastSeries({ sku: 'spike', startDate: '2024-01-01', values }, options);
    expectSane(f);
    expect(Math.max(...f.point)).toBeLessThan(1000);
    expect(f.fallbackReason).toMatch(/spike/);
  });

  it('a model that throws or returns NaN is dropped with its reason', () => {
    registerForecastModel({
      name: 'test_throws',
      minLength: () => 1,
      forecast: () => {
        throw new Error('boom');
      },
    });
    registerForecastModel({
      name: 'test_nan',
      minLength: () => 1,
      forecast: (_y, h) => ({ point: new Array<number>(h).fill(NaN), params: {} }),
    });
    const f = forecastSeries(
      { sku: 'x', startDate: '2024-01-01', values: weekly(100) },
      { ...options, models: ['test_throws', 'test_nan', 'snaive'] },
    );
    expectSane(f);
    expect(f.model).toBe('snaive');
    expect(f.candidates.find((c) => c.model === 'test_throws')?.error).toMatch(/boom/);
    expect(f.candidates.find((c) => c.model === 'test_nan')?.error).toMatch(/implausible/);
    expect(f.fallbackReason).toMatch(/test_throws failed/);
  });

  it('every candidate failing falls back to seasonal naive', () => {
    const f = forecastSeries({ sku: 'x', startDate: '2024-01-01', values: weekly(100) }, { ...options, models: ['test_throws'] });
    expectSane(f);
    expect(f.model).toBe('snaive');
    expect(f.fallbackReason).toMatch(/every candidate failed/);
  });

  it('an unknown model name is ignored with a reason', () => {
    const f = forecastSeries({ sku: 'x', startDate: '2024-01-01', values: weekly(100) }, { ...options, models: ['nope', 'snaive'] });
    expectSane(f);
    expect(f.fallbackReason).toMatch(/unknown model\(s\) ignored: nope/);
  });

  it('extra candidates join the default set (once), not an explicit model list', () => {
    const input = { sku: 'x', startDate: '2024-01-01', values: weekly(100) };
    const plain = forecastSeries(input, options).candidates.map((c) => c.model);
    const extended = forecastSeries(input, { ...options, extraCandidates: ['mean', 'ets'] }).candidates.map((c) => c.model);
    expect(plain).not.toContain('mean');
    expect(extended.filter((m) => !m.includes('('))).toEqual([...plain.filter((m) => !m.includes('(')), 'mean']);
    const explicit = forecastSeries(input, { ...options, models: ['snaive'], extraCandidates: ['mean'] }).candidates.map((c) => c.model);
    expect(explicit).toEqual(['snaive']);
  });
});

describe('ARIMA under a time budget', () => {
  afterAll(() => stopArimaWorker());

  it('is killed when it runs over its budget, and the next call works again', () => {
    const y = weekly(200);
    // Warm the worker (WASM load) on a small job, then give a big job 1 ms.
    expect(runArimaInWorker(y.slice(0, 60), 7, { p: 1, d: 1, q: 1 }, 20_000)).toHaveLength(7);
    expect(() => runArimaInWorker(weekly(1000), 7, { p: 2, d: 0, q: 2, P: 1, D: 1, Q: 1, s: 7 }, 1)).toThrow(ModelTimeoutError);
    expect(runArimaInWorker(y.slice(0, 60), 7, { p: 1, d: 1, q: 1 }, 20_000)).toHaveLength(7);
  });

  it('a timed-out ARIMA candidate is recorded, not fatal', () => {
    // A warm worker, so the 1 ms budget has no start-up allowance.
    runArimaInWorker(weekly(60), 7, { p: 1, d: 1, q: 1 }, 20_000);
    const f = forecastSeries(
      { sku: 'a', startDate: '2024-01-01', values: weekly(1000) },
      { ...options, models: ['arima', 'snaive'], modelTimeoutInMs: 1 },
    );
    expectSane(f);
    const arima = f.candidates.find((c) => c.model === 'arima');
    expect(arima?.error).toMatch(/exceeded its 1 ms budget/);
    expect(f.model).toBe('snaive');
  });
});

describe('selection, intervals, censoring', () => {
  it('picks by backtest, records candidates and metrics', () => {
    const f = forecastSeries({ sku: 'w', startDate: '2024-01-01', values: weekly(300) }, options);
    expectSane(f);
    expect(f.metrics.windows).toBe(3);
    expect(f.metrics.mase).not.toBeNull();
    expect(f.candidates.length).toBeGreaterThanOrEqual(4);
    const best = Math.min(...f.candidates.filter((c) => c.score !== null).map((c) => c.score as number));
    expect(f.metrics.mase).toBeCloseTo(best, 10);
    expect(f.segment).toBe('fast');
    expect(f.demandClass).toBe('smooth');
  });

  it('conformal 90% intervals cover close to 90% on simulated data', () => {
    let covered = 0;
    let total = 0;
    let mid = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const values = weekly(238, seed);
      const train = values.slice(0, 224);
      const test = values.slice(224);
      const f = forecastSeries(
        { sku: `c${seed}`, startDate: '2024-01-01', values: train },
        { ...options, backtestWindows: 6, models: ['snaive', 'theta'] },
      );
      test.forEach((a, h) => {
        covered += a >= (f.quantiles['q05']![h] as number) && a <= (f.quantiles['q95']![h] as number) ? 1 : 0;
        mid += a >= (f.quantiles['q25']![h] as number) && a <= (f.quantiles['q75']![h] as number) ? 1 : 0;
        total++;
      });
      expect(f.metrics.coverage90).not.toBeNull();
      expect(f.metrics.pinball).toBeGreaterThan(0);
    }
    expect(covered / total).toBeGreaterThan(0.8);
    expect(covered / total).toBeLessThan(0.99);
    expect(mid / total).toBeGreaterThan(0.35);
    expect(mid / total).toBeLessThan(0.7);
  });

  it('stockout days are not treated as zero demand', () => {
    const values = weekly(200);
    const censored = values.map((_, t) => t >= 180);
    const zeroed = values.map((v, t) => (t >= 180 ? 0 : v));
    const withFlags = forecastSeries({ sku: 's', startDate: '2024-01-01', values: zeroed, censored }, options);
    const naive = forecastSeries({ sku: 's', startDate: '2024-01-01', values: zeroed }, options);
    const level = values.slice(0, 180).reduce((a, b) => a + b, 0) / 180;
    const mean = (x: number[]): number => x.reduce((a, b) => a + b, 0) / x.length;
    expectSane(withFlags);
    expect(Math.abs(mean(withFlags.point) - level) / level).toBeLessThan(0.15);
    expect(mean(naive.point)).toBeLessThan(0.5 * level);
    expect(withFlags.fallbackReason).toMatch(/20 stockout day/);
  });
});
