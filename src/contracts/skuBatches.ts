import { z } from 'zod';
import { ValidationError } from '../lib/errors';
import type { LakeStore } from '../lib/lake/lakeStore';
import { lakePath } from '../lib/lake/lakeStore';

/**
 * A SKU batch as planForecast materialises it in the lake: the batch's daily series, read once from
 * Silver, so each forecast activity reads one small object instead of scanning daily_demand.
 */
export const skuBatchSchema = z.object({
  batchId: z.string(),
  runId: z.string(),
  dailyDemandVersion: z.number().int(),
  /** Last day of data (the forecast origin), YYYY-MM-DD. */
  endDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  series: z.array(
    z.object({
      sku: z.string(),
      startDate: z.string(),
      values: z.array(z.number()),
      censored: z.array(z.boolean()),
      onHand: z.number().nullable(),
      /** The last full selection's choice when this SKU may re-use it (warmStartRecords.ts). */
      warmStart: z.object({ model: z.string(), profileKey: z.string(), selectedOn: z.string() }).optional(),
    }),
  ),
});
export type SkuBatch = z.infer<typeof skuBatchSchema>;

export function skuBatchPath(runId: string, batchId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'batches', `${batchId}.json`);
}

/** A forecast batch's full breakdown (models chosen, fallbacks), beside the batch: what history does not carry. */
export function batchBreakdownPath(runId: string, batchId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'breakdowns', `${batchId}.json`);
}

/** A run's merged breakdown, written by finalizeForecast and referenced from its output. */
export function runBreakdownPath(runId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'breakdown.json');
}

export function batchIdOf(index: number): string {
  return `batch-${String(index).padStart(5, '0')}`;
}

/**
 * The reference to batch `index` of a plan of `skuCount` SKUs in batches of `batchSize`: paths
 * follow from the run and the index, so a plan travels through history as two numbers, not a list.
 */
export function skuBatchRef(
  runId: string,
  index: number,
  skuCount: number,
  batchSize: number,
): { batchId: string; path: string; skus: number } {
  const batchId = batchIdOf(index);
  return { batchId, path: skuBatchPath(runId, batchId), skus: Math.max(0, Math.min(batchSize, skuCount - index * batchSize)) };
}

/** Every batch reference of a plan (for callers outside an orchestration: tests, tools). */
export function planBatchRefs(
  runId: string,
  plan: { batchCount: number; skuCount: number; batchSize: number },
): Array<{ batchId: string; path: string; skus: number }> {
  return Array.from({ length: plan.batchCount }, (_, i) => skuBatchRef(runId, i, plan.skuCount, plan.batchSize));
}

export async function readSkuBatch(lake: LakeStore, path: string, options: { abortSignal?: AbortSignal } = {}): Promise<SkuBatch> {
  const parsed = skuBatchSchema.safeParse(JSON.parse((await lake.read(path, options)).toString('utf8')));
  if (!parsed.success) {
    throw new ValidationError(
      'batch',
      `SKU batch ${path} is malformed: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}
