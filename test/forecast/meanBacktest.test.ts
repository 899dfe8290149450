/**
 * The engine's backtest of its expected units (ForecastMetrics.meanSignedError): what the run's
 * fleet bias is built from. A mean-type model's mean is its point, so both biases agree; a
 * median-type choice on intermittent demand forecasts 0 while the mean carries the rate.
 */
import { forecastSeries } from '../../src/lib/forecast';

const startDate = '2024-01-01';

describe('backtest of the expected units', () => {
  it('equals the point’s signed error when the model’s point is its mean (ETS)', () => {
    const values = Array.from({ length: 200 }, (_, t) => 20 + 8 * Math.sin((2 * Math.PI * t) / 7) + (t % 5));
    const f = forecastSeries({ sku: 'smooth', startDate, values }, { horizon: 14, season: 7, models: ['ets'] });
    expect(f.model).toBe('ets');
    expect(f.metrics.windows).toBeGreaterThan(0);
    const pointSigned = (f.metrics.bias as number) * f.metrics.absActual;
    expect(f.metrics.meanSignedError).toBeCloseTo(pointSigned, 6);
  });

  it('is the mean’s, not the point’s, for a seasonal median on intermittent demand (point 0, mean the rate)', () => {
    // 3 units every 4th day (an average 0.75 a day): every window's seasonal median is 0 on the off days.
    const values = Array.from({ length: 200 }, (_, t) => (t % 4 === 0 ? 3 : 0));
    const f = forecastSeries({ sku: 'sparse', startDate, values }, { horizon: 14, season: 7, models: ['smedian', 'sba'] });
    expect(f.metrics.windows).toBeGreaterThan(0);
    const pointSigned = (f.metrics.bias as number) * f.metrics.absActual;
    const meanSigned = f.metrics.meanSignedError as number;
    // The points under-forecast; the expected units come much closer to the actual total.
    expect(pointSigned).toBeLessThan(-0.2 * f.metrics.absActual);
    expect(Math.abs(meanSigned)).toBeLessThan(Math.abs(pointSigned) / 2);
  });

  it('rule-based forecasts (no backtest) carry 0, as their point metrics do', () => {
    const f = forecastSeries({ sku: 'once', startDate, values: [0, 0, 4, 0, 0] }, { horizon: 7, season: 7 });
    expect(f.metrics.windows).toBe(0);
    expect(f.metrics.meanSignedError).toBe(0);
  });
});
