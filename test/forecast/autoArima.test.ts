import { autoArimaModels } from '../../src/lib/forecast/models/autoArima';
import { searchArima } from '../../src/lib/forecast/models/autoArimaSearch';
import { fitSarima, forecastSarima, rootsOutside } from '../../src/lib/forecast/models/sarimaCss';
import { kpssStatistic, ndiffs, nsdiffs } from '../../src/lib/forecast/models/unitRoot';
import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import type { ModelContext } from '../../src/lib/forecast/types';
import { normalRng } from './rng';

const round4 = (v: number): number => Number(v.toFixed(4));
const weekPattern = [5, 0, -2, -1, 1, 3, -6];

// The same draws were written to files and given to R 4.x (forecast 8.20, urca); the reference
// values in the test names come from that R session.
function whiteNoise(): number[] {
  const r = normalRng(1);
  return Array.from({ length: 200 }, () => round4(10 + r()));
}
function randomWalk(): number[] {
  const r = normalRng(2);
  let s = 0;
  return Array.from({ length: 200 }, () => round4((s += r())));
}
/** AR(1) φ = 0.6 around a fixed weekly pattern, n = 280. */
function weeklyAr(): number[] {
  const r = normalRng(3);
  let z = 0;
  return Array.from({ length: 280 }, (_, t) => {
    z = 0.6 * z + r();
    return round4(50 + (weekPattern[t % 7] as number) + z);
  });
}
/** y_t = y_{t-7} + e_t − 0.5 e_{t-7}, n = 280. */
function seasonalMa(): number[] {
  const r = normalRng(4);
  const e: number[] = [];
  const y: number[] = [];
  for (let t = 0; t < 280; t++) {
    const et = r();
    e.push(et);
    y.push(t < 7 ? 100 + 3 * (weekPattern[t] as number) + et : (y[t - 7] as number) + et - 0.5 * (e[t - 7] as number));
  }
  return y.map(round4);
}

describe('unit-root tests as R forecast::ndiffs / nsdiffs', () => {
  it('KPSS level statistic equals urca::ur.kpss(type = "mu", use.lag = trunc(3√n/13)): 0.2561204 (white noise), 2.751723 (random walk)', () => {
    expect(kpssStatistic(whiteNoise())).toBeCloseTo(0.2561204, 6);
    expect(kpssStatistic(randomWalk())).toBeCloseTo(2.751723, 5);
    expect(kpssStatistic(weeklyAr())).toBeCloseTo(0.1468915, 6);
  });

  it('ndiffs: 0 for white noise, 1 for a random walk (R: 0, 1); nsdiffs: 1 for both weekly series (R: 1, 1), 0 without a season', () => {
    expect(ndiffs(whiteNoise())).toBe(0);
    expect(ndiffs(randomWalk())).toBe(1);
    expect(nsdiffs(weeklyAr(), 7)).toBe(1);
    expect(nsdiffs(seasonalMa(), 7)).toBe(1);
    expect(nsdiffs(whiteNoise(), 7)).toBe(0);
  });
});

