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
    const types = Object.fromEntries(described.getRowObjectsJson().map((r) => [String(r.column_name), String(r.column_type)]));
    expect(types).toEqual({ s: 'VARCHAR', l: 'BIGINT', i: 'INTEGER', d: 'DOUBLE', b: 'BOOLEAN', dt: 'DATE', ts: 'TIMESTAMP WITH TIME ZONE', ns: 'VARCHAR' });
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
