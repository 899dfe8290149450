import { z } from 'zod';
import { ValidationError } from '../lib/errors';
import type { LakeStore } from '../lib/lake/lakeStore';
import { lakePath } from '../lib/lake/lakeStore';
import type { BuildSilverInput, IngestInventoryOutput, IngestOrdersOutput } from './messages';

/**
 * Ingestion lists every Bronze part it wrote (one per few thousand lines: 25–98 KB of manifests
 * for two years of orders); through orchestration history only the count and the lake path of
 * that list travel. The list is written by the registered activity, next to the run's batches.
 */
export type BronzeKind = 'orders' | 'inventory';

export interface BronzeListRef {
  /** Bronze parts written by this run. */
  batches: number;
  /** Lake path of a JSON array of their manifest paths. */
  manifestsPath: string;
}

export type IngestOrdersMessage = Omit<IngestOrdersOutput, 'batches'> & BronzeListRef;
export type IngestInventoryMessage = Omit<IngestInventoryOutput, 'batches'> & BronzeListRef;

/** What the orchestrator hands buildSilver: the two lists by reference. */
export type BuildSilverMessage = Omit<BuildSilverInput, 'orderManifests' | 'inventoryManifests'> & {
  orderManifestsPath: string;
  inventoryManifestsPath: string;
};

export function manifestListPath(runId: string, kind: BronzeKind, source: string = kind): string {
  return lakePath('runs', encodeURIComponent(runId), 'bronze', `${kind}-${encodeURIComponent(source)}-manifests.json`);
}

const listSchema = z.array(z.string().min(1));

export async function writeManifestList(
  lake: LakeStore,
  path: string,
  manifests: readonly string[],
  options: { abortSignal?: AbortSignal } = {},
): Promise<void> {
  // Same run → same list → same bytes: a retried activity rewrites it identically.
  await lake.put(path, Buffer.from(JSON.stringify(manifests)), options);
}

export async function readManifestList(lake: LakeStore, path: string, options: { abortSignal?: AbortSignal } = {}): Promise<string[]> {
  const parsed = listSchema.safeParse(JSON.parse((await lake.read(path, options)).toString('utf8')));
  if (!parsed.success)
    throw new ValidationError('manifestsPath', `Bronze manifest list ${path} is malformed: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
