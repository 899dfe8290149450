/**
 * The Silver build's scan pass (its first), coordinated from the main thread (orderChunkScan.ts
 * scans each chunk): Bronze parts (or records from anywhere else) are scanned into month spill
 * files, parts in parallel on the pool, and what each chunk saw is merged in chunk order so the
 * result does not depend on which worker finished first.
 */
import { dataPathOf } from '../bronze/manifest';
import { readManifest } from '../bronze/reader';
import { sha256Hex } from '../bronze/writer';
import { BronzeIntegrityError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import { OrderScanner, writeSpills, type ScanPartTask, type ScanSummary } from './orderChunkScan';
import type { RuleSet } from './ruleSet';
import type { FieldBounds } from '../validation/fields';
import { gunzippedNdjsonChunks, type HeldBytes } from './ndjsonStreamChunks';
import type { SourceRecord } from './silverBuild';
import type { SilverPool } from './silverPool';

/**
 * Decompressed NDJSON bytes per scan task on the workers. 2 MiB rather than 4: each worker's heap
 * holds one chunk's records and this thread the chunks in flight; at 32,000 SKUs (2 workers,
 * single runs, docs/sizing.md stop 32) the scan's peak RSS 311-317 → 295 MB, same CPU.
 */
const scanChunkBytes = 2 * 1024 * 1024;
/** Records per in-process scan chunk (the `orders` iterable). */
const scanChunkRecords = 50_000;

export interface ScanOrdersOptions {
  orderParts?: readonly string[];
  orders?: AsyncIterable<SourceRecord>;
  progress?: (stage: string, done: number, total?: number) => void;
  abortSignal?: AbortSignal;
  fieldBounds?: FieldBounds;
  /** Decompressed bytes per scan task on the workers (default 2 MiB; tests use less). */
  chunkBytes?: number;
  /** Filled in as the pass runs: the most decompressed part bytes it held at once (chunk being cut, chunks queued or scanned). */
  stats?: ScanPassStats;
}

export interface ScanPassStats {
  peakBytesHeld: number;
}

function heldBytesCounter(stats: ScanPassStats | undefined): HeldBytes {
  let now = 0;
  return {
    add(bytes) {
      now += bytes;
      if (stats && now > stats.peakBytesHeld) stats.peakBytesHeld = now;
    },
  };
}

async function* chunkTasks(
  chunks: AsyncIterable<{ bytes: Uint8Array; firstIndex: number }>,
  base: Omit<ScanPartTask, 'seq' | 'bytes' | 'firstIndex'>,
): AsyncIterable<Omit<ScanPartTask, 'seq'>> {
  for await (const { bytes, firstIndex } of chunks) yield { ...base, bytes, firstIndex };
}

function mergeSummary(into: ScanSummary, part: ScanSummary): void {
  into.read += part.read;
  for (const bad of part.invalid) into.invalid.push(bad);
  for (const [month, c] of Object.entries(part.months)) {
    const m = (into.months[month] ??= { demand: 0, cancellation: 0, rejected: 0 });
    m.demand += c.demand;
    m.cancellation += c.cancellation;
    m.rejected += c.rejected;
  }
  for (const [sku, [first, last]] of Object.entries(part.skuRanges)) {
    const r = into.skuRanges[sku];
    if (!r) into.skuRanges[sku] = [first, last];
    else {
      if (first < r[0]) r[0] = first;
      if (last > r[1]) r[1] = last;
    }
  }
}

/** A standalone copy when the bytes are a view of a bigger (e.g. pooled) buffer, so it can be transferred. */
function ownBuffer(bytes: Buffer): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? new Uint8Array(bytes.buffer, 0, bytes.byteLength)
    : Uint8Array.from(bytes);
}

/** First pass: every order record scanned into month spill files; parts in parallel, merged in order. */
export async function runScanPass(
  lake: LakeStore,
  options: ScanOrdersOptions,
  ruleSet: RuleSet,
  pool: SilverPool,
  spillDir: string,
): Promise<ScanSummary> {
  const scanned: ScanSummary = { read: 0, invalid: [], months: {}, skuRanges: {} };
  const signal = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  let seq = 0;
  const parts = options.orderParts ?? [];
  const results: Array<ScanSummary | undefined> = [];
  let merged = 0;
  const inFlight: Array<Promise<void>> = [];
  const chunkBytes = options.chunkBytes ?? scanChunkBytes;
  const held = heldBytesCounter(options.stats);
  for (const manifestPath of parts) {
    options.abortSignal?.throwIfAborted();
    const manifest = await readManifest(lake, manifestPath, signal);
    const sourcePath = dataPathOf(manifestPath, manifest.format);
    const gzipped = await lake.read(sourcePath, signal);
    // The part must be the bytes its manifest committed (a damaged part would otherwise surface as
    // a zlib error or, worse, as wrong records).
    if (gzipped.byteLength !== manifest.bytes || sha256Hex(gzipped) !== manifest.sha256) {
      throw new BronzeIntegrityError(
        sourcePath,
        `holds ${gzipped.byteLength} bytes with sha256 ${sha256Hex(gzipped)}, its manifest committed ${manifest.bytes} bytes with sha256 ${manifest.sha256}`,
      );
    }
    const base = {
      format: manifest.format,
      sourcePath,
      spillDir,
      ruleSetJson: ruleSet.document,
      ...(options.fieldBounds ? { bounds: options.fieldBounds } : {}),
    };
    // NDJSON parts are decompressed here (this thread is otherwise idle in this pass) and cut into
    // chunks as they inflate, so the workers share even the last part of a run and this thread
    // holds the chunks waiting for a worker, not the whole decompressed part.
    const tasks: AsyncIterable<Omit<ScanPartTask, 'seq'>> | Iterable<Omit<ScanPartTask, 'seq'>> =
      manifest.format === 'ndjson' && pool.workers > 0
        ? chunkTasks(gunzippedNdjsonChunks(gzipped, chunkBytes, held), base)
        : [{ ...base, bytes: ownBuffer(gzipped) }];
    for await (const scanTask of tasks) {
      const mine = seq++;
      const bytes = scanTask.bytes.byteLength;
      held.add(bytes);
      const task = pool.scan({ ...scanTask, seq: mine }).then((summary) => {
        results[mine] = summary;
        while (results[merged]) {
          mergeSummary(scanned, results[merged] as ScanSummary);
          results[merged] = undefined;
          merged += 1;
        }
        options.progress?.('silver:orders', scanned.read);
      });
      const settled = task.finally(() => held.add(-bytes));
      settled.catch(() => undefined);
      inFlight.push(settled);
      // Keep every worker busy, with a chunk or two queued each.
      if (inFlight.length >= Math.max(1, 2 * pool.workers)) await inFlight.shift();
    }
  }
  await Promise.all(inFlight);
  if (options.orders) {
    let scanner = new OrderScanner(ruleSet.rules, options.fieldBounds);
    let inChunk = 0;
    const flush = (): void => {
      const { batches, summary } = scanner.finish();
      writeSpills(spillDir, seq++, batches);
      mergeSummary(scanned, summary);
      scanner = new OrderScanner(ruleSet.rules, options.fieldBounds);
      inChunk = 0;
    };
    for await (const rec of options.orders) {
      scanner.add(rec.record, rec.index, rec.sourcePath);
      inChunk += 1;
      if (inChunk >= scanChunkRecords) {
        options.abortSignal?.throwIfAborted();
        flush();
        options.progress?.('silver:orders', scanned.read);
      }
    }
    flush();
  }
  return scanned;
}
