/**
 * Additive schema evolution (Spark's `mergeSchema`, delta-rs's `schema_mode="merge"`): a write whose
 * schema has every column of the table plus new nullable ones adds those columns. The commit carries
 * a metaData action equal to the table's but for the schemaString, the new fields appended, exactly
 * as Spark writes it (golden table log-replay-latest-metadata-protocol, version 1); the protocol is
 * unchanged. Files written before read the new columns as null.
 */
import { DeltaSchemaMismatchError, DeltaUnsupportedFeatureError } from '../errors';
import type { MetadataAction, TableState } from './log';
import { assertSameSchema, assertValidSchema, fromSchemaString, type SparkStructType } from './schema';
import type { DeltaField, DeltaSchema } from './types';

/**
 * The schema a merging write to an existing table writes: the table's columns in the table's order,
 * then the write's new columns. Table columns must match as in a plain write; new ones must be nullable
 * (rows already in the table have no value) and not clash with a table column by case.
 */
export function mergedSchema(tablePath: string, metadata: MetadataAction, writeSchema: DeltaSchema): DeltaSchema {
  const table = fromSchemaString(tablePath, metadata.schemaString);
  const tableNames = new Set(table.fields.map((f) => f.name));
  assertSameSchema(tablePath, table, { fields: writeSchema.fields.filter((f) => tableNames.has(f.name)) });
  const added = writeSchema.fields.filter((f) => !tableNames.has(f.name));
  if (added.length === 0) return table;
  const mappingMode = metadata.configuration?.['delta.columnMapping.mode'] ?? 'none';
  if (mappingMode !== 'none') {
    throw new DeltaUnsupportedFeatureError(
      tablePath,
      ['columnMapping'],
      `adding column(s) ${added.map((f) => f.name).join(', ')} needs physical names and ids (column mapping mode ${mappingMode}); add them with Spark (ALTER TABLE ADD COLUMNS)`,
    );
  }
  const lower = new Set(table.fields.map((f) => f.name.toLowerCase()));
  for (const field of added) {
    if (lower.has(field.name.toLowerCase())) {
      throw new DeltaSchemaMismatchError(
        tablePath,
        field.name,
        'differs only by case from a table column (Delta names are case-insensitive)',
      );
    }
    if (!field.nullable) {
      throw new DeltaSchemaMismatchError(
        tablePath,
        field.name,
        `a column added to an existing table must be nullable (the table's rows have no ${field.name}); declare it nullable`,
      );
    }
  }
  const merged: DeltaSchema = { fields: [...table.fields, ...added.map((f): DeltaField => ({ ...f }))] };
  assertValidSchema(tablePath, merged, metadata.partitionColumns ?? []);
  return merged;
}

/**
 * The metaData action a commit of `schema` on top of `state` must carry: undefined when the table
 * already has every column (nothing to evolve, or a concurrent writer added the same ones first).
 * The table's schemaString is extended, not rewritten, so field metadata another engine wrote stays.
 */
export function schemaChangeFor(tablePath: string, state: TableState, schema: DeltaSchema): MetadataAction | undefined {
  const metadata = state.metadata as MetadataAction;
  const have = new Set(fromSchemaString(tablePath, metadata.schemaString).fields.map((f) => f.name));
  const added = schema.fields.filter((f) => !have.has(f.name));
  if (added.length === 0) return undefined;
  const struct = JSON.parse(metadata.schemaString) as SparkStructType;
  const fields = [...struct.fields, ...added.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: {} }))];
  return { ...metadata, schemaString: JSON.stringify({ ...struct, fields }) };
}

/**
 * Whether a concurrent metaData change leaves ours valid: same table id, partitioning and
 * configuration, and exactly the schema our write evolves to (two writers adding the same column).
 * Spark refuses any concurrent metaData change; this one is safe because the retry's commit then
 * carries no metaData and its files hold every column of the table.
 */
export function isSameEvolution(tablePath: string, theirs: MetadataAction, read: MetadataAction, schema: DeltaSchema): boolean {
  if (theirs.id !== read.id) return false;
  if (JSON.stringify(theirs.partitionColumns) !== JSON.stringify(read.partitionColumns)) return false;
  if (JSON.stringify(sortedEntries(theirs.configuration)) !== JSON.stringify(sortedEntries(read.configuration))) return false;
  try {
    assertSameSchema(tablePath, fromSchemaString(tablePath, theirs.schemaString), schema);
    return true;
  } catch {
    return false;
  }
}

function sortedEntries(configuration: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(configuration ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
