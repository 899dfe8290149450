/**
 * The month spill is cut by SKU-hash range at scan time, so a month task of one SKU bucket decodes
 * its own bucket's lines (plus, when the bucket count does not divide the shard count, those of the
 * two shards at its edges), never the whole month; and the buckets together still give what one
 * task over the whole month gives (re-deliveries across buckets in the order they came included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { processMonth, type MonthResult, type MonthTask } from '../../src/lib/silver/monthPass';
import { readMonthSpill } from '../../src/lib/silver/monthSpill';
import { OrderScanner, writeSpills } from '../../src/lib/silver/orderChunkScan';
import { defaultRuleSet } from '../../src/lib/silver/ruleSet';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import {
  bucketOfHash,
  bucketOfSku,
  shardOfHash,
  shardsOfBucket,
  skuHashOf,
  spillShards,
  type SkuBucket,
} from '../../src/lib/silver/skuBucket';
import { bareMonthTask, line, rowsOf, source, tableNames } from './silverTablesCompare';

const skus = Array.from({ length: 300 }, (_, i) => `S${10000 + i}`);

/** 3,000 lines of March 2011 over 300 SKUs, in three chunks; one line id is delivered again under another bucket's SKU. */
function records(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 3000; i += 1) {
    const sku = skus[(i * 7) % skus.length] as string;
    out.push(line(`L${i}`, String(600000 + Math.floor(i / 4)), sku, 1 + (i % 5), `2011-03-${String(1 + (i % 28)).padStart(2, '0')}`));
  }
  const first = out[10] as Record<string, unknown>;
  const other = skus.find((s) => bucketOfSku(s, 4) !== bucketOfSku(String(first.StockCode), 4)) as string;
  out.push({ ...first, StockCode: other, Quantity: 9 });
  return out;
}

function spill(dir: string, recs: Array<Record<string, unknown>>): void {
  const rules = defaultRuleSet().rules;
  for (let chunk = 0; chunk * 1000 < recs.length; chunk += 1) {
    const scanner = new OrderScanner(rules);
    recs.slice(chunk * 1000, (chunk + 1) * 1000).forEach((r, i) => scanner.add(r, chunk * 1000 + i, 'bronze/orders/part.ndjson.gz'));
    writeSpills(dir, chunk, scanner.finish().batches);
  }
}

const task = (spillDir: string, bucket?: SkuBucket): MonthTask => bareMonthTask(spillDir, '2011-03', bucket);

const counts = (rs: MonthResult[]) => ({
  kept: rs.reduce((a, r) => a + r.kept, 0),
  units: rs.reduce((a, r) => a + r.unitsKept, 0),
  redelivered: rs.reduce((a, r) => a + r.redelivered, 0),
  quarantine: rs.flatMap((r) => r.quarantine.map((q) => `${q.recordIndex}:${q.reason}`)).sort(),
  skus: rs.flatMap((r) => [...r.catalogue.keys()]).sort(),
});

