import type { PipelineServices } from '../lib/pipelineServices';
import { writeSampleInventory } from '../lib/sample/inventorySnapshots';
import { startOrdersApi } from '../lib/sample/ordersApi';
import { loadSampleOrders } from '../lib/sample/sampleOrders';

export interface SampleSources {
  ordersApiUrl: string;
  inventoryFiles: number;
  close(): Promise<void>;
}

/**
 * The bundled sample as a user would meet real sources: a paged orders REST API on 127.0.0.1
 * (streaming the bundled Online Retail excerpt) and partner inventory snapshot files dropped in the
 * lake's landing folder (derived from the orders with a seeded replenishment policy).
 */
export async function startSampleSources(services: PipelineServices): Promise<SampleSources> {
  const api = await startOrdersApi({ records: loadSampleOrders(), host: '127.0.0.1', port: 0 });
  try {
    const inventory = await writeSampleInventory(services.lake, { landingPrefix: services.settings.DEMAND_INVENTORY_LANDING_PREFIX });
    return { ordersApiUrl: api.url, inventoryFiles: inventory.files.length, close: () => api.close() };
  } catch (err) {
    await api.close();
    throw err;
  }
}
