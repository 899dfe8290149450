import { parse } from 'csv-parse/sync';

/** One inventory snapshot row as partners drop it (CSV header or NDJSON keys). */
export interface InventorySnapshotRow {
  snapshot_date: string;
  sku: string;
  on_hand: number;
  on_order: number;
}

export const inventoryColumns = ['snapshot_date', 'sku', 'on_hand', 'on_order'] as const;

export type InventoryFileFormat = 'csv' | 'ndjson';

/** The format a landing file name announces, or undefined for files we cannot read. */
export function inventoryFormatOf(name: string): InventoryFileFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  return undefined;
}

export type SnapshotCheck = { ok: true; rows: number; onHandSum: number } | { ok: false; reason: string };

const isDate = (v: unknown): boolean =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));

function checkRow(row: Record<string, unknown>, where: string, numbersAsText: boolean): string | undefined {
  if (!isDate(row.snapshot_date)) return `${where}: snapshot_date ${JSON.stringify(row.snapshot_date)} is not a YYYY-MM-DD date`;
  if (typeof row.sku !== 'string' || row.sku.trim() === '') return `${where}: sku ${JSON.stringify(row.sku)} is empty or not text`;
  for (const field of ['on_hand', 'on_order'] as const) {
    const v = row[field];
    const n = numbersAsText && typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) return `${where}: ${field} ${JSON.stringify(v)} is not a number`;
  }
  return undefined;
}

/**
 * Whether a landed snapshot file can be read, without changing it (Bronze keeps the bytes as
 * received): the reason names the line, the field and the value when it cannot.
 */
export function checkInventorySnapshot(bytes: Buffer, format: InventoryFileFormat): SnapshotCheck {
  const text = bytes.toString('utf8');
  let onHandSum = 0;
  if (format === 'csv') {
    let rows: Array<Record<string, string>>;
    try {
      rows = parse(text, { columns: true, bom: true, skip_empty_lines: true }) as Array<Record<string, string>>;
    } catch (err) {
      return { ok: false, reason: `CSV does not parse: ${err instanceof Error ? err.message : String(err)}` };
    }
    const header =
      text
        .replace(/^\uFEFF/, '')
        .split(/\r?\n/, 1)[0]
        ?.split(',')
        .map((c) => c.trim()) ?? [];
    const missing = inventoryColumns.filter((c) => !header.includes(c));
    if (missing.length > 0)
      return { ok: false, reason: `CSV header ${JSON.stringify(header.join(','))} lacks column(s) ${missing.join(', ')}` };
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Record<string, string>;
      const problem = checkRow(row, `line ${i + 2}`, true);
      if (problem) return { ok: false, reason: problem };
      onHandSum += Number(row.on_hand);
    }
    return { ok: true, rows: rows.length, onHandSum };
  }
  let rows = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? '';
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, reason: `line ${i + 1}: not JSON: ${JSON.stringify(line.slice(0, 60))}` };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return { ok: false, reason: `line ${i + 1}: not a JSON object` };
    const problem = checkRow(value as Record<string, unknown>, `line ${i + 1}`, false);
    if (problem) return { ok: false, reason: problem };
    onHandSum += (value as { on_hand: number }).on_hand;
    rows++;
  }
  return { ok: true, rows, onHandSum };
}
