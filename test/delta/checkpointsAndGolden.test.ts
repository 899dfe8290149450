import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaProtocolError, DeltaTable, checkpointInterval, loadTableState } from '../../src/lib/delta';
import type { DeltaRow, DeltaSchema } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { tempLake } from './helpers';

const schema: DeltaSchema = {
  fields: [
    { name: 'sku', type: 'string', nullable: false },
    { name: 'units', type: 'long', nullable: false },
    { name: 'month', type: 'string', nullable: false },
  ],
};
const sortRows = (rows: DeltaRow[]): DeltaRow[] =>
  [...rows].sort((a, b) => `${String(a.sku)}${String(a.month)}`.localeCompare(`${String(b.sku)}${String(b.month)}`));

async function buildHistory(table: DeltaTable, versions: number): Promise<void> {
  for (let v = 0; v < versions; v++) {
    const month = `2011-${String((v % 3) + 1).padStart(2, '0')}`;
    await table.write([{ sku: `S${v}`, units: v, month }], {
      schema,
      partitionBy: ['month'],
      mode: v % 4 === 3 ? 'overwritePartitions' : 'append',
      transaction: { appId: 'builder', version: v },
    });
  }
}

async function deleteCommits(root: string, table: string, upTo: number): Promise<void> {
  for (let v = 0; v <= upTo; v++) await fs.rm(path.join(root, table, '_delta_log', `${String(v).padStart(20, '0')}.json`));
}

describe('Delta checkpoints', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
  });
  afterEach(async () => ctx.cleanup());

  it('writes a Parquet checkpoint every 10 versions and reads through it when older commits are gone', async () => {
    const table = DeltaTable.forPath(ctx.lake, 't');
    await buildHistory(table, 12);
    const expected = sortRows(await table.readAll());
    const expectedState = await table.state();
    const log = path.join(ctx.root, 't', '_delta_log');
    expect(JSON.parse(await fs.readFile(path.join(log, '_last_checkpoint'), 'utf8'))).toMatchObject({ version: checkpointInterval });
    await fs.stat(path.join(log, '00000000000000000010.checkpoint.parquet'));

    await deleteCommits(ctx.root, 't', checkpointInterval); // only the checkpoint can explain versions 0..10 now
    const fresh = DeltaTable.forPath(FileSystemLake.fromDirectory(ctx.root), 't');
    expect(sortRows(await fresh.readAll())).toEqual(expected);
    const state = await fresh.state();
    expect([...state.files.keys()].sort()).toEqual([...expectedState.files.keys()].sort());
    expect(state.appTransactions.get('builder')).toBe(11);
    expect(state.metadata?.partitionColumns).toEqual(['month']);
    expect(state.tombstones.size).toBe(expectedState.tombstones.size);
    // Time travel before the checkpoint is impossible without the commits: a clear error.
    await expect(fresh.readAll({ version: 5 })).rejects.toThrow(/00000000000000000000\.json is missing/);
  });

  it('reads a Spark-layout checkpoint written by an independent Parquet writer (DuckDB)', async () => {
    const table = DeltaTable.forPath(ctx.lake, 't');
    await buildHistory(table, 4);
    const expected = sortRows(await table.readAll());
    const state = await table.state();
    const quote = (s: string | null | undefined): string => (s === null || s === undefined ? 'NULL' : `'${s.replace(/'/g, "''")}'`);
    const selects: string[] = [];
    const nulls = {
      txn: 'NULL::STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
      add: 'NULL::STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, tags MAP(VARCHAR, VARCHAR), stats VARCHAR)',
      remove:
        'NULL::STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)',
      metaData:
        'NULL::STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
      protocol: 'NULL::STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)',
    };
    const row = (column: keyof typeof nulls, value: string): string =>
      `SELECT ${(Object.keys(nulls) as Array<keyof typeof nulls>).map((c) => (c === column ? `${value}::${nulls[c].slice(6)} AS ${c}` : `${nulls[c]} AS ${c}`)).join(', ')}`;
    const m = state.metadata!;
    selects.push(row('protocol', '{minReaderVersion: 1, minWriterVersion: 2}'));
    selects.push(
      row(
        'metaData',
        `{id: ${quote(m.id)}, name: NULL, description: NULL, format: {provider: 'parquet', options: MAP {}}, schemaString: ${quote(m.schemaString)}, partitionColumns: ['month'], configuration: MAP {}, createdTime: ${m.createdTime}}`,
      ),
    );
    selects.push(row('txn', `{appId: 'builder', version: 3, lastUpdated: NULL}`));
    for (const add of state.files.values()) {
      selects.push(
        row(
          'add',
          `{path: ${quote(add.path)}, partitionValues: MAP {'month': ${quote(add.partitionValues.month)}}, size: ${add.size}, modificationTime: ${add.modificationTime}, dataChange: false, tags: NULL, stats: ${quote(add.stats)}}`,
        ),
      );
    }
    for (const remove of state.tombstones.values()) {
      selects.push(
        row(
          'remove',
          `{path: ${quote(remove.path)}, deletionTimestamp: ${remove.deletionTimestamp}, dataChange: false, extendedFileMetadata: true, partitionValues: MAP {'month': ${quote(remove.partitionValues?.month)}}, size: ${remove.size}}`,
        ),
      );
    }
    const checkpoint = path.join(ctx.root, 't', '_delta_log', '00000000000000000003.checkpoint.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    await connection.run(
      `COPY (${selects.join(' UNION ALL ')}) TO '${checkpoint.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION snappy)`,
    );
    connection.closeSync();
    await fs.writeFile(path.join(ctx.root, 't', '_delta_log', '_last_checkpoint'), JSON.stringify({ version: 3, size: selects.length }));
    await deleteCommits(ctx.root, 't', 3);

    const fresh = DeltaTable.forPath(FileSystemLake.fromDirectory(ctx.root), 't');
    expect(sortRows(await fresh.readAll())).toEqual(expected);
    const freshState = await fresh.state();
    expect(freshState.appTransactions.get('builder')).toBe(3);
    expect(freshState.files.size).toBe(state.files.size);
    expect(freshState.tombstones.size).toBe(state.tombstones.size);
    // And the next write goes on from version 4.
    expect((await fresh.write([{ sku: 'N', units: 1, month: '2011-09' }], { schema, mode: 'append' })).version).toBe(4);
  });
});

