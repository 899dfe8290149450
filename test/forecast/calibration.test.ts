import { countQuantiles, scaledConformalQuantiles } from '../../src/lib/forecast/conformal';
import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { ForecastPool } from '../../src/lib/forecast/pool';
import { fleetPriorOf, pooledRate, recentWindow } from '../../src/lib/forecast/pooling';
import type { SeriesInput } from '../../src/lib/forecast/types';
import { normalRng } from './rng';

/** Deterministic Poisson draws (inverse CDF on a seeded uniform). */
function poissonRng(seed: number): (lambda: number) => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return (lambda) => {
    const u = uniform();
    let k = 0;
    let p = Math.exp(-lambda);
    let cdf = p;
    while (cdf < u && k < 1000) {
      k++;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  };
}

describe('count quantiles', () => {
  it('Poisson and negative binomial quantiles match known values', () => {
    // Poisson(2): P(0)=.135, P(≤1)=.406, P(≤2)=.677, P(≤3)=.857, P(≤5)=.983.
    expect(countQuantiles(2, 2, [0.05, 0.25, 0.5, 0.75, 0.95])).toEqual([0, 1, 2, 3, 5]);
    // NB mean 1, variance 3: P(0) = (1/3)^(1/2) = .577 → q05 = q25 = q50 = 0.
    const nb = countQuantiles(1, 3, [0.05, 0.5, 0.95]);
    expect(nb.slice(0, 2)).toEqual([0, 0]);
    expect(nb[2]).toBeGreaterThanOrEqual(4);
    expect(countQuantiles(0, 0, [0.05, 0.95])).toEqual([0, 0]);
  });

  it('an intermittent SKU (most days 0) gets q05 = 0, integer quantiles and q95 above 0', () => {
    const poisson = poissonRng(3);
    const values = Array.from({ length: 200 }, () => (poisson(0.3) > 0 ? 1 + poisson(1) : 0));
    const f = forecastSeries({ sku: 'i', startDate: '2024-01-01', values }, { horizon: 14, season: 7 });
    expect(f.segment).toBe('intermittent');
    expect(f.params['intervalMethod']).toMatch(/^count-distribution/);
    expect(f.quantiles['q05']!.every((v) => v === 0)).toBe(true);
    expect(f.quantiles['q95']!.some((v) => v >= 1)).toBe(true);
    for (const key of ['q05', 'q25', 'q50', 'q75', 'q95']) expect(f.quantiles[key]!.every((v) => Number.isInteger(v))).toBe(true);
    // The expected units carry the demand rate even where the median is 0.
    const rate = values.reduce((a, b) => a + b, 0) / values.length;
    const meanRate = f.mean.reduce((a, b) => a + b, 0) / f.mean.length;
    expect(meanRate).toBeGreaterThan(0.5 * rate);
    expect(meanRate).toBeLessThan(2 * rate);
  });
});

describe('scaled conformal bands', () => {
  it('follow the level: a quiet step gets a narrower band than a busy one', () => {
    const rng = normalRng(9);
    const pairs = Array.from({ length: 200 }, (_, i) => {
      const f = i % 2 ? 10 : 100;
      return { forecast: f, actual: f + Math.sqrt(f) * rng() };
    });
    const q = scaledConformalQuantiles([10, 100], pairs, [0.05, 0.95]);
    const width = (h: number): number => q['q95']![h]! - q['q05']![h]!;
    expect(width(1) / width(0)).toBeGreaterThan(2);
    expect(width(1) / width(0)).toBeLessThan(4.5);
  });

  it('cover about 90% and 50% of new points on simulated weekly Poisson demand (held out from calibration)', () => {
    const poisson = poissonRng(11);
    let in90 = 0;
    let in50 = 0;
    let count = 0;
    for (let s = 0; s < 6; s++) {
      const level = 6 + 8 * s;
      const mean = (t: number): number => level * (1 + 0.4 * Math.sin((2 * Math.PI * t) / 7));
      const values = Array.from({ length: 224 }, (_, t) => poisson(mean(t)));
      const train = values.slice(0, 196);
      const f = forecastSeries({ sku: `s${s}`, startDate: '2024-01-01', values: train }, { horizon: 28, season: 7 });
      values.slice(196).forEach((a, h) => {
        in90 += a >= f.quantiles['q05']![h]! && a <= f.quantiles['q95']![h]! ? 1 : 0;
        in50 += a >= f.quantiles['q25']![h]! && a <= f.quantiles['q75']![h]! ? 1 : 0;
        count++;
      });
    }
    // Inclusive bounds on integer data cover a little more than nominal.
    expect(in90 / count).toBeGreaterThan(0.85);
    expect(in90 / count).toBeLessThan(0.97);
    expect(in50 / count).toBeGreaterThan(0.44);
    expect(in50 / count).toBeLessThan(0.66);
  });
});

