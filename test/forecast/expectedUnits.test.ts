import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { modelByName } from '../../src/lib/forecast/models/registry';
import type { ModelContext } from '../../src/lib/forecast/types';

/** Deterministic uniform draws (LCG). */
function uniformRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
}

/**
 * A fleet of 20 lumpy daily series: a sale on 38% of weekdays and 10% of weekend days, 1 to 12
 * units each, two years; the true expected units per day are known.
 */
function lumpyFleet(days = 730): { fleet: number[][]; expectedPerDay: number } {
  const fleet = Array.from({ length: 20 }, (_, k) => {
    const u = uniformRng((k + 1) * 7919);
    return Array.from({ length: days }, (_, t) => (u() < (t % 7 === 0 || t % 7 === 6 ? 0.1 : 0.38) ? 1 + Math.floor(u() * 12) : 0));
  });
  return { fleet, expectedPerDay: ((2 * 0.1 + 5 * 0.38) / 7) * 6.5 };
}

const sum = (v: readonly number[]): number => v.reduce((a, x) => a + x, 0);
const context: ModelContext = { season: 7, startDayOfWeek: 0, isDaily: true, timeoutInMs: 5000 };
describe('expected units of the harmonic regression (a log-scale median)', () => {
  it('its point is a median far below the mean of lumpy demand; its mean adds up over a fleet within 10% of the true units', () => {
    const { fleet, expectedPerDay } = lumpyFleet();
    const truth = fleet.length * 28 * expectedPerDay;
    for (const name of ['harmonic', 'harmonic_smooth']) {
      const outs = fleet.map((values) => modelByName(name).forecast(values, 28, context));
      for (const out of outs) expect(out.mean).toHaveLength(28);
      expect(sum(outs.map((o) => sum(o.point))) / truth).toBeLessThan(0.6);
      expect(Math.abs(sum(outs.map((o) => sum(o.mean ?? []))) / truth - 1)).toBeLessThan(0.1);
    }
  });

  it('reaches SkuForecast.mean when a seasonal median is chosen, and when harmonic is chosen alone', () => {
    const { fleet, expectedPerDay } = lumpyFleet();
    const truth = fleet.length * 28 * expectedPerDay;
    for (const models of [['smedian', 'harmonic'], ['harmonic']]) {
      const forecasts = fleet.map((values, k) =>
        forecastSeries({ sku: `lumpy${k}`, startDate: '2024-01-07', values }, { horizon: 28, season: 7, models }),
      );
      const meanTotal = sum(forecasts.map((f) => sum(f.mean)));
      expect(Math.abs(meanTotal / truth - 1)).toBeLessThan(0.1);
      // The point stays what absolute-error selection picked: a median, lower.
      expect(sum(forecasts.map((f) => sum(f.point)))).toBeLessThan(0.6 * meanTotal);
    }
  });

  it('on smooth demand far from zero the mean is close to the median (ratio near 1)', () => {
    const u = uniformRng(3);
    const values = Array.from({ length: 730 }, (_, t) => Math.round(100 + 30 * Math.sin((2 * Math.PI * t) / 7) + 10 * (u() - 0.5)));
    const out = modelByName('harmonic').forecast(values, 28, context);
    const ratio = (out.mean ?? []).reduce((a, v) => a + v, 0) / out.point.reduce((a, v) => a + v, 0);
    expect(ratio).toBeGreaterThan(0.99);
    expect(ratio).toBeLessThan(1.02);
  });
});
