import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable } from '../../src/lib/delta';
import { allTypes, allTypesRows as rows, tempLake } from './helpers';

describe('Delta round trip', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
  });
  afterEach(async () => ctx.cleanup());

  it('writes and reads back every type, including nulls', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'silver/all_types');
    expect(await table.version()).toBe(-1);
    const result = await table.write(rows, { schema: allTypes, mode: 'append' });
    expect(result).toEqual({ version: 0, skipped: false, filesAdded: 1, filesRemoved: 0, rowsWritten: 3 });
    expect(await table.version()).toBe(0);
    expect(await table.readAll()).toEqual(rows);
    const snap = await table.snapshot();
    expect(snap.schema).toEqual(allTypes);
    expect(snap.files).toHaveLength(1);
    expect(snap.files[0]?.numRecords).toBe(3);
  });

  it('writes data files an independent Parquet reader (DuckDB) reads with the standard logical types', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'silver/all_types');
    await table.write(rows, { schema: allTypes, mode: 'append' });
    const file = path.join(ctx.root, 'silver/all_types', (await table.snapshot()).files[0]!.path);
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    const types = Object.fromEntries(described.getRowObjectsJson().map((r) => [r['column_name'] as string, r['column_type'] as string]));
    expect(types).toEqual({
      s: 'VARCHAR',
      l: 'BIGINT',
      i: 'INTEGER',
      d: 'DOUBLE',
      b: 'BOOLEAN',
      dt: 'DATE',
      ts: 'TIMESTAMP WITH TIME ZONE',
      ns: 'VARCHAR',
    });
    const values = await connection.runAndReadAll(
      `SELECT s, l, i, dt::VARCHAR AS dt, epoch_ms(ts) AS ts_ms FROM read_parquet('${file}') ORDER BY l`,
    );
    expect(values.getRowObjectsJson()).toEqual([
      { s: 'bé ü', l: '-42', i: 2147483647, dt: '1969-12-31', ts_ms: '0' },
      { s: '', l: '0', i: null, dt: null, ts_ms: null },
      { s: 'a', l: '9007199254740991', i: -2147483648, dt: '2011-01-04', ts_ms: String(Date.parse('2011-01-04T10:11:12.345Z')) },
    ]);
    connection.closeSync();
  });
});

describe('reading from a loaded state', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
  });
  afterEach(async () => ctx.cleanup());

  const schema = {
    fields: [
      { name: 'month', type: 'string' as const, nullable: false },
      { name: 'n', type: 'long' as const, nullable: false },
    ],
  };

  it('reads every partition of one version from a single log replay, and time-travels with an older state', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'silver/months');
    await table.write(
      [
        { month: '2011-01', n: 1 },
        { month: '2011-02', n: 2 },
      ],
      { schema, partitionBy: ['month'], mode: 'append' },
    );
    await table.write([{ month: '2011-03', n: 3 }], { schema, partitionBy: ['month'], mode: 'append' });
    const old = await table.state({ version: 0 });
    const latest = await table.state();

    const reads = jest.spyOn(ctx.lake, 'read');
    const lists = jest.spyOn(ctx.lake, 'list');
    const rowsOf = async (state: typeof latest, month: string) => table.readAll({ state, partitionFilter: (pv) => pv.month === month });
    expect(await rowsOf(latest, '2011-01')).toEqual([{ month: '2011-01', n: 1 }]);
    expect(await rowsOf(latest, '2011-03')).toEqual([{ month: '2011-03', n: 3 }]);
    expect(await rowsOf(old, '2011-03')).toEqual([]);
    expect(await rowsOf(old, '2011-02')).toEqual([{ month: '2011-02', n: 2 }]);
    expect(lists).not.toHaveBeenCalled();
    expect(reads.mock.calls.map(([p]) => p).filter((p) => p.includes('_delta_log'))).toEqual([]);
    expect(reads).toHaveBeenCalledTimes(3);

    await expect(table.readAll({ state: old, version: 1 })).rejects.toThrow(/asked for version 1 with a state of version 0/);
  });
});
