/**
 * SKU buckets of the Silver month pass: a large fleet's month is taken one bucket of SKUs at a time
 * (every line of a SKU, its cancellations and its daily demand fall in one bucket), so no step holds
 * more than about `linesPerBucket` lines whatever the fleet's size. The same hash on the main thread
 * and the workers.
 *
 * A bucket is a range of the SKU hash (not a remainder), so the scan can spill each month in
 * `spillShards` hash ranges before the bucket count is known (it depends on the months' sizes), and
 * a bucket's task reads only the shards its range overlaps (see monthSpill.ts).
 */
import { FingerprintSet } from './fingerprintSet';

export interface SkuBucket {
  index: number;
  count: number;
}

/**
 * Lines of one month and bucket the pass aims at (its window, a worker's month task). A worker's
 * month task holds about 0.9 KB of heap and external memory per line; measured on a full build of
 * 32,000 SKUs (1.31M lines, 2 workers): 100,000 lines per bucket peaked at 565 MB RSS, 50,000 at
 * 522 MB, same CPU time (83 and 75 s, on a loaded machine). 25,000 (with daily demand tasks of 125,000
 * SKU-days), 8,000 SKUs, 2 workers, paired on a near-idle machine: buildSilver peak RSS 385 → 359 MB
 * (workers' share 242 → 171 MB), wall 14.7 → 13.9 s, CPU 25.4 → 24.4 s. 12,500 (32,000 SKUs, 2 workers,
 * single runs, docs/sizing.md stop 32): the month pass's peak RSS 333-341 → 303 MB, buildSilver wall 65-72 → 69 s.
 */
export const defaultLinesPerBucket = 12_500;

/** Hash ranges each month's spill is cut into at scan time (a power of two). */
export const spillShards = 128;
const shardShift = 32 - Math.log2(spillShards);
const hashRange = 2 ** 32;

/** The 32-bit hash a SKU is bucketed by. */
export function skuHashOf(sku: string): number {
  return FingerprintSet.fingerprintOf(sku).lo >>> 0;
}

/** The bucket (of `count`) a SKU hash falls in: its range, so a bucket is a run of spill shards. */
export function bucketOfHash(hash: number, count: number): number {
  return count <= 1 ? 0 : Math.floor(((hash >>> 0) * count) / hashRange);
}

export function bucketOfSku(sku: string, count: number): number {
  return count <= 1 ? 0 : bucketOfHash(skuHashOf(sku), count);
}

export function inBucket(sku: string, bucket: SkuBucket | undefined): boolean {
  return bucket === undefined || bucketOfSku(sku, bucket.count) === bucket.index;
}

/** The spill shard a SKU hash is written to. */
export function shardOfHash(hash: number): number {
  return (hash >>> 0) >>> shardShift;
}

/**
 * The spill shards holding the lines of `bucket` (all without one): those its hash range overlaps.
 * With a bucket count dividing `spillShards` they hold its lines alone; otherwise the two at its
 * edges also hold lines of the neighbouring buckets.
 */
export function shardsOfBucket(bucket: SkuBucket | undefined): { first: number; last: number } {
  if (bucket === undefined || bucket.count <= 1) return { first: 0, last: spillShards - 1 };
  const lowest = Math.ceil((bucket.index * hashRange) / bucket.count);
  const highest = Math.ceil(((bucket.index + 1) * hashRange) / bucket.count) - 1;
  return { first: shardOfHash(lowest), last: shardOfHash(Math.min(highest, hashRange - 1)) };
}

/** Buckets for months of at most `largestMonthLines` lines (stored and new): one below `linesPerBucket`. */
export function bucketCount(largestMonthLines: number, linesPerBucket: number = defaultLinesPerBucket): number {
  return Math.max(1, Math.ceil(largestMonthLines / Math.max(1, linesPerBucket)));
}