describe('pooled rates for sparse SKUs', () => {
  const start = '2024-01-01';
  const sparse = (sku: string, n: number, sales: Array<[number, number]>): SeriesInput => {
    const values = new Array<number>(n).fill(0);
    for (const [t, units] of sales) values[t] = units;
    return { sku, startDate: start, values };
  };

  it('a SKU with one recent sale gets a rate shrunk towards the fleet, with a reason and count quantiles', () => {
    const fleet = Array.from({ length: 30 }, (_, i) => sparse(`s${i}`, 200, i % 3 ? [[150 + i, 1]] : []));
    const prior = fleetPriorOf(fleet)!;
    expect(prior.skus).toBe(30);
    expect(prior.ratePerDay).toBeCloseTo(20 / (30 * 182), 10);
    // Two sales in its last 11 days: alone that is 0.18/day; pooled it is far lower.
    const newcomer = sparse('new', 11, [
      [3, 1],
      [10, 1],
    ]);
    const f = forecastSeries(newcomer, { horizon: 28, season: 7, fleetPrior: prior });
    expect(f.model).toBe('pooled');
    expect(f.fallbackReason).toMatch(/sparse: 2 sale day\(s\) in the last 11 days: rate pooled/);
    expect(f.point[0]).toBeCloseTo(pooledRate(recentWindow(newcomer.values, undefined), prior), 12);
    expect(f.point[0]).toBeLessThan(2 / 11);
    expect(f.point[0]).toBeGreaterThan(prior.ratePerDay);
    expect(f.quantiles['q05']!.every((v) => v === 0)).toBe(true);
  });

  it('the pool estimates the prior from the batch itself, the same with and without workers', async () => {
    const fleet = Array.from({ length: 12 }, (_, i) => sparse(`s${i}`, 100, [[90, 1 + (i % 2)]]));
    const inProcess = ForecastPool.create({ workers: 0 });
    try {
      const results = await inProcess.forecast(fleet, { horizon: 7, season: 7 });
      expect(results.every((r) => r.model === 'pooled')).toBe(true);
      const prior = fleetPriorOf(fleet)!;
      expect(results[0]).toEqual(forecastSeries(fleet[0]!, { horizon: 7, season: 7, fleetPrior: prior }));
    } finally {
      await inProcess.close();
    }
  });

  it('without a fleet a single sale keeps its own rate, now with count quantiles', () => {
    const f = forecastSeries(sparse('one', 50, [[40, 3]]), { horizon: 7, season: 7 });
    expect(f.fallbackReason).toMatch(/single sale/);
    expect(f.quantiles['q05']![0]).toBe(0);
  });
});

describe('an all-zero forecast for a SKU that sold last month has a reason', () => {
  it('names the model and the units sold', () => {
    const values = new Array<number>(120).fill(0);
    for (const t of [5, 30, 61, 100, 110]) values[t] = 2;
    const f = forecastSeries({ sku: 'z', startDate: '2024-01-01', values }, { horizon: 14, season: 7, models: ['smedian'] });
    expect(f.point.every((v) => v === 0)).toBe(true);
    expect(f.fallbackReason).toMatch(/all-zero forecast from smedian although 4 unit\(s\) sold in the last 30 days/);
    expect(f.mean.some((v) => v > 0)).toBe(true);
  });
});
