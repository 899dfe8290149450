import type { PipelineSettings } from '../lib/config/settings';
import type { AdapterFactories, PipelinePorts, PipelineServices } from '../lib/pipelineServices';
import { authorizationFromSettings } from './ordersAuthorization';
import { createPublisher } from './publisher';
import { createEntityStore, createLakeStore } from './storage';
import { checkTrackerSettings, createTracker } from './tracker';

/** The tracker, publisher and orders-API authorization builders, chosen per call from the caller's settings. */
export const adapterFactories: AdapterFactories = {
  tracker: (ports) => createTracker(ports),
  publisher: (ports) => createPublisher(ports),
  ordersAuthorization: (settings) => authorizationFromSettings(settings),
};

/** Services over ports built elsewhere (a test's folder lake, a bench's fixture): the adapters come from the same settings. */
export function servicesFromPorts(ports: PipelinePorts): PipelineServices {
  return { ...ports, adapters: adapterFactories };
}

/**
 * The composition root: picks the adapter behind each port from settings — ADLS Gen2 and Table
 * storage when DEMAND_LAKE_URL / DEMAND_TABLES_URL (or a dev connection string) are set, the
 * embedded folder and JSON tables otherwise; the tracker (DEMAND_TRACKER) and the publisher
 * (DEMAND_PUBLISHER) are built per call by `adapters`. The Functions app, the local host and the
 * CLI all start here.
 */
export async function createServices(
  settings: PipelineSettings,
  options: { log?: (message: string) => void; progress?: PipelineServices['progress'] } = {},
): Promise<PipelineServices> {
  // A tracker that cannot work is refused at start, not in the finalize step after the forecasts.
  checkTrackerSettings(settings);
  return servicesFromPorts({
    settings,
    lake: createLakeStore(settings),
    entities: createEntityStore(settings),
    log: options.log ?? (() => undefined),
    ...(options.progress ? { progress: options.progress } : {}),
  });
}