describe('Silver month spill by SKU bucket', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'silver-bucket-spill-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('maps every SKU hash of a bucket to a shard its task reads', () => {
    const hashes = [0, 1, 2 ** 31, 2 ** 32 - 1, ...Array.from({ length: 2000 }, (_, i) => skuHashOf(`K${i}`))];
    const misplaced: string[] = [];
    for (const count of [1, 2, 3, 4, 6, 7, 64, 100, 128, 300]) {
      for (const hash of hashes) {
        const index = bucketOfHash(hash, count);
        const { first, last } = shardsOfBucket({ index, count });
        const shard = shardOfHash(hash);
        if (index < 0 || index >= count || shard < first || shard > last)
          misplaced.push(`${hash} of ${count}: bucket ${index}, shard ${shard}`);
      }
    }
    expect(misplaced).toEqual([]);
    // A bucket count dividing the shard count: the buckets' shards do not overlap.
    expect(shardsOfBucket({ index: 1, count: 4 })).toEqual({ first: spillShards / 4, last: spillShards / 2 - 1 });
  });

  it('decodes exactly its own bucket lines with 4 buckets, and gives together what one task over the month gives', () => {
    const recs = records();
    spill(dir, recs);
    const whole = processMonth(task(dir));
    expect(whole.linesDecoded).toBe(recs.length);
    expect(whole.quarantine.map((q) => q.reason)).toEqual(['redelivered_conflict']);
    const lines = new Map<string, number>();
    for (const r of recs) lines.set(String(r.StockCode), (lines.get(String(r.StockCode)) ?? 0) + 1);
    const ownLines = (bucket: SkuBucket) => skus.filter((s) => inBucketOf(s, bucket)).reduce((a, s) => a + (lines.get(s) ?? 0), 0);
    const parts = [0, 1, 2, 3].map((index) => processMonth(task(dir, { index, count: 4 })));
    parts.forEach((part, index) => {
      expect({ index, decoded: part.linesDecoded }).toEqual({ index, decoded: ownLines({ index, count: 4 }) });
      expect(part.linesDecoded).toBeLessThan(recs.length / 2);
      for (const sku of part.catalogue.keys()) expect(bucketOfSku(sku, 4)).toBe(index);
    });
    expect(counts(parts)).toEqual(counts([whole]));
  });

  it('decodes its bucket and at most the two edge shards with 6 buckets, with the same outcome', () => {
    const recs = records();
    spill(dir, recs);
    const whole = processMonth(task(dir));
    const parts = [0, 1, 2, 3, 4, 5].map((index) => processMonth(task(dir, { index, count: 6 })));
    const decoded: number[] = [];
    parts.forEach((part, index) => {
      const own = recs.filter((r) => bucketOfSku(String(r.StockCode), 6) === index).length;
      const { first, last } = shardsOfBucket({ index, count: 6 });
      const inShards = recs.filter((r) => {
        const shard = shardOfHash(skuHashOf(String(r.StockCode)));
        return shard >= first && shard <= last;
      }).length;
      expect(part.linesDecoded).toBe(inShards);
      expect(part.linesDecoded).toBeGreaterThanOrEqual(own);
      expect(last - first + 1).toBeLessThanOrEqual(Math.ceil(spillShards / 6) + 1);
      decoded.push(part.linesDecoded);
    });
    // Every line decoded once, plus the edge shards' lines a second time at most.
    expect(decoded.reduce((a, b) => a + b, 0)).toBeLessThan(recs.length * 1.2);
    expect(counts(parts)).toEqual(counts([whole]));
  });

  it('reads every chunk file of the month in order, each with its lines order', () => {
    spill(dir, records());
    const chunks = [...readMonthSpill(dir, '2011-03', { index: 2, count: 4 })];
    expect(chunks.map((c) => c.order.skuHash.length)).toEqual([1000, 1000, 1000, 1]);
    for (const chunk of chunks) {
      chunk.shards.forEach((batch, shard) => {
        if (!batch) return;
        expect(shard).toBeGreaterThanOrEqual(shardsOfBucket({ index: 2, count: 4 }).first);
        expect(shard).toBeLessThanOrEqual(shardsOfBucket({ index: 2, count: 4 }).last);
      });
    }
  });

  it('builds Silver in buckets whose tasks each decode about a bucket of lines, the same tables as one bucket', async () => {
    const recs = records();
    const logs: string[] = [];
    const one = FileSystemLake.fromDirectory(path.join(dir, 'one'));
    const many = FileSystemLake.fromDirectory(path.join(dir, 'many'));
    await buildSilverTables(one, { runId: 'run-1', orders: source(recs), workers: 0 });
    await buildSilverTables(many, { runId: 'run-1', orders: source(recs), workers: 0, linesPerBucket: 800, log: (m) => logs.push(m) });
    expect(logs).toContain('silver: month pass in 4 SKU buckets (largest month 3001 lines)');
    const decoded = Number(/a month task decoded at most (\d+) spilled lines/.exec(logs.join('\n'))?.[1]);
    expect(decoded).toBeGreaterThan(0);
    expect(decoded).toBeLessThan(1200);
    for (const name of tableNames) {
      expect({ name, rows: await rowsOf(many, name, { ignoreSource: false }) }).toEqual({
        name,
        rows: await rowsOf(one, name, { ignoreSource: false }),
      });
    }
  });
});

function inBucketOf(sku: string, bucket: SkuBucket): boolean {
  return bucketOfSku(sku, bucket.count) === bucket.index;
}
