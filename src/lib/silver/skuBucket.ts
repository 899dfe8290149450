/**
 * SKU buckets of the Silver month pass: a large fleet's month is taken one bucket of SKUs at a time
 * (every line of a SKU, its cancellations and its daily demand fall in one bucket), so no step holds
 * more than about `linesPerBucket` lines whatever the fleet's size. The same hash on the main thread
 * and the workers.
 */
import { FingerprintSet } from './fingerprintSet';

export interface SkuBucket {
  index: number;
  count: number;
}

/** Lines of one month and bucket the pass aims at (its window, a worker's month task). */
export const defaultLinesPerBucket = 100_000;

export function bucketOfSku(sku: string, count: number): number {
  return count <= 1 ? 0 : (FingerprintSet.fingerprintOf(sku).lo >>> 0) % count;
}

export function inBucket(sku: string, bucket: SkuBucket | undefined): boolean {
  return bucket === undefined || bucketOfSku(sku, bucket.count) === bucket.index;
}

/** Buckets for months of at most `largestMonthLines` lines (stored and new): one below `linesPerBucket`. */
export function bucketCount(largestMonthLines: number, linesPerBucket: number = defaultLinesPerBucket): number {
  return Math.max(1, Math.ceil(largestMonthLines / Math.max(1, linesPerBucket)));
}
