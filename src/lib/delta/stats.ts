/**
 * Per-file statistics for add.stats (numRecords, minValues, maxValues, nullCount), which Delta
 * readers use for data skipping. Bounds must be safe: a string min is truncated to a prefix (still a
 * lower bound); a string max that would need truncation is left out rather than made wrong.
 */
import type { DeltaField, DeltaRow } from './types';

const maxStringStatLength = 32;

export interface FileStats {
  numRecords: number;
  minValues: Record<string, string | number | boolean>;
  maxValues: Record<string, string | number | boolean>;
  nullCount: Record<string, number>;
}

/** Compares strings in UTF-8 byte order (Spark's order), which differs from UTF-16 only above U+D7FF. */
function compareStrings(a: string, b: string): number {
  if (/[\uD800-\uFFFF]/.test(a) || /[\uD800-\uFFFF]/.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keeps whole code points when truncating. */
function prefix(value: string, length: number): string {
  return Array.from(value).slice(0, length).join('');
}

export function computeStats(fields: readonly DeltaField[], rows: readonly DeltaRow[]): FileStats {
  const stats: FileStats = { numRecords: rows.length, minValues: {}, maxValues: {}, nullCount: {} };
  for (const field of fields) {
    let nulls = 0;
    let min: string | number | undefined;
    let max: string | number | undefined;
    let skipBounds = field.type === 'boolean';
    let hasLongString = false;
    for (const row of rows) {
      const value = row[field.name];
      if (value === null || value === undefined) {
        nulls++;
        continue;
      }
      if (skipBounds) continue;
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) {
          skipBounds = true;
          continue;
        }
        if (min === undefined || value < (min as number)) min = value;
        if (max === undefined || value > (max as number)) max = value;
      } else if (typeof value === 'string') {
        // Dates ('YYYY-MM-DD') and ISO timestamps normalised to UTC compare correctly as strings.
        const v = field.type === 'timestamp' ? new Date(Date.parse(value)).toISOString() : value;
        if (min === undefined || compareStrings(v, min as string) < 0) min = v;
        if (max === undefined || compareStrings(v, max as string) > 0) max = v;
      }
    }
    stats.nullCount[field.name] = nulls;
    if (skipBounds || min === undefined || max === undefined) continue;
    if (field.type === 'string') {
      const minText = min as string;
      const maxText = max as string;
      stats.minValues[field.name] = Array.from(minText).length > maxStringStatLength ? prefix(minText, maxStringStatLength) : minText;
      hasLongString = Array.from(maxText).length > maxStringStatLength;
      if (!hasLongString) stats.maxValues[field.name] = maxText;
    } else {
      stats.minValues[field.name] = min;
      stats.maxValues[field.name] = max;
    }
  }
  return stats;
}
