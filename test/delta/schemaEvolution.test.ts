/**
 * Additive schema evolution (schemaMode 'merge'): a table written without a column gains it as
 * Spark's mergeSchema does (one metaData action, the protocol untouched), rows written before read
 * the column as null, and the commit is checked against what Spark itself wrote in the golden tables.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaConcurrentModificationError, DeltaSchemaMismatchError, DeltaTable, checkpointInterval } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { DeltaAction } from '../../src/lib/delta/log';
import type { DeltaSchema } from '../../src/lib/delta/types';
import { DeltaUnsupportedFeatureError } from '../../src/lib/errors';
import type { LakeOperationOptions, LakeStore } from '../../src/lib/lake/lakeStore';
import { encodeDataFile } from '../../src/lib/delta/dataFile';
import { columnsOf, readLogLines, tempLake } from './helpers';

const oldSchema: DeltaSchema = {
  fields: [
    { name: 'run_id', type: 'string', nullable: false },
    { name: 'sku', type: 'string', nullable: false },
    { name: 'point', type: 'double', nullable: false },
  ],
};
const newSchema: DeltaSchema = {
  fields: [
    { name: 'run_id', type: 'string', nullable: false },
    { name: 'sku', type: 'string', nullable: false },
    { name: 'point', type: 'double', nullable: false },
    { name: 'expected', type: 'double', nullable: true },
  ],
};
const merge = { schema: newSchema, mode: 'append' as const, schemaMode: 'merge' as const };

const golden = path.resolve(__dirname, '../../../shared/data/delta_golden');
const goldenPresent = existsSync(golden);

function metaDataOf(actions: DeltaAction[]): Record<string, unknown> | undefined {
  return actions.find((a) => a.metaData)?.metaData as Record<string, unknown> | undefined;
}

/** A lake whose first log put lets a rival commit first: a deterministic race on one version. */
function racingLake(inner: LakeStore, rival: (lake: LakeStore) => Promise<unknown>): LakeStore {
  let raced = false;
  const lake: LakeStore = Object.create(inner) as LakeStore;
  lake.putIfAbsent = async (p: string, data: Uint8Array, options?: LakeOperationOptions) => {
    if (!raced && p.includes('_delta_log/')) {
      raced = true;
      await rival(inner);
    }
    return inner.putIfAbsent(p, data, options);
  };
  return lake;
}

