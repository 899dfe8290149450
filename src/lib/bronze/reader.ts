import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { ValidationError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import { dataPathOf, manifestSuffix, type BronzeManifest } from './manifest';
import { checkIngestDate, checkPathSegment } from './paths';

export interface BronzeRecord {
  record: unknown;
  /** 0-based position of the record in its part. */
  index: number;
  /** Lake path of the data part. */
  sourcePath: string;
}

function requireField(manifestPath: string, value: Record<string, unknown>, field: string, kind: 'string' | 'number'): void {
  if (typeof value[field] !== kind) {
    throw new ValidationError(
      field,
      `Bronze manifest ${manifestPath}: field "${field}" must be a ${kind}, got ${JSON.stringify(value[field])}`,
    );
  }
}

/** Reads and checks a part's manifest. */
export async function readManifest(
  lake: LakeStore,
  manifestPath: string,
  options: { abortSignal?: AbortSignal } = {},
): Promise<BronzeManifest> {
  if (!manifestPath.endsWith(manifestSuffix)) {
    throw new ValidationError('manifestPath', `A Bronze manifest path ends with ${manifestSuffix}: ${JSON.stringify(manifestPath)}`);
  }
  const text = (await lake.read(manifestPath, options.abortSignal ? { abortSignal: options.abortSignal } : {})).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError('manifest', `Bronze manifest ${manifestPath} is not JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null)
    throw new ValidationError('manifest', `Bronze manifest ${manifestPath} is not an object`);
  const m = value as Record<string, unknown>;
  for (const f of ['source', 'runId', 'sha256']) requireField(manifestPath, m, f, 'string');
  for (const f of ['part', 'records', 'bytes']) requireField(manifestPath, m, f, 'number');
  if (m.format !== 'ndjson' && m.format !== 'csv') {
    throw new ValidationError(
      'format',
      `Bronze manifest ${manifestPath}: format must be "ndjson" or "csv", got ${JSON.stringify(m.format)}`,
    );
  }
  return value as BronzeManifest;
}

/**
 * Streams the records of one committed Bronze part. NDJSON lines are JSON-parsed (a line that is
 * not JSON comes back as `{ __unparseable: '<text>' }`); CSV rows come back as objects of strings
 * keyed by the header.
 */
export async function* readBronzeRecords(
  lake: LakeStore,
  manifestPath: string,
  options: { abortSignal?: AbortSignal } = {},
): AsyncIterable<BronzeRecord> {
  const signal = options.abortSignal;
  const manifest = await readManifest(lake, manifestPath, options);
  const sourcePath = dataPathOf(manifestPath, manifest.format);
  const raw = await lake.readStream(sourcePath, signal ? { abortSignal: signal } : {});
  const gunzip = createGunzip();
  raw.on('error', (err: Error) => gunzip.destroy(err));
  raw.pipe(gunzip);
  let index = 0;
  try {
    if (manifest.format === 'ndjson') {
      const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
      for await (const line of lines) {
        signal?.throwIfAborted();
        if (isBlankLine(line)) continue;
        yield { record: parseNdjsonLine(line), index: index++, sourcePath };
      }
    } else {
      const rows = gunzip.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, trim: false }));
      for await (const row of rows as AsyncIterable<Record<string, string>>) {
        signal?.throwIfAborted();
        yield { record: row, index: index++, sourcePath };
      }
    }
  } finally {
    gunzip.destroy();
    (raw as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
}

/** Parses one NDJSON line the way readBronzeRecords does (unparseable text is kept, not thrown). */
function parseNdjsonLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return { __unparseable: line };
  }
}

const blankLine = /^[\t\n\v\f\r ]*$/;

/** A line of only ASCII white space (skipped, and not counted in record indexes). */
function isBlankLine(line: string): boolean {
  return blankLine.test(line);
}

function isBlankByte(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/**
 * The records of NDJSON text whose first non-blank line is record `firstIndex` of its part. Yields
 * the same records, indexes and unparseable markers as readBronzeRecords.
 */
export function* parseNdjsonText(text: string, sourcePath: string, firstIndex = 0): Generator<BronzeRecord> {
  let index = firstIndex;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (isBlankLine(line)) continue;
    yield { record: parseNdjsonLine(line.endsWith('\r') ? line.slice(0, -1) : line), index: index++, sourcePath };
  }
}

/**
 * The records of one Bronze part from its gzipped bytes, in memory (a part is bounded by the
 * writer's part size): what a worker thread does with a part read by the main thread.
 */
export function* parseBronzePart(gzipped: Uint8Array, format: BronzeManifest['format'], sourcePath: string): Generator<BronzeRecord> {
  const text = gunzipSync(gzipped).toString('utf8');
  if (format === 'ndjson') {
    yield* parseNdjsonText(text, sourcePath);
    return;
  }
  const rows = parseCsvSync(text, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, trim: false }) as Array<
    Record<string, string>
  >;
  let index = 0;
  for (const row of rows) yield { record: row, index: index++, sourcePath };
}

/** Non-blank lines of NDJSON bytes (the records the Bronze reader counts), for a chunk's successor's first index. */
export function recordsIn(bytes: Uint8Array): number {
  let records = 0;
  let lineStart = 0;
  while (lineStart < bytes.length) {
    let lineEnd = bytes.indexOf(0x0a, lineStart);
    if (lineEnd < 0) lineEnd = bytes.length;
    for (let i = lineStart; i < lineEnd; i++) {
      if (!isBlankByte(bytes[i] as number)) {
        records++;
        break;
      }
    }
    lineStart = lineEnd + 1;
  }
  return records;
}

/**
 * Decompressed NDJSON cut at line ends into chunks of about `chunkBytes`, each with the index of
 * its first record, so one part can be parsed on several threads with the indexes a single pass gives.
 */
export function* ndjsonChunks(text: Uint8Array, chunkBytes: number): Generator<{ bytes: Uint8Array; firstIndex: number }> {
  let start = 0;
  let records = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + chunkBytes);
    if (end < text.length) {
      const newline = text.indexOf(0x0a, end);
      end = newline < 0 ? text.length : newline + 1;
    }
    // A copy (not a view of the part's buffer), so it can be transferred to a worker on its own.
    const chunk = new Uint8Array(text.subarray(start, end));
    yield { bytes: chunk, firstIndex: records };
    records += recordsIn(chunk);
    start = end;
  }
}

/**
 * Manifest paths of one run of a source, ordered by part. Pass `ingestDate` (the run date) to list
 * one folder; without it every ingest date of the source is scanned.
 */
export async function listBronzeManifests(
  lake: LakeStore,
  source: string,
  runId: string,
  options: { ingestDate?: string; abortSignal?: AbortSignal } = {},
): Promise<string[]> {
  checkPathSegment('source', source);
  checkPathSegment('runId', runId);
  const prefix = options.ingestDate
    ? `bronze/${source}/ingest_date=${checkIngestDate(options.ingestDate)}/run_id=${runId}`
    : `bronze/${source}`;
  const marker = `/run_id=${runId}/`;
  const found: string[] = [];
  for await (const entry of lake.list(prefix, { recursive: true, ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) })) {
    if (entry.path.endsWith(manifestSuffix) && entry.path.includes(marker)) found.push(entry.path);
  }
  const partOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
  return found.sort((a, b) => (partOf(a) < partOf(b) ? -1 : partOf(a) > partOf(b) ? 1 : a < b ? -1 : 1));
}
