/**
 * Reads one landed orders file into records: CSV (header row), NDJSON, or Parquet, each optionally
 * gzipped. A file that cannot be read at all gives a reason (it is moved to rejected/); single bad
 * records are not this module's concern, the mapping reports them.
 */
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import type { fileFormats } from '../definition';

export type SourceFileFormat = (typeof fileFormats)[number];

export type SourceFileRead = { ok: true; records: unknown[] } | { ok: false; reason: string };

/** The format a file name announces (`.csv`, `.ndjson`/`.jsonl`, `.parquet`, each optionally `.gz`). */
export function sourceFileFormatOf(name: string): { format: SourceFileFormat; gzipped: boolean } | undefined {
  const lower = name.toLowerCase();
  const gzipped = lower.endsWith('.gz');
  const base = gzipped ? lower.slice(0, -3) : lower;
  if (base.endsWith('.csv')) return { format: 'csv', gzipped };
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl')) return { format: 'ndjson', gzipped };
  if (base.endsWith('.parquet')) return { format: 'parquet', gzipped };
  return undefined;
}

/** Parquet values JSON can carry: bigints as numbers when safe, else as text; dates as ISO text. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function readSourceFile(
  bytes: Buffer,
  format: SourceFileFormat,
  options: { gzipped: boolean; delimiter?: string },
): Promise<SourceFileRead> {
  let data: Buffer;
  try {
    data = options.gzipped ? gunzipSync(bytes) : bytes;
  } catch (err) {
    return { ok: false, reason: `not a gzip file: ${message(err)}` };
  }
  if (format === 'csv') {
    try {
      const records = parse(data.toString('utf8'), {
        columns: true,
        bom: true,
        skip_empty_lines: true,
        delimiter: options.delimiter ?? ',',
        trim: true,
      }) as unknown[];
      if (records.length === 0 && data.toString('utf8').trim() === '') return { ok: false, reason: 'empty file (no header row)' };
      return { ok: true, records };
    } catch (err) {
      return { ok: false, reason: `CSV does not parse: ${message(err)}` };
    }
  }
  if (format === 'ndjson') {
    const records: unknown[] = [];
    const lines = data.toString('utf8').split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).trim();
      if (line === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch (err) {
        return { ok: false, reason: `line ${i + 1} is not JSON: ${message(err)}` };
      }
    }
    return { ok: true, records };
  }
  try {
    const file = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    const rows = (await parquetReadObjects({ file })) as Array<Record<string, unknown>>;
    return { ok: true, records: rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)]))) };
  } catch (err) {
    return { ok: false, reason: `Parquet does not read: ${message(err)}` };
  }
}
