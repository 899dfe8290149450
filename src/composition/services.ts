import type { PipelineSettings } from '../lib/config/settings';
import { createEntityStore, createLakeStore } from '../lib/azure/factories';
import { checkTrackerSettings } from '../lib/tracking/createTracker';
import type { PipelineServices } from '../lib/pipelineServices';

/**
 * The composition root: picks the adapter behind each port from settings — ADLS Gen2 and Table
 * storage when DEMAND_LAKE_URL / DEMAND_TABLES_URL (or a dev connection string) are set, the
 * embedded folder and JSON tables otherwise. Tracker and publisher are chosen where they are used
 * (createTracker, createPublisher), from the same settings.
 */
export async function createServices(
  settings: PipelineSettings,
  options: { log?: (message: string) => void; progress?: PipelineServices['progress'] } = {},
): Promise<PipelineServices> {
  // A tracker that cannot work is refused at start, not in the finalize step after the forecasts.
  checkTrackerSettings(settings);
  return {
    settings,
    lake: createLakeStore(settings),
    entities: createEntityStore(settings),
    log: options.log ?? (() => undefined),
    ...(options.progress ? { progress: options.progress } : {}),
  };
}
