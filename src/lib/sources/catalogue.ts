/**
 * The optional product catalogue source (setting DEMAND_CATALOGUE_SOURCE): files in a lake folder
 * (CSV, NDJSON, Parquet, optionally gzipped) mapped with the same field specs as orders. It is a
 * snapshot of the current catalogue, read whole at each run (files stay where they are; a later
 * file's row for a SKU replaces an earlier one). When a SKU's entry gives a supplier lead time, the
 * inventory policy uses it for that SKU instead of DEMAND_LEAD_TIME_DAYS.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import { normaliseSku } from '../silver/orderRecord';
import { fieldSpecSchema, fileFormats } from './definition';
import { describe, numberOf, resolve, text } from './fieldMapping';
import { landedFiles } from './files/landedFilesRun';
import { readSourceFile, sourceFileFormatOf } from './files/sourceFile';

export const catalogueSourceSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  kind: z.literal('files'),
  folder: z.string().min(1),
  format: z.enum(fileFormats).optional(),
  delimiter: z.string().length(1).optional(),
  fields: z.strictObject({
    sku: fieldSpecSchema,
    description: fieldSpecSchema.optional(),
    category: fieldSpecSchema.optional(),
    supplier: fieldSpecSchema.optional(),
    leadTimeDays: fieldSpecSchema.optional().describe('supplier lead time in whole days'),
    unitCost: fieldSpecSchema.optional(),
    packSize: fieldSpecSchema.optional(),
    minOrderQuantity: fieldSpecSchema.optional(),
  }),
});
export type CatalogueSourceDefinition = z.infer<typeof catalogueSourceSchema>;

export interface CatalogueEntry {
  sku: string;
  description: string | null;
  category: string | null;
  supplier: string | null;
  leadTimeDays: number | null;
  unitCost: number | null;
  packSize: number | null;
  minOrderQuantity: number | null;
}

export interface Catalogue {
  entries: Map<string, CatalogueEntry>;
  problems: Array<{ file: string; record: number; field: string; detail: string }>;
  files: string[];
}

export function parseCatalogueDefinition(doc: unknown, origin: string): CatalogueSourceDefinition {
  const parsed = catalogueSourceSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.map(String).join('.') || '(root)';
    throw new ValidationError(key, `Catalogue source ${origin}: "${key}": ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const numericFields = ['leadTimeDays', 'unitCost', 'packSize', 'minOrderQuantity'] as const;
const wholeFields = new Set<string>(['leadTimeDays', 'packSize', 'minOrderQuantity']);

export async function readCatalogue(
  lake: LakeStore,
  definition: CatalogueSourceDefinition,
  options: { abortSignal?: AbortSignal } = {},
): Promise<Catalogue> {
  const catalogue: Catalogue = { entries: new Map(), problems: [], files: [] };
  for (const file of await landedFiles(lake, definition.folder.replace(/\/+$/, ''), options)) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    const announced = sourceFileFormatOf(name);
    const format = definition.format ?? announced?.format;
    if (!format) continue;
    const read = await readSourceFile(await lake.read(file, options), format, {
      gzipped: announced?.gzipped ?? false,
      ...(definition.delimiter ? { delimiter: definition.delimiter } : {}),
    });
    if (!read.ok) {
      catalogue.problems.push({ file, record: 0, field: 'file', detail: read.reason });
      continue;
    }
    catalogue.files.push(file);
    read.records.forEach((record, i) => {
      const scope = { record };
      const problem = (field: string, detail: string): void => void catalogue.problems.push({ file, record: i + 1, field, detail });
      const sku = text(resolve(definition.fields.sku, scope).value);
      if (sku === null) return problem('sku', 'required');
      const entry: CatalogueEntry = {
        sku: normaliseSku(sku),
        description: null,
        category: null,
        supplier: null,
        leadTimeDays: null,
        unitCost: null,
        packSize: null,
        minOrderQuantity: null,
      };
      for (const field of ['description', 'category', 'supplier'] as const) {
        const spec = definition.fields[field];
        if (spec) entry[field] = text(resolve(spec, scope).value);
      }
      for (const field of numericFields) {
        const spec = definition.fields[field];
        if (!spec) continue;
        const r = resolve(spec, scope);
        if (r.value === undefined || r.value === null || r.value === '') continue;
        const n = numberOf(r.value);
        if (n === undefined || n < 0 || (wholeFields.has(field) && !Number.isInteger(n)))
          problem(field, `${describe(r.found)}: expected a ${wholeFields.has(field) ? 'whole ' : ''}number >= 0`);
        else entry[field] = n;
      }
      catalogue.entries.set(entry.sku, entry);
    });
  }
  return catalogue;
}

/** A catalogue definition from a file path or its JSON text. */
export async function loadCatalogueSource(ref: string): Promise<CatalogueSourceDefinition> {
  const inline = ref.trimStart().startsWith('{');
  let text: string;
  try {
    text = inline ? ref : await (await import('node:fs/promises')).readFile(ref, 'utf8');
  } catch (err) {
    throw new ValidationError(
      'DEMAND_CATALOGUE_SOURCE',
      `Catalogue source ${JSON.stringify(ref)} is not a readable file: ${(err as Error).message}`,
      { cause: err },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(
      'DEMAND_CATALOGUE_SOURCE',
      `Catalogue source ${inline ? '(inline)' : ref} is not JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseCatalogueDefinition(doc, inline ? '(inline)' : ref);
}
