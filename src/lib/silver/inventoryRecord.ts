/**
 * Inventory snapshot records from Bronze ({snapshot_date, sku, on_hand, on_order}: strings from
 * CSV files or numbers from NDJSON), validated and normalised to inventory_snapshots rows.
 */
import { z } from 'zod';
import {
  checkBoundedInteger,
  checkCalendarDate,
  checkSku,
  defaultFieldBounds,
  type FieldBounds,
  type FieldCheck,
} from '../validation/fields';
import { isValidCalendarDate, normaliseSku } from './orderRecord';

const integerLike = z.union([
  z.number().int(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.0+)?$/, 'not an integer')
    .transform((s) => Number.parseInt(s, 10)),
]);

export const inventoryRecordSchema = z.object({
  snapshot_date: z
    .string()
    .trim()
    .refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && isValidCalendarDate(s), 'expected YYYY-MM-DD'),
  sku: z
    .union([z.string(), z.number()])
    .transform((v) => normaliseSku(String(v)))
    .refine((s) => s.length > 0, 'empty'),
  on_hand: integerLike,
  on_order: z
    .union([integerLike, z.literal(''), z.null()])
    .optional()
    .transform((v) => (v === '' || v === undefined ? null : v)),
});

export interface InventorySnapshot {
  snapshotDate: string;
  sku: string;
  onHand: number;
  onOrder: number | null;
  sourceFile: string;
}

export type InventoryRecordCheck = { ok: true; snapshot: InventorySnapshot } | { ok: false; field: string; detail: string };

export function checkInventoryRecord(
  raw: unknown,
  sourceFile: string,
  fieldBounds: Readonly<FieldBounds> = defaultFieldBounds,
): InventoryRecordCheck {
  const parsed = inventoryRecordSchema.safeParse(raw);
  if (parsed.success) {
    // Bounds the schema cannot say: no snapshot dated in the future or before the floor, a SKU of
    // the documented form, stock never negative nor beyond maxStockUnits (a 20-digit on_hand is
    // quarantined here instead of failing the Delta write).
    const raw0 = raw as Record<string, unknown>;
    const bounds = fieldBounds;
    const checks: Array<[string, FieldCheck<unknown>]> = [
      ['snapshot_date', checkCalendarDate('snapshot_date', parsed.data.snapshot_date, { bounds })],
      ['sku', checkSku('sku', raw0['sku'], bounds)],
      ['on_hand', checkBoundedInteger('on_hand', parsed.data.on_hand, bounds.maxStockUnits, { nonNegative: true })],
      ...(parsed.data.on_order === null
        ? []
        : ([['on_order', checkBoundedInteger('on_order', parsed.data.on_order, bounds.maxStockUnits, { nonNegative: true })]] as Array<
            [string, FieldCheck<unknown>]
          >)),
    ];
    for (const [field, check] of checks) if (!check.ok) return { ok: false, field, detail: check.detail };
    return {
      ok: true,
      snapshot: {
        snapshotDate: parsed.data.snapshot_date,
        sku: parsed.data.sku,
        onHand: parsed.data.on_hand,
        onOrder: parsed.data.on_order,
        sourceFile,
      },
    };
  }
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? String(issue.path[0]) : 'record';
  const value = typeof raw === 'object' && raw !== null && field !== 'record' ? (raw as Record<string, unknown>)[field] : raw;
  const shown = value === undefined ? 'missing' : JSON.stringify(value);
  return { ok: false, field, detail: `${field}=${shown}: ${issue?.message ?? 'invalid'}` };
}
