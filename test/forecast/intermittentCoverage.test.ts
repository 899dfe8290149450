import { runBacktest, type LongSeries } from '../../src/lib/forecast/backtest';
import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { seededRandom } from '../../src/lib/sample/seededRandom';
import { poissonDraw } from './rng';

/**
 * A wholesale-like intermittent day: a Poisson number of orders (rate `ordersPerDay`, lower at
 * weekends), each a pack of `pack` units (Online Retail's slow SKUs sell in 12s and 25s).
 */
function lumpyDays(u: () => number, days: number, ordersPerDay: number, pack: number): number[] {
  return Array.from({ length: days }, (_, t) => pack * poissonDraw(u, ordersPerDay * (t % 7 >= 5 ? 0.6 : 1.1)));
}

function dates(days: number): string[] {
  return Array.from({ length: days }, (_, t) => new Date(Date.parse('2023-01-02T00:00:00Z') + t * 86_400_000).toISOString().slice(0, 10));
}

describe('intermittent count SKUs: held-out coverage and the count distribution', () => {
  it('a seeded fleet of lumpy intermittent SKUs: randomized-PIT coverage of q25–q75 and q05–q95 on the held-out 28 days within 3 points of nominal', () => {
    const u = seededRandom(20261201);
    const packs = [6, 12, 24, 48];
    const days = 308;
    const fleet: LongSeries[] = Array.from({ length: 24 }, (_, i) => ({
      seriesId: `sku${String(i).padStart(2, '0')}`,
      dates: dates(days),
      values: lumpyDays(u, days, 0.04 + 0.02 * (i % 12), packs[i % packs.length] as number),
    }));
    const rows = runBacktest(fleet, { horizon: 28, season: 7 });
    const mean = (key: 'pitCoverage50' | 'pitCoverage90'): number => rows.reduce((s, r) => s + r[key], 0) / rows.length;
    expect(rows.every((r) => Number.isFinite(r.pitCoverage90))).toBe(true);
    // The negative binomial on units alone (before the compound Poisson day) held 50.0% / 85.7% here: too little mass on the lumps.
    expect(Math.abs(mean('pitCoverage50') - 0.5)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(mean('pitCoverage90') - 0.9)).toBeLessThanOrEqual(0.03);
  });

  it('a SKU sold in packs of 12 on about one day in ten gets quantiles its days can take: 0 up to the median, multiples of 12 above', () => {
    const u = seededRandom(7);
    const values = Array.from({ length: 364 }, () => (u() < 0.1 ? 12 * (u() < 0.8 ? 1 : 2) : 0));
    const f = forecastSeries({ sku: 'pack12', startDate: '2024-01-01', values }, { horizon: 28, season: 7 });
    expect(f.params['intervalMethod']).toMatch(/^count-distribution/);
    for (const key of ['q05', 'q25', 'q50']) expect(f.quantiles[key]!.every((v) => v === 0)).toBe(true);
    expect(f.quantiles['q95']!.some((v) => v >= 12)).toBe(true);
    for (const key of Object.keys(f.quantiles)) expect(f.quantiles[key]!.every((v) => v % 12 === 0)).toBe(true);
  });

  it('an integer history with a spike keeps its count distribution (the spike cap is an integer)', () => {
    // Sizes whose 10 × q95 (the cap) interpolates to 107.5 units.
    const u = seededRandom(25);
    const values = Array.from({ length: 300 }, () => (u() < 0.2 ? (u() < 0.7 ? 1 : 2 + Math.floor(10 * u())) : 0));
    values[150] = 5000;
    const f = forecastSeries({ sku: 'spike', startDate: '2024-01-01', values }, { horizon: 14, season: 7 });
    expect(f.fallbackReason).toMatch(/1 extreme spike\(s\) capped at 108\b/);
    expect(f.params['intervalMethod']).toMatch(/^count-distribution/);
    for (const key of Object.keys(f.quantiles)) expect(f.quantiles[key]!.every((v) => Number.isInteger(v))).toBe(true);
  });
});
