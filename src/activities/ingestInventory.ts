import { ingestInventoryRun } from '../lib/ingest/inventoryIngestion';
import { ingestInventoryFiles, loadInventorySource } from '../lib/sources/inventorySource';
import { asOnlyWriter } from './writerStage';
import type { IngestInventoryInput, IngestInventoryOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { signalOf } from '../lib/pipelineServices';

/**
 * Activity: inventory snapshot files from the landing folder (DEMAND_INVENTORY_LANDING_PREFIX)
 * into Bronze; processed files move to processed/, unreadable ones to rejected/ with a reason file.
 */
export async function ingestInventory(input: IngestInventoryInput, services: PipelineServices): Promise<IngestInventoryOutput> {
  return asOnlyWriter(services, input.runId, 'ingestInventory', () => ingestInventoryLocked(input, services));
}

async function ingestInventoryLocked(input: IngestInventoryInput, services: PipelineServices): Promise<IngestInventoryOutput> {
  const ref = services.settings.DEMAND_INVENTORY_SOURCE;
  if (ref) {
    // A partner's own stock file shape, described as data (docs/sources.md#inventory-snapshots).
    const definition = await loadInventorySource(ref);
    return ingestInventoryFiles({
      definition,
      shopTimeZone: definition.shopTimeZone ?? services.settings.DEMAND_SHOP_TIME_ZONE ?? definition.timeZone,
      runId: input.runId,
      runDate: input.runDate,
      lake: services.lake,
      log: services.log,
      ...signalOf(services),
    });
  }
  return ingestInventoryRun({
    runId: input.runId,
    runDate: input.runDate,
    lake: services.lake,
    landingPrefix: services.settings.DEMAND_INVENTORY_LANDING_PREFIX,
    log: services.log,
    ...signalOf(services),
  });
}
