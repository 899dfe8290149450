import { ingestInventoryRun } from '../../ingest/inventoryIngestion';
import { asOnlyWriter } from './writerStage';
import type { IngestInventoryInput, IngestInventoryOutput, PipelineServices } from '../contracts';

/**
 * Activity: inventory snapshot files from the landing folder (DEMAND_INVENTORY_LANDING_PREFIX)
 * into Bronze; processed files move to processed/, unreadable ones to rejected/ with a reason file.
 */
export async function ingestInventory(input: IngestInventoryInput, services: PipelineServices): Promise<IngestInventoryOutput> {
  return asOnlyWriter(services, input.runId, 'ingestInventory', () => ingestInventoryRun({
    runId: input.runId,
    runDate: input.runDate,
    lake: services.lake,
    landingPrefix: services.settings.DEMAND_INVENTORY_LANDING_PREFIX,
    log: services.log,
    ...(services.abortSignal ? { abortSignal: services.abortSignal } : {}),
  }));
}
