import { ModelTimeoutError } from '../../src/lib/forecast/errors';
import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { prophetModel, stopProphetWorker } from '../../src/lib/forecast/models/prophet';
import type { ModelContext } from '../../src/lib/forecast/types';
import { normalRng } from './rng';

afterAll(async () => {
  await stopProphetWorker();
});

const context = (timeoutInMs: number): ModelContext => ({
  season: 7,
  startDayOfWeek: 1,
  isDaily: true,
  timeoutInMs,
  startDate: '2022-01-03',
  sku: 'p',
  memo: new Map(),
});

/** Two and a half years of daily demand: level 100, weekly ±10, yearly amplitude 30, noise σ 3. */
function seasonalDemand(): number[] {
  const r = normalRng(5);
  return Array.from(
    { length: 900 },
    (_, t) => 100 + 10 * Math.sin((2 * Math.PI * t) / 7) + 30 * Math.sin((2 * Math.PI * t) / 365.25) + 3 * r(),
  );
}

describe('prophet (augurs + wasmstan optimiser, in a worker)', () => {
  it('fits weekly and yearly seasonality: 60-day forecast error well below the yearly swing', () => {
    const y = seasonalDemand();
    const out = prophetModel.forecast(y.slice(0, 840), 60, context(30_000));
    const mae = out.point.reduce((s, v, i) => s + Math.abs(v - (y[840 + i] as number)), 0) / 60;
    expect(out.params['yearly']).toBe(true);
    expect(mae).toBeLessThan(6);
  });

  it('is stopped at its time budget, and the next fit starts a fresh worker', () => {
    const y = seasonalDemand();
    prophetModel.forecast(y.slice(0, 60), 7, context(30_000)); // a warm worker: no startup allowance
    expect(() => prophetModel.forecast(y, 14, context(1))).toThrow(ModelTimeoutError);
    expect(prophetModel.forecast(y.slice(0, 100), 7, context(30_000)).point).toHaveLength(7);
  });

  it('is a candidate of forecastSeries by name, scored on the backtest windows', () => {
    const y = seasonalDemand().slice(0, 200);
    const f = forecastSeries(
      { sku: 'p', startDate: '2022-01-03', values: y },
      { horizon: 7, season: 7, models: ['prophet', 'snaive'], modelTimeoutInMs: 30_000, backtestWindows: 1 },
    );
    const c = f.candidates.find((k) => k.model === 'prophet');
    expect(c?.error).toBeUndefined();
    expect(c?.score).not.toBeNull();
  });
});
