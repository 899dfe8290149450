import { autoEts, etsForecast, etsName, fitEts } from '../../src/lib/forecast/models/ets';
import { harmonicModel } from '../../src/lib/forecast/models/harmonic';
import { adidaRate, crostonRate, tsbRate } from '../../src/lib/forecast/models/intermittent';
import { seasonalNaiveModel } from '../../src/lib/forecast/models/simple';
import { thetaModel } from '../../src/lib/forecast/models/theta';
import { classifyDemand } from '../../src/lib/forecast/classify';
import type { ModelContext } from '../../src/lib/forecast/types';
import { normalRng } from './rng';

const ctx = (season: number, isDaily = false): ModelContext => ({ season, startDayOfWeek: isDaily ? 0 : null, isDaily, timeoutInMs: 1000 });

// Reference values computed with R 4.x, forecast package (see the test names).
const trended = [10.2, 11.5, 9.8, 12.1, 13.0, 11.7, 12.9, 14.2, 13.1, 15.0, 14.4, 15.9, 16.3, 15.1, 17.2, 18.0, 16.8, 18.9, 19.4, 18.7];
const sparse = [0, 0, 3, 0, 0, 0, 5, 0, 2, 0, 0, 0, 0, 4, 0, 0, 1, 0, 0, 6];

describe('seasonal naive', () => {
  it('repeats the last season exactly', () => {
    const y = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(seasonalNaiveModel.forecast(y, 5, ctx(4)).point).toEqual([7, 8, 9, 10, 7]);
  });
});

describe('ETS', () => {
  it('SES on a constant series forecasts the constant', () => {
    const fit = fitEts(new Array(30).fill(42), 1, { error: 'A', trend: 'N', season: 'N' });
    for (const v of etsForecast(fit, 5)) expect(v).toBeCloseTo(42, 6);
  });

  it('ETS(A,N,N) matches R ets(x, model = "ANN"): alpha 0.6666, forecast 18.80903, AICc 76.0156', () => {
    const fit = fitEts(trended, 1, { error: 'A', trend: 'N', season: 'N' });
    expect(fit.alpha).toBeCloseTo(0.6666, 2);
    expect(etsForecast(fit, 1)[0]).toBeCloseTo(18.80903, 2);
    expect(fit.aicc).toBeCloseTo(76.0156, 1);
  });

  it('AICc picks a trended form on trended data (R: ETS(A,A,N))', () => {
    expect(etsName(autoEts(trended, 1).spec)).toBe('ETS(A,A,N)');
  });

  it('AICc picks a seasonal trended form on trended seasonal data (R: ETS(A,A,A))', () => {
    const rng = normalRng(1);
    const y = Array.from({ length: 120 }, (_, i) => 50 + 0.5 * (i + 1) + 10 * Math.sin((2 * Math.PI * (i + 1)) / 12) + rng());
    const fit = autoEts(y, 12);
    expect(fit.spec.trend).not.toBe('N');
    expect(fit.spec.season).not.toBe('N');
    // The next season is ~ level + slope·h + seasonal: compare with the true mean function.
    const f = etsForecast(fit, 12);
    f.forEach((v, h) => expect(Math.abs(v - (50 + 0.5 * (121 + h) + 10 * Math.sin((2 * Math.PI * (121 + h)) / 12)))).toBeLessThan(3));
  });

  it('AICc picks no trend and no season on white noise around a level', () => {
    const rng = normalRng(7);
    const y = Array.from({ length: 100 }, () => 20 + rng());
    const fit = autoEts(y, 1);
    expect(fit.spec.trend).toBe('N');
  });
});

describe('Theta (thetaf)', () => {
  it('matches R thetaf(x, h = 3): 19.16525 19.40269 19.64013', () => {
    const f = thetaModel.forecast(trended, 3, ctx(1)).point;
    expect(f[0]).toBeCloseTo(19.16525, 3);
    expect(f[1]).toBeCloseTo(19.40269, 3);
    expect(f[2]).toBeCloseTo(19.64013, 3);
  });
});

describe('intermittent models', () => {
  it('Croston matches R forecast::croston (alpha 0.1 → 1.03316, alpha 0.2 → 1.072297)', () => {
    expect(crostonRate(sparse, 0.1, 'croston')).toBeCloseTo(1.03316, 5);
    expect(crostonRate(sparse, 0.2, 'croston')).toBeCloseTo(1.072297, 5);
  });

  it('Croston and SBA by hand on a short series', () => {
    // sizes 4, 2 → z = 4 + 0.5·(2 − 4) = 3; intervals 2, 3 → p = 2 + 0.5·(3 − 2) = 2.5.
    const y = [0, 4, 0, 0, 2];
    expect(crostonRate(y, 0.5, 'croston')).toBeCloseTo(3 / 2.5, 12);
    expect(crostonRate(y, 0.5, 'sba')).toBeCloseTo((3 / 2.5) * 0.75, 12);
  });

  it('TSB by hand', () => {
    // z0 = 4, p0 = 2/4 = 0.5; alpha 0.5, beta 0.5.
    // t0 y=0: p=0.25; t1 y=4: p=0.625, z=4; t2 y=0: p=0.3125; t3 y=2: p=0.65625, z=3.
    expect(tsbRate([0, 4, 0, 2], 0.5, 0.5)).toBeCloseTo(0.65625 * 3, 12);
  });

  it('ADIDA aggregates by the mean interval and spreads back', () => {
    // Demand 6 every 3rd day: buckets of 3 all hold 6, so the rate is exactly 2 per day.
    const y = Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? 6 : 0));
    const { rate, bucket } = adidaRate(y, 0.1);
    expect(bucket).toBe(3);
    expect(rate).toBeCloseTo(2, 10);
  });

  it('classifies by ADI 1.32 and CV² 0.49 (Syntetos–Boylan)', () => {
    expect(classifyDemand([5, 6, 5, 6, 5, 6]).demandClass).toBe('smooth');
    expect(classifyDemand([1, 20, 1, 30, 2, 25]).demandClass).toBe('erratic');
    expect(classifyDemand([0, 0, 5, 0, 0, 6, 0, 0, 5]).demandClass).toBe('intermittent');
    expect(classifyDemand([0, 0, 1, 0, 0, 30, 0, 0, 2]).demandClass).toBe('lumpy');
    expect(classifyDemand([0, 0, 0]).demandClass).toBe('zero');
  });
});

describe('harmonic regression', () => {
  it('recovers a multiplicative weekly × yearly pattern with growth', () => {
    const dow = [0.8, 1.0, 1.0, 1.05, 1.1, 1.25, 1.3];
    const truth = (t: number): number =>
      40 * (1 + 0.0002 * t) * (dow[t % 7] as number) * Math.exp(0.2 * Math.sin((2 * Math.PI * t) / 365.25));
    const y = Array.from({ length: 800 }, (_, t) => truth(t));
    const model = harmonicModel('harmonic', { yearlyTerms: 4, halfLifeInDays: 365 });
    const f = model.forecast(y, 28, ctx(7, true)).point;
    // log1p(y) is not exactly log-linear, so allow a few percent.
    f.forEach((v, h) => expect(Math.abs(v / truth(800 + h) - 1)).toBeLessThan(0.05));
  });
});