describe('SARIMA by conditional sum of squares', () => {
  it('AR(1) with mean equals R arima(method = "CSS"): ar1 −0.4513813, mean 49.74992', () => {
    const fit = fitSarima(weeklyAr(), { p: 1, d: 0, q: 0, P: 0, D: 0, Q: 0, m: 7, constant: true });
    expect(fit.coef[0]).toBeCloseTo(-0.4513813, 4);
    expect(fit.coef[1]).toBeCloseTo(49.74992, 3);
  });

  it('root check: AR(1) 0.5 stationary, 1.0 not; AR(2) 1.2, −0.5 stationary, 0.5, 0.6 not', () => {
    expect(rootsOutside([0.5], 1.01)).toBe(true);
    expect(rootsOutside([1.0], 1.01)).toBe(false);
    expect(rootsOutside([1.2, -0.5], 1.01)).toBe(true);
    expect(rootsOutside([0.5, 0.6], 1.01)).toBe(false);
  });

  it('a seasonal random walk (0,0,0)(0,1,0)7 forecasts the last week again', () => {
    const y = seasonalMa();
    const fit = fitSarima(y, { p: 0, d: 0, q: 0, P: 0, D: 1, Q: 0, m: 7, constant: false });
    expect(forecastSarima(y, fit, 8)).toEqual([...y.slice(-7), y[y.length - 7]]);
  });

  it('a regressor coefficient is estimated with the ARIMA errors (true 4.0)', () => {
    const r = normalRng(9);
    const x = Float64Array.from({ length: 300 }, (_, t) => (t % 11 === 0 ? 1 : 0));
    let z = 0;
    const y = Array.from({ length: 300 }, (_, t) => {
      z = 0.7 * z + r();
      return 20 + 4 * (x[t] as number) + z;
    });
    const fit = fitSarima(y, { p: 1, d: 0, q: 0, P: 0, D: 0, Q: 0, m: 1, constant: true }, { xreg: [x] });
    expect(fit.beta[0]).toBeGreaterThan(3.6);
    expect(fit.beta[0]).toBeLessThan(4.4);
    expect(fit.coef[0]).toBeCloseTo(0.7, 1);
  });
});

describe('stepwise order search', () => {
  it('forecasts like R auto.arima on a seasonal MA series (R: ARIMA(1,0,2)(1,1,1)[7], first week 116.75 101.31 93.64 99.41 101.68 108.25 85.33)', () => {
    const y = seasonalMa();
    const r = searchArima(y, { m: 7, budgetInMs: 60_000 });
    expect(r.fit.order.D).toBe(1);
    expect(r.fit.order.d).toBe(0);
    const rForecast = [116.754045, 101.305477, 93.638848, 99.410643, 101.676844, 108.251469, 85.334769];
    const ours = forecastSarima(y, r.fit, 7);
    const meanAbsDiff = ours.reduce((s, v, i) => s + Math.abs(v - (rForecast[i] as number)), 0) / 7;
    // Innovations have σ ≈ 0.96 (R); the two forecasts agree to well within one σ.
    expect(meanAbsDiff).toBeLessThan(0.3);
  });

  it('forecasts like R auto.arima on AR(1) around a weekly pattern (R: ARIMA(2,0,1)(1,1,0)[7]) within one σ (1.14)', () => {
    const y = weeklyAr();
    const r = searchArima(y, { m: 7, budgetInMs: 60_000 });
    const rForecast = [54.187817, 48.534613, 46.583261, 49.364877, 51.499371, 53.617121, 43.485428];
    const ours = forecastSarima(y, r.fit, 7);
    const meanAbsDiff = ours.reduce((s, v, i) => s + Math.abs(v - (rForecast[i] as number)), 0) / 7;
    expect(meanAbsDiff).toBeLessThan(1.14);
  });

  it('a zero budget stops the search after the first model and says so', () => {
    const r = searchArima(seasonalMa(), { m: 7, budgetInMs: 0 });
    expect(r.truncated).toBe(true);
    expect(r.modelsFitted).toBe(1);
  });
});

describe('autoarima models in the engine', () => {
  const ctx = (): ModelContext => ({ season: 7, startDayOfWeek: 1, isDaily: true, timeoutInMs: 10_000, memo: new Map() });
  const model = autoArimaModels.find((m) => m.name === 'autoarima')!;

  it('chooses the order once per series and refits it on the backtest prefixes', () => {
    const context = ctx();
    const y = seasonalMa();
    const full = model.forecast(y, 7, context);
    const prefix = model.forecast(y.slice(0, 250), 7, context);
    expect(prefix.params['order']).toBe(full.params['order']);
    expect(prefix.params['modelsFitted']).toBe(1);
  });

  it('is a candidate of forecastSeries by name and reports its order', () => {
    const y = seasonalMa();
    const f = forecastSeries({ sku: 'x', startDate: '2024-01-01', values: y }, { horizon: 14, season: 7, models: ['autoarima', 'snaive'] });
    const c = f.candidates.find((k) => k.model === 'autoarima');
    expect(c?.error).toBeUndefined();
    expect(c?.score).not.toBeNull();
    expect(f.point).toHaveLength(14);
  });
});
