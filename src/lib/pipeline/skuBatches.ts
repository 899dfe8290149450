import { z } from 'zod';
import { ValidationError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import { lakePath } from '../lake/lakeStore';

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
    }),
  ),
});
export type SkuBatch = z.infer<typeof skuBatchSchema>;

export function skuBatchPath(runId: string, batchId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'batches', `${batchId}.json`);
}

export function batchIdOf(index: number): string {
  return `batch-${String(index).padStart(5, '0')}`;
}

export async function readSkuBatch(lake: LakeStore, path: string, options: { abortSignal?: AbortSignal } = {}): Promise<SkuBatch> {
  const parsed = skuBatchSchema.safeParse(JSON.parse((await lake.read(path, options)).toString('utf8')));
  if (!parsed.success) {
    throw new ValidationError('batch', `SKU batch ${path} is malformed: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}
