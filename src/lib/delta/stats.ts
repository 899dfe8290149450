/**
 * Per-file statistics for add.stats (numRecords, minValues, maxValues, nullCount), which Delta
 * readers use for data skipping. Bounds must be safe: a string min is truncated to a prefix (still a
 * lower bound); a string max that would need truncation is left out rather than made wrong.
 */
import type { DeltaField } from './types';

const maxStringStatLength = 32;

export interface FileStats {
  numRecords: number;
  minValues: Record<string, string | number | boolean>;
  maxValues: Record<string, string | number | boolean>;
  nullCount: Record<string, number>;
}

/**
 * Compares strings in UTF-8 byte order (Spark's order). It differs from UTF-16 order only when the
 * first differing code units include one at or above U+D800, so only that case goes through bytes.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800 || cb >= 0xd800) return Buffer.compare(Buffer.from(a.slice(i)), Buffer.from(b.slice(i)));
    return ca - cb;
  }
  return a.length - b.length;
}

/** Keeps whole code points when truncating. */
function prefix(value: string, length: number): string {
  return Array.from(value).slice(0, length).join('');
}

export interface ColumnSummary {
  field: DeltaField;
  nulls: number;
  /** Bounds in their Delta stats form (dates 'YYYY-MM-DD', timestamps ISO UTC); none for booleans. */
  bounds: { min: string | number; max: string | number } | undefined;
}

/** Stats from per-column summaries, with the safe string truncation. */
export function boundedStats(numRecords: number, columns: readonly ColumnSummary[]): FileStats {
  const stats: FileStats = { numRecords, minValues: {}, maxValues: {}, nullCount: {} };
  for (const { field, nulls, bounds } of columns) {
    stats.nullCount[field.name] = nulls;
    if (!bounds) continue;
    if (field.type === 'string') {
      const minText = bounds.min as string;
      const maxText = bounds.max as string;
      stats.minValues[field.name] =
        minText.length > maxStringStatLength && Array.from(minText).length > maxStringStatLength
          ? prefix(minText, maxStringStatLength)
          : minText;
      // A max that would need truncation is left out (a prefix would not be an upper bound).
      if (!(maxText.length > maxStringStatLength && Array.from(maxText).length > maxStringStatLength))
        stats.maxValues[field.name] = maxText;
    } else {
      stats.minValues[field.name] = bounds.min;
      stats.maxValues[field.name] = bounds.max;
    }
  }
  return stats;
}
