/**
 * Inventory snapshots through a source definition (setting DEMAND_INVENTORY_SOURCE): a partner's
 * stock files in their own columns (CSV, NDJSON, Parquet, optionally gzipped) mapped with the same
 * field specs as orders onto the canonical snapshot row {snapshot_date, sku, on_hand, on_order}.
 * A snapshot time (rather than a date) counts on the shop's calendar day. Files move to processed/
 * or rejected/ as with the default inventory landing; rows that cannot be mapped reach Silver with
 * the value found, so it quarantines them naming the field.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import type { IngestInventoryOutput } from '../ingest/ingestOutputs';
import type { ReasonCounts } from '../quality/reasonCounts';
import { isValidCalendarDate } from '../silver/orderRecord';
import { fieldSpecSchema, fileFormats } from './definition';
import { numberOf, resolve, text } from './fieldMapping';
import { landedFilesRun } from './files/landedFilesRun';
import { parseTimestamp } from './timestamps';
import { assertTimeZone, localDateTime } from './zonedTime';

export const inventorySourceSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  kind: z.literal('files'),
  folder: z.string().min(1),
  format: z.enum(fileFormats).optional(),
  delimiter: z.string().length(1).optional(),
  timeZone: z.string().min(1).default('UTC'),
  shopTimeZone: z.string().min(1).optional(),
  fields: z.strictObject({
    sku: fieldSpecSchema,
    snapshotDate: fieldSpecSchema.describe('a date (YYYY-MM-DD) or a timestamp (counted on the shop day)'),
    onHand: fieldSpecSchema,
    onOrder: fieldSpecSchema.optional(),
  }),
});
export type InventorySourceDefinition = z.infer<typeof inventorySourceSchema>;

export function parseInventoryDefinition(doc: unknown, origin: string): InventorySourceDefinition {
  const parsed = inventorySourceSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.map(String).join('.') || '(root)';
    throw new ValidationError(key, `Inventory source ${origin}: "${key}": ${issue?.message ?? 'invalid'}`);
  }
  for (const zone of [parsed.data.timeZone, parsed.data.shopTimeZone]) if (zone) assertTimeZone(zone);
  return parsed.data;
}

export async function loadInventorySource(ref: string): Promise<InventorySourceDefinition> {
  const inline = ref.trimStart().startsWith('{');
  let doc: unknown;
  try {
    doc = JSON.parse(inline ? ref : await (await import('node:fs/promises')).readFile(ref, 'utf8'));
  } catch (err) {
    throw new ValidationError(
      'DEMAND_INVENTORY_SOURCE',
      `Inventory source ${inline ? '(inline)' : JSON.stringify(ref)} is not a readable JSON definition: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseInventoryDefinition(doc, inline ? '(inline)' : ref);
}

/** One source row as a canonical snapshot row; a value that cannot be read is kept as found (Silver names the field). */
export function mapInventoryRow(
  definition: InventorySourceDefinition,
  shopTimeZone: string,
  record: unknown,
): { row: Record<string, unknown>; problems: string[] } {
  const scope = { record };
  const problems: string[] = [];
  const day = resolve(definition.fields.snapshotDate, scope);
  let snapshotDate: unknown = day.value;
  const dayText = typeof day.value === 'string' ? day.value.trim() : day.value;
  if (typeof dayText === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(dayText)) {
    if (!isValidCalendarDate(dayText)) problems.push('unmapped:snapshotDate');
    snapshotDate = dayText;
  } else if (dayText !== undefined && dayText !== null && dayText !== '') {
    const spec = definition.fields.snapshotDate;
    const single = typeof spec === 'object' && !Array.isArray(spec) && 'path' in spec ? spec : undefined;
    const t = parseTimestamp(dayText, single?.format ?? 'auto', single?.timeZone ?? definition.timeZone);
    if (t.ok) snapshotDate = localDateTime(t.epochMs, shopTimeZone).slice(0, 10);
    else problems.push('unmapped:snapshotDate');
  } else problems.push('unmapped:snapshotDate');
  const sku = text(resolve(definition.fields.sku, scope).value);
  if (sku === null) problems.push('unmapped:sku');
  const onHandRaw = resolve(definition.fields.onHand, scope).value;
  const onHand = numberOf(onHandRaw);
  if (onHand === undefined) problems.push('unmapped:onHand');
  const onOrderRaw = definition.fields.onOrder ? resolve(definition.fields.onOrder, scope).value : null;
  const onOrder = onOrderRaw === null || onOrderRaw === undefined || onOrderRaw === '' ? null : numberOf(onOrderRaw);
  if (onOrder === undefined) problems.push('unmapped:onOrder');
  return {
    row: {
      snapshot_date: snapshotDate ?? null,
      sku: sku ?? null,
      on_hand: onHand ?? onHandRaw ?? null,
      on_order: onOrder === undefined ? onOrderRaw : onOrder,
    },
    problems,
  };
}

export async function ingestInventoryFiles(options: {
  definition: InventorySourceDefinition;
  shopTimeZone: string;
  runId: string;
  runDate: string;
  lake: LakeStore;
  abortSignal?: AbortSignal;
  log?: (message: string) => void;
}): Promise<IngestInventoryOutput> {
  const { definition } = options;
  const run = await landedFilesRun({
    source: 'inventory',
    runId: options.runId,
    runDate: options.runDate,
    lake: options.lake,
    folder: definition.folder,
    ...(definition.format ? { format: definition.format } : {}),
    ...(definition.delimiter ? { delimiter: definition.delimiter } : {}),
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    ...(options.log ? { log: options.log } : {}),
    mapRecords: (records) => {
      const problems: ReasonCounts = {};
      let quantitySum = 0;
      const lines = records.map((record) => {
        const mapped = mapInventoryRow(definition, options.shopTimeZone, record);
        for (const p of mapped.problems) problems[p] = (problems[p] ?? 0) + 1;
        if (typeof mapped.row.on_hand === 'number') quantitySum += mapped.row.on_hand;
        return JSON.stringify(mapped.row);
      });
      return { lines, problems, quantitySum };
    },
  });
  const output: IngestInventoryOutput = {
    filesFound: run.filesFound,
    filesIngested: run.parts.length,
    filesRejected: run.filesRejected,
    rejected: run.rejected,
    records: run.parts.reduce((s, p) => s + p.manifest.records, 0),
    batches: run.parts.map((p) => p.ref),
  };
  options.log?.(
    `inventory: ${output.filesFound} file(s) in ${definition.folder}, ${output.filesIngested} ingested, ${output.filesRejected} rejected, ${output.records} row(s)`,
  );
  return output;
}
