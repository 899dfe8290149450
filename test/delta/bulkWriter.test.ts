import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable } from '../../src/lib/delta';
import { encodeDataFile } from '../../src/lib/delta/dataFile';
import type { DeltaRow, DeltaSchema } from '../../src/lib/delta/types';
import { ValidationError } from '../../src/lib/errors';
import { allTypes as baseTypes, allTypesRows as baseRows, columnsOf, readLogLines, tempLake } from './helpers';

const schema: DeltaSchema = { fields: [...baseTypes.fields, { name: 'part', type: 'string', nullable: false }] };

const rows: DeltaRow[] = [
  ...baseRows,
  { s: '𝄞 clef', l: -9007199254740991, i: 0, d: 0, b: true, dt: '2024-02-29', ts: '1969-12-31T23:59:59.999Z', ns: 'x' },
].map((r) => ({ ...r, part: 'p1' }));

describe('Bulk Delta writes from encoded columns (DeltaTable.openWriter + encodeDataFile)', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
  });
  afterEach(async () => ctx.cleanup());

  it('reads back every type exactly, with the same add.stats as a row write', async () => {
    const bulk = DeltaTable.forPath(ctx.lake, 'silver/bulk');
    const writer = await bulk.openWriter({ schema, partitionBy: ['part'], mode: 'append' });
    expect(writer.skipped).toBe(false);
    expect(writer.dataFields.map((f) => f.name)).toEqual(['s', 'l', 'i', 'd', 'b', 'dt', 'ts', 'ns']);
    await writer.addFile({ part: 'p1' }, encodeDataFile(writer.dataFields, columnsOf([...writer.dataFields], rows), rows.length));
    expect(await writer.commit()).toEqual({ version: 0, skipped: false, filesAdded: 1, filesRemoved: 0, rowsWritten: 4 });
    expect(await bulk.readAll()).toEqual(rows);

    const byRows = DeltaTable.forPath(ctx.lake, 'silver/rows');
    await byRows.write(rows, { schema, partitionBy: ['part'], mode: 'append' });
    const statsOf = async (table: string) => (await readLogLines(ctx.root, table, 0)).find((a) => a.add)?.add?.stats ?? '';
    expect(JSON.parse(await statsOf('silver/bulk'))).toEqual(JSON.parse(await statsOf('silver/rows')));
  });

  it('writes files DuckDB reads with the standard logical types, text given as a dictionary included', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'silver/bulk');
    const writer = await table.openWriter({ schema, partitionBy: ['part'], mode: 'append' });
    const columns = columnsOf([...writer.dataFields], rows);
    // ns as dictionary indexes, -1 for null.
    columns[7] = { dictionary: ['x'], indexes: Int32Array.from([0, -1, -1, 0]) };
    await writer.addFile({ part: 'p1' }, encodeDataFile(writer.dataFields, columns, rows.length));
    await writer.commit();
    expect((await table.readAll()).map((r) => r.ns)).toEqual(['x', null, null, 'x']);

    const file = path.join(ctx.root, 'silver/bulk', (await table.snapshot()).files[0]!.path);
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}', hive_partitioning = false)`);
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
      `SELECT s, l, dt::VARCHAR AS dt, epoch_ms(ts) AS ts_ms FROM read_parquet('${file}', hive_partitioning = false) ORDER BY l`,
    );
    expect(values.getRowObjectsJson()).toEqual([
      { s: '𝄞 clef', l: '-9007199254740991', dt: '2024-02-29', ts_ms: '-1' },
      { s: 'bé ü', l: '-42', dt: '1969-12-31', ts_ms: '0' },
      { s: '', l: '0', dt: null, ts_ms: null },
      { s: 'a', l: '9007199254740991', dt: '2011-01-04', ts_ms: String(Date.parse('2011-01-04T10:11:12.345Z')) },
    ]);
    connection.closeSync();
  });

  it('keeps far-future timestamps, writes lone surrogates as U+FFFD without shifting the next values, and names a non-text value', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'silver/bulk');
    const writer = await table.openWriter({ schema, partitionBy: ['part'], mode: 'append' });
    const edge: DeltaRow[] = [
      // A high half at the end of one value and a low half at the start of the next must not join.
      { ...rows[0]!, s: 'cut\ud834', ts: '9999-12-31T23:59:59.999Z' },
      { ...rows[0]!, s: '\udd1e after', ts: null },
      { ...rows[0]!, s: 'bé next', ts: '2011-01-04T10:11:12.345Z' },
    ];
    await writer.addFile({ part: 'p1' }, encodeDataFile(writer.dataFields, columnsOf([...writer.dataFields], edge), edge.length));
    await writer.commit();
    const back = await table.readAll();
    expect(back.map((r) => r.s)).toEqual(['cut\ufffd', '\ufffd after', 'bé next']);
    expect(back.map((r) => r.ts)).toEqual(['9999-12-31T23:59:59.999Z', null, '2011-01-04T10:11:12.345Z']);

    const columns = columnsOf([...writer.dataFields], rows);
    columns[0] = ['a', 7, 'c', 'd'];
    expect(() => encodeDataFile(writer.dataFields, columns, rows.length)).toThrow(/column "s": 7 is not a string value/);
    const longs = columnsOf([...writer.dataFields], rows);
    longs[1] = [1, 2n, 3, 4];
    expect(() => encodeDataFile(writer.dataFields, longs, rows.length)).toThrow(ValidationError);
    // The file must hold what its stats say: a fraction or a wrapped value is refused, not rounded.
    longs[1] = [1, 2.5, 3, 4];
    expect(() => encodeDataFile(writer.dataFields, longs, rows.length)).toThrow(/column "l": 2\.5 is not a safe long value/);
    const ints = columnsOf([...writer.dataFields], rows);
    ints[2] = [1, 2, 0.5, 4];
    expect(() => encodeDataFile(writer.dataFields, ints, rows.length)).toThrow(
      /column "i": 0\.5 is not a whole number in the integer range/,
    );
    ints[2] = [1, 2, 2 ** 31, 4];
    expect(() => encodeDataFile(writer.dataFields, ints, rows.length)).toThrow(/column "i": 2147483648 is not a whole number/);
  });

  it('skips a write whose transaction is committed, and abort() removes the files it stored', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'silver/bulk');
    const txn = { appId: 'silver:run-1:bulk', version: 0 };
    const first = await table.openWriter({ schema, partitionBy: ['part'], mode: 'append', transaction: txn });
    await first.addFile({ part: 'p1' }, encodeDataFile(first.dataFields, columnsOf([...first.dataFields], rows), rows.length));
    await first.commit();
    await expect(first.commit()).rejects.toThrow(ValidationError);
    // A later step failing makes the caller abort every writer: committed files must stay.
    await first.abort();
    expect(await table.readAll()).toHaveLength(rows.length);

    const again = await table.openWriter({ schema, partitionBy: ['part'], mode: 'append', transaction: txn });
    expect(again.skipped).toBe(true);
    await again.addFile({ part: 'p1' }, encodeDataFile(first.dataFields, columnsOf([...first.dataFields], rows), rows.length));
    expect(await again.commit()).toMatchObject({ version: 0, skipped: true, rowsWritten: 0 });
    expect(await table.readAll()).toHaveLength(rows.length);

    const dropped = await table.openWriter({ schema, partitionBy: ['part'], mode: 'append' });
    await dropped.addFile({ part: 'p2' }, encodeDataFile(dropped.dataFields, columnsOf([...dropped.dataFields], rows), rows.length));
    await dropped.abort();
    await expect(
      dropped.addFile({ part: 'p2' }, encodeDataFile(dropped.dataFields, columnsOf([...dropped.dataFields], rows), rows.length)),
    ).rejects.toThrow(/already committed or aborted/);
    await expect(fs.readdir(path.join(ctx.root, 'silver/bulk/part=p2'))).resolves.toEqual([]);
    expect(await table.version()).toBe(0);
  });

  it('refuses columns of the wrong length and files without their partition value', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'silver/bulk');
    const writer = await table.openWriter({ schema, partitionBy: ['part'], mode: 'append' });
    const columns = columnsOf([...writer.dataFields], rows);
    expect(() => encodeDataFile(writer.dataFields, columns, rows.length + 1)).toThrow(/column s has 4 values, expected 5/);
    await expect(writer.addFile({}, encodeDataFile(writer.dataFields, columns, rows.length))).rejects.toThrow(
      /lacks partition column "part"/,
    );
  });
});
