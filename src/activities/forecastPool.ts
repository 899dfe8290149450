import * as os from 'node:os';
import { ForecastPool } from '../lib/forecast';
import type { PipelineSettings } from '../lib/config/settings';

let shared: ForecastPool | undefined;

/**
 * One worker-thread pool per process, shared by all forecast activities running in it (the local
 * host runs a whole fan-out concurrently; a Function instance runs several activities).
 * DEMAND_FORECAST_WORKERS=auto means one worker per available core, 0 in-process (as ForecastPool's `workers: 0`).
 */
export function sharedForecastPool(settings: PipelineSettings): ForecastPool {
  shared ??= ForecastPool.create({
    workers: settings.DEMAND_FORECAST_WORKERS === 'auto' ? os.availableParallelism() : settings.DEMAND_FORECAST_WORKERS,
  });
  return shared;
}

export async function closeSharedForecastPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}

/**
 * Ends the shared pool's worker threads now if none is working (see ForecastPool.releaseIdleWorkers):
 * called by the stage after a fan-out, so it and inventory planning do not carry the idle workers.
 */
export async function releaseIdleForecastWorkers(): Promise<boolean> {
  return (await shared?.releaseIdleWorkers()) ?? false;
}
