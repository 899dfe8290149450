import * as os from 'node:os';
import { ForecastPool } from '../lib/forecast';
import type { PipelineSettings } from '../lib/config/settings';

let shared: ForecastPool | undefined;

/**
 * One worker-thread pool per process, shared by all forecast activities running in it (the local
 * host runs a whole fan-out concurrently; a Function instance runs several activities).
 * DEMAND_FORECAST_WORKERS=0 means one worker per available core.
 */
export function sharedForecastPool(settings: PipelineSettings): ForecastPool {
  shared ??= ForecastPool.create({
    workers: settings.DEMAND_FORECAST_WORKERS > 0 ? settings.DEMAND_FORECAST_WORKERS : os.availableParallelism(),
  });
  return shared;
}

export async function closeSharedForecastPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
