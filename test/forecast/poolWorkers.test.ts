import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { ForecastPool, forecastWorkerLimits } from '../../src/lib/forecast/pool';
import type { SeriesInput } from '../../src/lib/forecast/types';
import { normalRng } from './rng';

function series(sku: string, n: number, seed: number): SeriesInput {
  const rng = normalRng(seed);
  return {
    sku,
    startDate: '2024-01-01',
    values: Array.from({ length: n }, (_, t) => Math.max(0, Math.round(12 + 4 * Math.sin((2 * Math.PI * t) / 7) + 3 * rng()))),
  };
}

async function until(condition: () => boolean, timeoutInMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutInMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return condition();
}

describe('ForecastPool worker threads', () => {
  it('start with the heap limits, exit when idle and start again for the next fan-out (same forecasts)', async () => {
    const inputs = [series('a', 90, 1), series('b', 120, 2), series('c', 60, 3)];
    const options = { horizon: 14, season: 7 };
    const pool = ForecastPool.create({ workers: 1, idleTimeoutInMs: 100 });
    try {
      expect(pool.threads).toHaveLength(0);
      const first = await pool.forecast(inputs, options);
      const [worker] = pool.threads;
      expect(worker).toBeDefined();
      expect(worker!.resourceLimits).toMatchObject({
        maxYoungGenerationSizeMb: forecastWorkerLimits.maxYoungGenerationSizeMb,
        maxOldGenerationSizeMb: forecastWorkerLimits.maxOldGenerationSizeMb,
      });
      // Released once idle: the stages after the fan-out do not carry the worker's memory.
      expect(await until(() => pool.threads.length === 0, 5_000)).toBe(true);
      const second = await pool.forecast(inputs, options);
      expect(pool.threads).toHaveLength(1);
      expect(pool.threads[0]).not.toBe(worker);
      expect(second).toEqual(first);
      expect(first).toEqual(inputs.map((i) => forecastSeries(i, options)));
    } finally {
      await pool.close();
    }
  });

  it('releases its idle workers at once when asked, never while a task runs, and starts new ones for the next forecast', async () => {
    const inputs = [series('a', 90, 1), series('b', 120, 2), series('c', 60, 3)];
    const options = { horizon: 14, season: 7 };
    // An idle timeout far beyond the test: only releaseIdleWorkers can end the worker here.
    const pool = ForecastPool.create({ workers: 1, idleTimeoutInMs: 600_000 });
    try {
      const first = await pool.forecast(inputs, options);
      const [worker] = pool.threads;
      expect(worker).toBeDefined();
      const exited = new Promise<number>((resolve) => worker!.once('exit', resolve));
      expect(await pool.releaseIdleWorkers()).toBe(true);
      await exited;
      expect(pool.threads).toHaveLength(0);
      expect(await pool.releaseIdleWorkers()).toBe(false);

      // While a forecast runs the workers stay: the forecast completes with the same results.
      const running = pool.forecast(inputs, options);
      expect(await pool.releaseIdleWorkers()).toBe(false);
      const second = await running;
      expect(second).toEqual(first);
      expect(pool.threads).toHaveLength(1);
      expect(pool.threads[0]).not.toBe(worker);
    } finally {
      await pool.close();
    }
  });

  it('in-process (0 workers) has nothing to release', async () => {
    const pool = ForecastPool.create({ workers: 0 });
    expect(await pool.releaseIdleWorkers()).toBe(false);
    await pool.close();
  });
});
