import { fleetSeasonOf, fleetWeekdayShares, weekdayShape, yearAgoRatio } from '../../src/lib/forecast/fleetSeason';
import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import type { SeriesInput } from '../../src/lib/forecast/types';

/** Deterministic uniform draws (LCG). */
function uniformRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
}

const start = '2022-01-02'; // a Sunday
const dayMs = 86_400_000;
const dayOfYear = (t: number): number => {
  const d = new Date(Date.parse(`${start}T00:00:00Z`) + t * dayMs);
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / dayMs);
};

/**
 * A fleet of intermittent SKUs over two years: no trade on Saturdays, and every November 15 to
 * December 12 demand is 1.6 times the rest of the year. Histories end on 2023-11-14.
 */
function seasonalFleet(skus = 30): SeriesInput[] {
  const end = (Date.parse('2023-11-14T00:00:00Z') - Date.parse(`${start}T00:00:00Z`)) / dayMs;
  return Array.from({ length: skus }, (_, k) => {
    const u = uniformRng(101 + k);
    const values = Array.from({ length: end + 1 }, (_, t) => {
      if (t % 7 === 6) return 0;
      const doy = dayOfYear(t);
      const p = 0.2 * (doy >= 318 && doy < 346 ? 1.6 : 1);
      return u() < p ? 1 + Math.floor(u() * 4) : 0;
    });
    return { sku: `sku${k}`, startDate: start, values };
  });
}

describe('the fleet a year ago (fleetSeason)', () => {
  it("the year-ago ratio is the fleet's uplift of the next H days a year ago over the base days before them", () => {
    const fleet = seasonalFleet();
    const season = fleetSeasonOf(fleet, 28);
    expect(season).toBeDefined();
    expect(season!.skus).toBe(30);
    const ratio = yearAgoRatio(season!, '2023-11-14', 28) as number;
    // By hand: fleet units 2022-11-16..2022-12-13 (364 days before the horizon) over 2022-10-19..2022-11-15.
    const index = (date: string): number => (Date.parse(`${date}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / dayMs;
    const fleetUnits = (from: string, days: number): number =>
      fleet.reduce((a, s) => a + s.values.slice(index(from), index(from) + days).reduce((b, v) => b + v, 0), 0);
    expect(ratio).toBeCloseTo(fleetUnits('2022-11-16', 28) / fleetUnits('2022-10-19', 28), 10);
    // The true uplift is 1.6 on 27 of those 28 days (sampling noise aside).
    expect(ratio).toBeGreaterThan(1.2);
    expect(ratio).toBeLessThan(1.9);
    // Fewer than 20 SKUs with a year of history: no fleet season.
    expect(fleetSeasonOf(fleet.slice(0, 10), 28)).toBeUndefined();
  });

  it('a closed weekday gets no demand in the weekday shape, from the fleet even for a SKU with few units', () => {
    const fleet = seasonalFleet();
    const shares = fleetWeekdayShares(fleetSeasonOf(fleet, 28));
    expect(shares[6]).toBe(0);
    const few = [...new Array<number>(399).fill(0), 3, 0, 0, 0, 0, 0, 0];
    const shape = weekdayShape(few, new Array<boolean>(few.length).fill(false), 0, 14, shares) as number[];
    // History of 406 days (58 weeks) from a Sunday: the forecast starts on a Sunday; Saturdays are h = 6 and 13.
    expect(shape[6]).toBeLessThan(0.01);
    expect(shape[13]).toBeLessThan(0.01);
    expect(shape.slice(0, 7).reduce((a, v) => a + v, 0)).toBeCloseTo(7, 6);
  });

  it('reaches the expected units and count quantiles of a flat-model SKU: uplift, and zero demand on Saturdays', () => {
    const fleet = seasonalFleet();
    const fleetSeason = fleetSeasonOf(fleet, 28)!;
    const input = fleet[0] as SeriesInput;
    const options = { horizon: 28, season: 7, models: ['sba', 'croston'] };
    const plain = forecastSeries(input, options);
    const withFleet = forecastSeries(input, { ...options, fleetSeason });
    const sum = (v: readonly number[]): number => v.reduce((a, x) => a + x, 0);
    expect(sum(withFleet.mean) / sum(plain.mean)).toBeCloseTo(yearAgoRatio(fleetSeason, '2023-11-14', 28) as number, 2);
    expect(withFleet.params['fleetYearAgoRatio']).toBeGreaterThan(1.2);
    // The forecast starts on 2023-11-15, a Wednesday: Saturdays are h = 3, 10, 17, 24.
    for (const h of [3, 10, 17, 24]) {
      expect(withFleet.mean[h]).toBeLessThan(0.05 * (withFleet.mean[h + 1] as number));
      expect(withFleet.quantiles['q95']![h]).toBe(0);
    }
    // The point (what absolute-error selection picked) is not touched.
    expect(withFleet.point).toEqual(plain.point);
  });
});