describe('Delta log replay on delta-rs test tables (test/fixtures/delta, see README there)', () => {
  const fixtures = FileSystemLake.fromDirectory(path.resolve(__dirname, '../fixtures/delta'));

  it('delta-0.8.0-null-partition: a null partition value and its __HIVE_DEFAULT_PARTITION__ folder', async () => {
    const table = DeltaTable.forPath(fixtures, 'delta-0.8.0-null-partition');
    const snap = await table.snapshot();
    expect(snap.version).toBe(0);
    expect(snap.partitionColumns).toEqual(['k']);
    expect(snap.schema.fields).toEqual([
      { name: 'k', type: 'string', nullable: true },
      { name: 'v', type: 'long', nullable: true },
    ]);
    expect(snap.files.map((f) => [f.path, f.partitionValues])).toEqual([
      ['k=A/part-00000-b1f1dbbb-70bc-4970-893f-9bb772bf246e.c000.snappy.parquet', { k: 'A' }],
      ['k=__HIVE_DEFAULT_PARTITION__/part-00001-8474ac85-360b-4f58-b3ea-23990c71b932.c000.snappy.parquet', { k: null }],
    ]);
    expect(snap.files.map((f) => f.numRecords)).toEqual([undefined, undefined]); // no stats in this log
  });

  it('delta-0.8.0-numeric-partition: two partition columns with numeric values', async () => {
    const snap = await DeltaTable.forPath(fixtures, 'delta-0.8.0-numeric-partition').snapshot();
    expect(snap.partitionColumns).toEqual(['x', 'y']);
    expect(snap.files.map((f) => [f.path, f.partitionValues])).toEqual([
      ['x=10/y=10.0/part-00015-24eb4845-2d25-4448-b3bb-5ed7f12635ab.c000.snappy.parquet', { x: '10', y: '10.0' }],
      ['x=9/y=9.9/part-00007-3c50fba1-4264-446c-9c67-d8e24a1ccf83.c000.snappy.parquet', { x: '9', y: '9.9' }],
    ]);
    const pruned = await DeltaTable.forPath(fixtures, 'delta-0.8.0-numeric-partition').readAll({
      partitionFilter: () => false, // pruning happens before any Parquet file is opened (none exist here)
    });
    expect(pruned).toEqual([]);
  });

  it('cdf-table-non-partitioned: updates, a delete and an append replay to 11 live files', async () => {
    const expectLive = async (version: number, count: number, names: string[]): Promise<void> => {
      const state = await loadTableState(fixtures, 'cdf-table-non-partitioned', { version });
      expect(state.files.size).toBe(count);
      const liveNames = [...state.files.values()]
        .map((a) => (JSON.parse(a.stats ?? '{}') as { minValues: { name: string } }).minValues.name)
        .sort();
      expect(liveNames).toEqual([...names].sort());
      return undefined;
    };
    const original = ['Steve', 'Bob', 'Dave', 'Kate', 'Emily', 'Carl', 'Dennis', 'Claire', 'Ada', 'Borb'];
    await expectLive(0, 10, original);
    await expectLive(1, 10, original); // UPDATE ids 2-4 rewrote 3 files
    await expectLive(2, 10, original); // UPDATE ids 5-7 rewrote 3 more
    await expectLive(
      3,
      9,
      original.filter((n) => n !== 'Dennis'),
    ); // DELETE name = Dennis
    await expectLive(4, 11, [...original.filter((n) => n !== 'Dennis'), 'Alex', 'Alan']); // append 2 rows
    const state = await loadTableState(fixtures, 'cdf-table-non-partitioned');
    expect(state.version).toBe(4);
    expect(state.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 4 });
    expect(state.metadata?.configuration).toEqual({ 'delta.enableChangeDataFeed': 'true' });
    expect(state.tombstones.size).toBe(7);
    expect(state.tombstones.has('part-00000-3cb5dee7-9ab2-4b6f-bf66-fc2a968c4feb.c000.snappy.parquet')).toBe(true);
    // cdc actions are change-feed files, never part of the table's data.
    expect([...state.files.keys()].some((p) => p.startsWith('_change_data/'))).toBe(false);

    const table = DeltaTable.forPath(fixtures, 'cdf-table-non-partitioned');
    // short (smallint) is read since the interop work (issue 19); it used to be refused.
    expect((await table.snapshot()).schema.fields.find((f) => f.name === 'smallint_field')).toEqual({
      name: 'smallint_field',
      type: 'short',
      nullable: true,
    });
    await expect(table.write([], { schema: { fields: [] }, mode: 'append' })).rejects.toThrow(DeltaProtocolError);
    await expect(table.write([], { schema: { fields: [] }, mode: 'append' })).rejects.toThrow(
      /needs writer version 4; this module writes version 2/,
    );
  });
});