describe('Delta schema evolution (schemaMode merge)', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
    await DeltaTable.forPath(ctx.lake, 'gold/forecasts').write([{ run_id: 'old', sku: 'A', point: 1.5 }], {
      schema: oldSchema,
      partitionBy: ['run_id'],
      mode: 'append',
    });
  });
  afterEach(async () => ctx.cleanup());

  it('adds a nullable column to a table written without it: old rows read null, the new column is in the schema', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'gold/forecasts');
    const result = await table.write([{ run_id: 'new', sku: 'A', point: 2, expected: 2.75 }], merge);
    expect(result).toMatchObject({ version: 1, skipped: false, rowsWritten: 1 });
    const rows = await table.readAll();
    expect(rows.sort((a, b) => String(a.run_id).localeCompare(String(b.run_id)))).toEqual([
      { run_id: 'new', sku: 'A', point: 2, expected: 2.75 },
      { run_id: 'old', sku: 'A', point: 1.5, expected: null },
    ]);
    expect((await table.snapshot()).schema).toEqual({ fields: [...oldSchema.fields, newSchema.fields[3]] });
    // Time travel still reads the old version with its own schema.
    expect(await table.readAll({ version: 0 })).toEqual([{ run_id: 'old', sku: 'A', point: 1.5 }]);
    // A plain write of the new schema now matches; a second merge adds nothing.
    await table.write([{ run_id: 'new', sku: 'B', point: 0, expected: null }], { schema: newSchema, mode: 'append' });
    await table.write([{ run_id: 'new', sku: 'C', point: 0, expected: 0.5 }], merge);
    expect(metaDataOf(await readLogLines(ctx.root, 'gold/forecasts', 3))).toBeUndefined();
  });

  it("the evolving commit's metaData is the table's with the field appended, the protocol untouched (as Delta's protocol says)", async () => {
    await DeltaTable.forPath(ctx.lake, 'gold/forecasts').write([{ run_id: 'new', sku: 'A', point: 2, expected: 2.75 }], merge);
    const created = metaDataOf(await readLogLines(ctx.root, 'gold/forecasts', 0)) as Record<string, unknown>;
    const commit = await readLogLines(ctx.root, 'gold/forecasts', 1);
    const evolved = metaDataOf(commit) as Record<string, unknown>;
    expect(commit.some((a) => a.protocol)).toBe(false);
    expect(Object.keys(commit[0] ?? {})).toEqual(['commitInfo']);
    // Same table: id, format, partitioning, configuration and creation time kept; only the schema changes.
    const { schemaString: oldString, ...createdRest } = created;
    const { schemaString: newString, ...evolvedRest } = evolved;
    expect(evolvedRest).toEqual(createdRest);
    const oldStruct = JSON.parse(String(oldString)) as { type: string; fields: unknown[] };
    const newStruct = JSON.parse(String(newString)) as { type: string; fields: unknown[] };
    expect(newStruct).toEqual({
      type: 'struct',
      fields: [...oldStruct.fields, { name: 'expected', type: 'double', nullable: true, metadata: {} }],
    });
  });

  (goldenPresent ? it : it.skip)(
    'the metaData has the shape Spark wrote for its own mergeSchema append (golden log-replay-latest-metadata-protocol, version 1)',
    async () => {
      const spark = (
        await fs.readFile(path.join(golden, 'log-replay-latest-metadata-protocol/_delta_log/00000000000000000001.json'), 'utf8')
      )
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as DeltaAction);
      await DeltaTable.forPath(ctx.lake, 'gold/forecasts').write([{ run_id: 'new', sku: 'A', point: 2, expected: 1 }], merge);
      const ours = await readLogLines(ctx.root, 'gold/forecasts', 1);
      // Spark's commit: commitInfo, metaData (no protocol), adds; ours has the same actions and metaData keys.
      expect(ours.map((a) => Object.keys(a)[0])).toEqual(spark.map((a) => Object.keys(a)[0]).slice(0, ours.length));
      expect(Object.keys(metaDataOf(ours) ?? {}).sort()).toEqual(Object.keys(metaDataOf(spark) ?? {}).sort());
      const sparkField = (JSON.parse(String(metaDataOf(spark)?.schemaString)) as { fields: Array<Record<string, unknown>> }).fields[1];
      const ourField = (JSON.parse(String(metaDataOf(ours)?.schemaString)) as { fields: Array<Record<string, unknown>> }).fields[3];
      expect(Object.keys(ourField ?? {})).toEqual(Object.keys(sparkField ?? {}));
      expect(ourField).toMatchObject({ nullable: true, metadata: {} });
    },
  );

  (goldenPresent ? it : it.skip)(
    'evolves a table Spark wrote (golden time-travel-schema-changes-a): its rows read the new column as null',
    async () => {
      await fs.cp(path.join(golden, 'time-travel-schema-changes-a'), path.join(ctx.root, 'spark'), { recursive: true });
      const table = DeltaTable.forPath(ctx.lake, 'spark');
      const before = await table.version();
      await table.write([{ id: 100, note: 'ours' }], {
        schema: {
          fields: [
            { name: 'id', type: 'long', nullable: true },
            { name: 'note', type: 'string', nullable: true },
          ],
        },
        mode: 'append',
        schemaMode: 'merge',
      });
      const rows = await table.readAll();
      expect(rows).toHaveLength(11);
      expect(rows.filter((r) => r.note === null).map((r) => r.id)).toEqual(expect.arrayContaining([0, 9]));
      expect(rows.find((r) => r.id === 100)).toEqual({ id: 100, note: 'ours' });
      expect(await table.version()).toBe(before + 1);
    },
  );

  it('refuses a not-null new column, a case clash and a retyped column, naming the column; nothing is committed', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'gold/forecasts');
    const notNull = { fields: [...oldSchema.fields, { name: 'expected', type: 'double' as const, nullable: false }] };
    await expect(table.write([{ run_id: 'x', sku: 'A', point: 1, expected: 1 }], { ...merge, schema: notNull })).rejects.toThrow(
      /column "expected": a column added to an existing table must be nullable/,
    );
    const clash = { fields: [...oldSchema.fields, { name: 'SKU', type: 'string' as const, nullable: true }] };
    await expect(table.write([{ run_id: 'x', sku: 'A', point: 1, SKU: 'a' }], { ...merge, schema: clash })).rejects.toThrow(
      /column "SKU": differs only by case/,
    );
    const retyped = { fields: newSchema.fields.map((f) => (f.name === 'point' ? { ...f, type: 'long' as const } : f)) };
    await expect(table.write([{ run_id: 'x', sku: 'A', point: 1, expected: 1 }], { ...merge, schema: retyped })).rejects.toThrow(
      DeltaSchemaMismatchError,
    );
    // Without schemaMode the extra column is still refused, as before.
    await expect(table.write([{ run_id: 'x', sku: 'A', point: 1, expected: 1 }], { schema: newSchema, mode: 'append' })).rejects.toThrow(
      /column "expected": not in the table schema/,
    );
    expect(await table.version()).toBe(0);
  });

  it('refuses to add a column to a column-mapping table by name of the feature', async () => {
    const log = path.join(ctx.root, 'gold/forecasts/_delta_log/00000000000000000000.json');
    const lines = (await fs.readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DeltaAction);
    for (const a of lines) if (a.metaData) a.metaData.configuration = { 'delta.columnMapping.mode': 'name' };
    for (const a of lines) if (a.protocol) a.protocol = { minReaderVersion: 2, minWriterVersion: 2 };
    await fs.writeFile(log, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const attempt = DeltaTable.forPath(ctx.lake, 'gold/forecasts').write([{ run_id: 'x', sku: 'A', point: 1, expected: 1 }], merge);
    await expect(attempt).rejects.toThrow(DeltaUnsupportedFeatureError);
    await expect(attempt).rejects.toThrow(/columnMapping/);
  });

  it('two batches evolving the table at once both land: the loser retries without a metaData of its own', async () => {
    const lake = racingLake(ctx.lake, (inner) =>
      DeltaTable.forPath(inner, 'gold/forecasts').write([{ run_id: 'new', sku: 'RIVAL', point: 1, expected: 1.25 }], merge),
    );
    const result = await DeltaTable.forPath(lake, 'gold/forecasts').write([{ run_id: 'new', sku: 'MINE', point: 2, expected: 2.5 }], merge);
    expect(result).toMatchObject({ version: 2, skipped: false });
    expect(metaDataOf(await readLogLines(ctx.root, 'gold/forecasts', 1))).toBeDefined();
    expect(metaDataOf(await readLogLines(ctx.root, 'gold/forecasts', 2))).toBeUndefined();
    const rows = await DeltaTable.forPath(ctx.lake, 'gold/forecasts').readAll();
    expect(rows.map((r) => `${String(r.sku)}:${String(r.expected)}`).sort()).toEqual(['A:null', 'MINE:2.5', 'RIVAL:1.25']);
  });

  it('a rival adding a different column still conflicts (metadata changed)', async () => {
    const other = { fields: [...oldSchema.fields, { name: 'other', type: 'string' as const, nullable: true }] };
    const lake = racingLake(ctx.lake, (inner) =>
      DeltaTable.forPath(inner, 'gold/forecasts').write([{ run_id: 'new', sku: 'RIVAL', point: 1, other: 'x' }], {
        ...merge,
        schema: other,
      }),
    );
    const attempt = DeltaTable.forPath(lake, 'gold/forecasts').write([{ run_id: 'new', sku: 'MINE', point: 2, expected: 2.5 }], merge);
    await expect(attempt).rejects.toThrow(DeltaConcurrentModificationError);
  });

  it('the checkpoint after an evolution carries the new schema: read through it alone, old rows still read null', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'gold/forecasts');
    for (let i = 1; i <= checkpointInterval; i++) {
      await table.write([{ run_id: 'new', sku: `S${i}`, point: i, expected: i + 0.5 }], merge);
    }
    const log = path.join(ctx.root, 'gold/forecasts/_delta_log');
    await fs.stat(path.join(log, `${String(checkpointInterval).padStart(20, '0')}.checkpoint.parquet`));
    for (let v = 0; v <= checkpointInterval; v++) await fs.rm(path.join(log, `${String(v).padStart(20, '0')}.json`));
    const fresh = DeltaTable.forPath(FileSystemLake.fromDirectory(ctx.root), 'gold/forecasts');
    expect((await fresh.snapshot()).schema).toEqual({ fields: [...oldSchema.fields, newSchema.fields[3]] });
    const rows = await fresh.readAll();
    expect(rows).toHaveLength(checkpointInterval + 1);
    expect(rows.find((r) => r.sku === 'A')).toEqual({ run_id: 'old', sku: 'A', point: 1.5, expected: null });
    expect(rows.find((r) => r.sku === 'S3')).toEqual({ run_id: 'new', sku: 'S3', point: 3, expected: 3.5 });
  });

  it('the bulk file writer (openWriter) evolves the same way: its data fields include the new column', async () => {
    const writer = await DeltaTable.forPath(ctx.lake, 'gold/forecasts').openWriter(merge);
    expect(writer.dataFields.map((f) => f.name)).toEqual(['sku', 'point', 'expected']);
    const rows = [{ run_id: 'bulk', sku: 'B', point: 2, expected: 2.25 }];
    await writer.addFile({ run_id: 'bulk' }, encodeDataFile(writer.dataFields, columnsOf([...writer.dataFields], rows), 1));
    expect(await writer.commit()).toMatchObject({ version: 1, skipped: false });
    expect(metaDataOf(await readLogLines(ctx.root, 'gold/forecasts', 1))).toBeDefined();
    const read = await DeltaTable.forPath(ctx.lake, 'gold/forecasts').readAll();
    expect(read.map((r) => `${String(r.sku)}:${String(r.expected)}`).sort()).toEqual(['A:null', 'B:2.25']);
  });

  it('creates a new table with the full schema when none exists (merge is a no-op there)', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'fresh');
    await table.write([{ run_id: 'r', sku: 'A', point: 1, expected: 1.5 }], { ...merge, partitionBy: ['run_id'] });
    expect((await table.snapshot()).schema).toEqual(newSchema);
  });
});
