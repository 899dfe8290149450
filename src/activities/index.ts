import { failureOf } from '../contracts/activityFailure';
import {
  manifestListPath,
  readManifestList,
  writeManifestList,
  type BuildSilverMessage,
  type IngestInventoryMessage,
  type IngestOrdersMessage,
} from '../contracts/bronzeReferences';
import type { BuildSilverInput, IngestInventoryInput, IngestOrdersInput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { activityNames, type ActivityName } from '../contracts/names';
import { buildSilver } from './buildSilver';
import { checkDrift } from './checkDrift';
import { finalizeForecast } from './finalizeForecast';
import { forecastBatch } from './forecastBatch';
import { ingestInventory } from './ingestInventory';
import { ingestOrders } from './ingestOrders';
import { notifyCallback } from './notifyCallback';
import { planForecast } from './planForecast';
import { planInventory } from './planInventory';
import { publish } from './publish';
import { signalOf } from '../lib/pipelineServices';

// Inputs arrive as JSON from the orchestrator; each activity validates what it relies on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActivityImplementation = (input: any, services: PipelineServices) => Promise<unknown>;

/**
 * An activity as registered: failures that no retry can fix come back as an ActivityFailure
 * result (the orchestrator fails fast on it); others are thrown, named by activity, and retried.
 */
export function classified(name: string, implementation: ActivityImplementation): ActivityImplementation {
  return async (input, services) => {
    try {
      return await implementation(input, services);
    } catch (err) {
      return failureOf(name, err);
    }
  };
}

/** Ingestion as registered: the Bronze parts' manifests go to a list in the lake; history gets its path and count. */
async function ingestOrdersByReference(input: IngestOrdersInput, services: PipelineServices): Promise<IngestOrdersMessage> {
  const { batches, ...out } = await ingestOrders(input, services);
  const manifestsPath = manifestListPath(input.runId, 'orders', input.source || 'orders');
  await writeManifestList(
    services.lake,
    manifestsPath,
    batches.map((b) => b.manifestPath),
    signalOf(services),
  );
  return { ...out, batches: batches.length, manifestsPath };
}

async function ingestInventoryByReference(input: IngestInventoryInput, services: PipelineServices): Promise<IngestInventoryMessage> {
  const { batches, ...out } = await ingestInventory(input, services);
  const manifestsPath = manifestListPath(input.runId, 'inventory');
  await writeManifestList(
    services.lake,
    manifestsPath,
    batches.map((b) => b.manifestPath),
    signalOf(services),
  );
  return { ...out, batches: batches.length, manifestsPath };
}

/** buildSilver as registered: takes the manifest lists by reference (or inline, from older orchestrations). */
async function buildSilverByReference(input: BuildSilverMessage | BuildSilverInput, services: PipelineServices) {
  if ('orderManifests' in input) return buildSilver(input, services);
  const { orderManifestsPath, inventoryManifestsPath, ...run } = input;
  const [orderManifests, inventoryManifests] = await Promise.all([
    readManifestList(services.lake, orderManifestsPath, signalOf(services)),
    readManifestList(services.lake, inventoryManifestsPath, signalOf(services)),
  ]);
  return buildSilver({ ...run, orderManifests, inventoryManifests }, services);
}

const implementations: Record<ActivityName, ActivityImplementation> = {
  [activityNames.ingestOrders]: ingestOrdersByReference,
  [activityNames.ingestInventory]: ingestInventoryByReference,
  [activityNames.buildSilver]: buildSilverByReference,
  [activityNames.planForecast]: planForecast,
  [activityNames.forecastBatch]: forecastBatch,
  [activityNames.finalizeForecast]: finalizeForecast,
  [activityNames.planInventory]: planInventory,
  [activityNames.publish]: publish,
  [activityNames.checkDrift]: checkDrift,
  [activityNames.notifyCallback]: notifyCallback,
};

/** Every activity by name: registered with df.app in Azure and with the local host here. */
export const activityImplementations = Object.fromEntries(
  Object.entries(implementations).map(([name, implementation]) => [name, classified(name as ActivityName, implementation)]),
) as Record<ActivityName, ActivityImplementation>;
