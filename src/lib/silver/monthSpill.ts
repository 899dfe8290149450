/**
 * The spill files between the Silver build's two passes: `<dir>/<month>/<seq>.v8`, one per scanned
 * chunk and order month (`seq` orders chunks as they came, zero-padded). A file holds the chunk's
 * lines of the month cut into `spillShards` SKU-hash ranges, each serialised on its own, and the
 * order the lines came in (each line's SKU hash and id): a month task of one SKU bucket decodes only
 * the shards its range overlaps, so it holds about a bucket's lines, not the month's, and still sees
 * every line id of the month in order (a line id delivered again under another SKU is a re-delivery).
 *
 * Layout: uint32 LE header length, the header (JSON: byte ranges of the order and of each shard),
 * then the v8-serialised segments.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { selectLines, type LineBatch } from './lineBatch';
import { shardOfHash, shardsOfBucket, skuHashOf, spillShards, type SkuBucket } from './skuBucket';

/** The order of a chunk's lines of one month: SKU hash and line-id fingerprint of each. */
export interface SpillOrder {
  skuHash: Uint32Array;
  idHi: Uint32Array;
  idLo: Uint32Array;
}

/** One spill file as a month task reads it: the order of all its lines, the shards asked for. */
export interface SpilledChunk {
  order: SpillOrder;
  /** By shard; undefined where the shard was not read or holds no line. */
  shards: Array<LineBatch | undefined>;
  /** Lines decoded (of the shards read). */
  linesDecoded: number;
}

type ByteRange = [offset: number, length: number];

interface SpillHeader {
  order: ByteRange;
  shards: Array<ByteRange | null>;
}

/** A month batch cut by SKU-hash shard, in line order within each shard. */
function splitByShard(batch: LineBatch): { order: SpillOrder; shards: Array<LineBatch | null> } {
  const n = batch.length;
  const skuHash = new Uint32Array(n);
  const shardOf = new Uint16Array(n);
  const counts = new Int32Array(spillShards);
  const hashes = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const sku = batch.sku[i] as string;
    let hash = hashes.get(sku);
    if (hash === undefined) hashes.set(sku, (hash = skuHashOf(sku)));
    skuHash[i] = hash;
    const shard = shardOfHash(hash);
    shardOf[i] = shard;
    counts[shard] = (counts[shard] as number) + 1;
  }
  const indexes = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(spillShards);
  for (let i = 0; i < n; i += 1) {
    const shard = shardOf[i] as number;
    (indexes[shard] as Int32Array)[filled[shard] as number] = i;
    filled[shard] = (filled[shard] as number) + 1;
  }
  return {
    order: { skuHash, idHi: batch.idHi, idLo: batch.idLo },
    shards: indexes.map((lines) => (lines.length > 0 ? selectLines(batch, lines) : null)),
  };
}

function spillFile(spillDir: string, month: string, seq: number): string {
  return path.join(spillDir, month, `${String(seq).padStart(9, '0')}.v8`);
}

/** Writes a scanned chunk's month batches, one file per month. */
export function writeMonthSpills(spillDir: string, seq: number, batches: readonly LineBatch[]): void {
  for (const batch of batches) {
    const { order, shards } = splitByShard(batch);
    const segments: Buffer[] = [serialize(order)];
    const header: SpillHeader = { order: [0, 0], shards: [] };
    for (const shard of shards) if (shard) segments.push(serialize(shard));
    let offset = 0;
    const next = (length: number): ByteRange => {
      const range: ByteRange = [offset, length];
      offset += length;
      return range;
    };
    let segment = 0;
    header.order = next((segments[segment++] as Buffer).length);
    header.shards = shards.map((shard) => (shard ? next((segments[segment++] as Buffer).length) : null));
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(headerBytes.length, 0);
    mkdirSync(path.join(spillDir, batch.month), { recursive: true });
    writeFileSync(spillFile(spillDir, batch.month, seq), Buffer.concat([length, headerBytes, ...segments]));
  }
}

/** The spill files of one month, in chunk order. */
function spillFilesOf(spillDir: string, month: string): string[] {
  const folder = path.join(spillDir, month);
  try {
    return readdirSync(folder)
      .filter((n) => n.endsWith('.v8'))
      .sort()
      .map((n) => path.join(folder, n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function readExactly(fd: number, position: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, bytes, done, length - done, position + done);
    if (read === 0) throw new Error(`spill file ended at byte ${position + done}, ${length - done} bytes short`);
    done += read;
  }
  return bytes;
}

/**
 * The spilled chunks of one month, in chunk order: each with the order of all its lines and, of its
 * shards, those holding lines of `bucket` (all without one).
 */
export function* readMonthSpill(spillDir: string, month: string, bucket?: SkuBucket): Generator<SpilledChunk> {
  const shards = shardsOfBucket(bucket);
  for (const file of spillFilesOf(spillDir, month)) yield readSpillFile(file, shards);
}

/** The order segments alone of one month's spill files, in chunk order (a bucket's task first collects its own line ids). */
export function* readMonthSpillOrder(spillDir: string, month: string): Generator<SpillOrder> {
  for (const file of spillFilesOf(spillDir, month)) {
    const fd = openSync(file, 'r');
    try {
      const headerLength = readExactly(fd, 0, 4).readUInt32LE(0);
      const header = JSON.parse(readExactly(fd, 4, headerLength).toString('utf8')) as SpillHeader;
      yield deserialize(readExactly(fd, 4 + headerLength + header.order[0], header.order[1])) as SpillOrder;
    } finally {
      closeSync(fd);
    }
  }
}

function readSpillFile(file: string, wanted: { first: number; last: number }): SpilledChunk {
  const fd = openSync(file, 'r');
  try {
    const headerLength = readExactly(fd, 0, 4).readUInt32LE(0);
    const header = JSON.parse(readExactly(fd, 4, headerLength).toString('utf8')) as SpillHeader;
    const base = 4 + headerLength;
    const segment = (range: ByteRange): unknown => deserialize(readExactly(fd, base + range[0], range[1]));
    const shards = new Array<LineBatch | undefined>(spillShards);
    let linesDecoded = 0;
    for (let s = wanted.first; s <= wanted.last; s += 1) {
      const range = header.shards[s];
      if (!range) continue;
      const batch = segment(range) as LineBatch;
      shards[s] = batch;
      linesDecoded += batch.length;
    }
    return { order: segment(header.order) as SpillOrder, shards, linesDecoded };
  } finally {
    closeSync(fd);
  }
}

/** Every spilled line batch of one month (shard by shard: no line order across SKUs). */
export function* readSpilledBatches(spillDir: string, month: string): Generator<LineBatch> {
  for (const chunk of readMonthSpill(spillDir, month)) {
    for (const batch of chunk.shards) if (batch) yield batch;
  }
}
