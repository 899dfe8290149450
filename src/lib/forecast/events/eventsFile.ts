import { parse } from 'csv-parse/sync';
import { ValidationError } from '../../errors';
import type { EventDay } from './types';

/**
 * Parses a user events/promotions CSV with a header: `date,sku,event` and optionally `end_date`
 * (inclusive; a promotion over several days). `sku` is a SKU or `*` for every SKU. Further columns
 * are ignored. Bad rows are errors naming the row, the field and the value: an events file is
 * small and hand-made, so a typo must not silently drop a promotion.
 */
const isoDay = /^\d{4}-\d{2}-\d{2}$/;
const dayInMs = 86_400_000;
/** A promotion longer than this is almost surely a date typo. */
const maxEventDays = 366;

function dayMs(value: string, row: number, field: string): number {
  const t = isoDay.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== value) {
    throw new ValidationError(field, `events file row ${row}: ${field} "${value}" is not a YYYY-MM-DD date`);
  }
  return t;
}

export function parseEventsCsv(text: string): EventDay[] {
  const records = parse(text, {
    columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
    skip_empty_lines: true,
    trim: true,
    bom: true,
  }) as Record<string, string>[];
  const first = records[0];
  if (first && !('date' in first && 'sku' in first && 'event' in first)) {
    throw new ValidationError(
      'header',
      `events file header must start with date,sku,event (optional end_date); got ${Object.keys(first).join(',')}`,
    );
  }
  const out: EventDay[] = [];
  records.forEach((r, i) => {
    const row = i + 2;
    const start = dayMs(r['date'] ?? '', row, 'date');
    const endText = r['end_date'] ?? '';
    const end = endText === '' ? start : dayMs(endText, row, 'end_date');
    const days = Math.round((end - start) / dayInMs) + 1;
    if (days < 1 || days > maxEventDays)
      throw new ValidationError(
        'end_date',
        `events file row ${row}: end_date "${endText}" must be on or after date and within ${maxEventDays} days`,
      );
    const sku = r['sku'] ?? '';
    if (sku === '') throw new ValidationError('sku', `events file row ${row}: sku is empty (use * for every SKU)`);
    const name = (r['event'] ?? '').replace(/\s+/g, '_');
    if (name === '') throw new ValidationError('event', `events file row ${row}: event name is empty`);
    for (let k = 0; k < days; k++) out.push({ date: new Date(start + k * dayInMs).toISOString().slice(0, 10), sku, name });
  });
  return out;
}
