import * as os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { workerFilename } from '../workers/workerFile';
import { forecastSeries } from './forecastSeries';
import { stopArimaWorker } from './models/arima';
import { stopProphetWorker } from './models/prophet';
import { fleetSeasonOf } from './fleetSeason';
import { fleetPriorOf } from './pooling';
import type { ForecastTask } from './poolWorker';
import type { ForecastOptions, SeriesInput, SkuForecast } from './types';

/**
 * Each forecast worker's heap. A task is one chunk of a batch (a batch is 100 SKUs, split a few
 * chunks per worker): with the default models on 730 days of history a worker's live heap peaked at
 * about 25 MB, so 256 MB of old generation leaves a wide margin (a larger batch or a long series)
 * while stopping V8 from growing the heap lazily to a share of the machine's memory. The young
 * generation is paid in RSS per worker and was the largest part of an idle worker's heap at V8's
 * default (16 MB cap: a worker's heap 51 -> 31 MB, as Silver's workers).
 */
export const forecastWorkerLimits = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 256 } as const;

/**
 * How long an idle forecast worker lives. Within a fan-out batches keep every worker busy; after it
 * the stages that follow (inventory planning, publishing, drift) should not carry the workers'
 * memory, so idle workers exit and the next fan-out starts fresh ones (a few hundred ms each).
 */
export const forecastWorkerIdleTimeoutInMs = 2_000;

/**
 * Forecasts many SKUs on a pool of worker threads (piscina). `workers: 0` runs in-process,
 * which gives identical results (the engine is deterministic) and suits tests and tiny batches.
 */
export class ForecastPool {
  private pool: Piscina | null = null;
  /** Worker tasks sent and not yet answered: the workers are released only when none is. */
  private running = 0;

  private constructor(
    /** Makes the worker pool (null: in-process); called again after releaseIdleWorkers. */
    private readonly makePool: (() => Piscina) | null,
    private readonly workers: number,
    private readonly cleanup: () => void,
  ) {
    this.pool = makePool?.() ?? null;
  }

  static create(options: { workers?: number; idleTimeoutInMs?: number } = {}): ForecastPool {
    const workers = Math.max(0, Math.floor(options.workers ?? Math.max(1, os.availableParallelism() - 1)));
    if (workers === 0) return new ForecastPool(null, 0, () => undefined);
    const { filename, cleanup } = workerFilename(__dirname, 'poolWorker');
    // minThreads 0: piscina only retires idle threads above minThreads; they start on demand.
    const makePool = () =>
      new Piscina({
        filename,
        minThreads: 0,
        maxThreads: workers,
        idleTimeout: options.idleTimeoutInMs ?? forecastWorkerIdleTimeoutInMs,
        resourceLimits: forecastWorkerLimits,
      });
    return new ForecastPool(makePool, workers, cleanup);
  }

  /** The worker threads alive now (none in-process, none once idle ones were released). */
  get threads(): readonly Worker[] {
    return this.pool?.threads ?? [];
  }

  /**
   * Ends the worker threads now if no task is running (the next forecast starts new ones, as after
   * the idle timeout). The stage after a fan-out calls it: otherwise the idle workers' heaps (30-43 MB
   * each at 32,000 SKUs) stay resident for the idle timeout, through finalizing and inventory
   * planning. Returns whether workers were released; with a task running it does nothing.
   */
  async releaseIdleWorkers(): Promise<boolean> {
    const pool = this.pool;
    if (!pool || this.running > 0 || !this.makePool) return false;
    this.pool = null;
    await pool.destroy();
    return true;
  }

  /**
   * Forecasts a batch. Sparse SKUs borrow strength from the batch's other sparse SKUs (a fleet
   * prior estimated here, once, unless `options.fleetPrior` is given), so results depend on the
   * batch, never on how it is split over workers. `progress.onForecast` hears of each worker
   * chunk's SKUs as it completes.
   */
  async forecast(
    inputs: SeriesInput[],
    forecastOptions: ForecastOptions,
    progress: { onForecast?: (skus: number) => void } = {},
  ): Promise<SkuForecast[]> {
    const prior = forecastOptions.fleetPrior ?? fleetPriorOf(inputs);
    const fleetSeason = forecastOptions.fleetSeason ?? fleetSeasonOf(inputs, forecastOptions.horizon);
    const options: ForecastOptions = {
      ...forecastOptions,
      ...(prior ? { fleetPrior: prior } : {}),
      ...(fleetSeason ? { fleetSeason } : {}),
    };
    if (!this.makePool) {
      const out = inputs.map((input) => forecastSeries(input, options));
      progress.onForecast?.(out.length);
      return out;
    }
    const pool = (this.pool ??= this.makePool());
    // A few chunks per worker balances uneven SKUs without paying per-SKU messaging.
    const chunkSize = Math.max(1, Math.ceil(inputs.length / (this.workers * 4)));
    const tasks: Promise<SkuForecast[]>[] = [];
    for (let i = 0; i < inputs.length; i += chunkSize) {
      const task: ForecastTask = { inputs: inputs.slice(i, i + chunkSize), options };
      // Batches share the pool and finish together near the end: each chunk reports as it lands.
      this.running++;
      tasks.push(
        (pool.run(task) as Promise<SkuForecast[]>)
          .finally(() => this.running--)
          .then((done) => {
            progress.onForecast?.(done.length);
            return done;
          }),
      );
    }
    return (await Promise.all(tasks)).flat();
  }

  async close(): Promise<void> {
    try {
      const pool = this.pool;
      this.pool = null;
      if (pool) await pool.destroy();
      await stopArimaWorker();
      await stopProphetWorker();
    } finally {
      this.cleanup();
    }
  }
}
