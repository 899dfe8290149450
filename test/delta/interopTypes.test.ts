/**
 * Round trip of every type the module reads and writes (byte, short, float, binary, decimal(p,s)
 * at the three Parquet widths, microsecond timestamps), checked by our reader and by an
 * independent one (DuckDB's Parquet reader); our writes stay reader 1 / writer 2.
 */
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable } from '../../src/lib/delta';
import { decimalToUnscaled, normalizeDecimal, unscaledToDecimal } from '../../src/lib/delta/decimal';
import { isoToMicros, microsToIso } from '../../src/lib/delta/timestamp';
import type { DeltaRow, DeltaSchema } from '../../src/lib/delta/types';
import { DeltaSchemaMismatchError } from '../../src/lib/errors';
import { readLogLines, tempLake } from './helpers';

const schema: DeltaSchema = {
  fields: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'b', type: 'byte', nullable: true },
    { name: 'sh', type: 'short', nullable: true },
    { name: 'f', type: 'float', nullable: true },
    { name: 'bin', type: 'binary', nullable: true },
    { name: 'd9', type: 'decimal(9,2)', nullable: true },
    { name: 'd18', type: 'decimal(18,6)', nullable: true },
    { name: 'd38', type: 'decimal(38,10)', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'region', type: 'decimal(5,1)', nullable: true },
  ],
};

const rows: DeltaRow[] = [
  {
    id: 1,
    b: -128,
    sh: 32767,
    f: Math.fround(0.1),
    bin: Uint8Array.from([0, 255, 7]),
    d9: '-9999999.99',
    d18: '123456789012.345678',
    d38: '9999999999999999999999999999.9999999999',
    ts: '2011-01-04T10:11:12.345678Z',
    region: '-12.5',
  },
  {
    id: 2,
    b: 127,
    sh: -32768,
    f: 3.5,
    bin: new Uint8Array(0),
    d9: '0.05',
    d18: '-0.000001',
    d38: '-0.0000000001',
    ts: '1969-12-31T23:59:59.999999Z',
    region: '0.0',
  },
  { id: 3, b: null, sh: null, f: null, bin: null, d9: null, d18: null, d38: null, ts: null, region: null },
];

describe('Delta interop types', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
  });
  afterEach(async () => ctx.cleanup());

  it('writes every supported type, partitioned by a decimal, and reads it back exactly, as reader 1 / writer 2', async () => {
    const table = DeltaTable.forPath(ctx.lake, 't');
    await table.write(rows, { schema, mode: 'append', partitionBy: ['region'] });
    const back = (await table.readAll()).sort((a, b) => (a.id as number) - (b.id as number));
    expect(back).toEqual(rows);
    expect((await table.snapshot()).schema).toEqual(schema);
    const log = await readLogLines(ctx.root, 't', 0);
    expect(log.find((a) => a.protocol)?.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(log.flatMap((a) => (a.add ? [a.add.partitionValues['region']] : [])).sort()).toEqual(['-12.5', '0.0', null]);
  });

  it("writes Parquet that DuckDB reads with the same values and Spark's physical decimal layout", async () => {
    const table = DeltaTable.forPath(ctx.lake, 't');
    const unpartitioned: DeltaSchema = { fields: schema.fields.filter((f) => f.name !== 'region') };
    await table.write(
      rows.map(({ region: _r, ...rest }) => rest),
      { schema: unpartitioned, mode: 'append' },
    );
    const file = path.join(ctx.root, 't', (await table.snapshot()).files[0]!.path);
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    const types = Object.fromEntries(described.getRowObjectsJson().map((r) => [r['column_name'] as string, r['column_type'] as string]));
    expect(types).toEqual({
      id: 'INTEGER',
      b: 'TINYINT',
      sh: 'SMALLINT',
      f: 'FLOAT',
      bin: 'BLOB',
      d9: 'DECIMAL(9,2)',
      d18: 'DECIMAL(18,6)',
      d38: 'DECIMAL(38,10)',
      ts: 'TIMESTAMP WITH TIME ZONE',
    });
    const values = await connection.runAndReadAll(
      `SELECT id, b, sh, f::DOUBLE AS f, hex(bin) AS bin, d9::VARCHAR AS d9, d18::VARCHAR AS d18, d38::VARCHAR AS d38, epoch_us(ts)::VARCHAR AS ts FROM read_parquet('${file}') ORDER BY id`,
    );
    expect(values.getRowObjectsJson()).toEqual([
      {
        id: 1,
        b: -128,
        sh: 32767,
        f: Math.fround(0.1),
        bin: '00FF07',
        d9: '-9999999.99',
        d18: '123456789012.345678',
        d38: '9999999999999999999999999999.9999999999',
        ts: '1294135872345678',
      },
      { id: 2, b: 127, sh: -32768, f: 3.5, bin: '', d9: '0.05', d18: '-0.000001', d38: '-0.0000000001', ts: '-1' },
      { id: 3, b: null, sh: null, f: null, bin: null, d9: null, d18: null, d38: null, ts: null },
    ]);
    connection.closeSync();
  });

  it('refuses values the column cannot hold exactly, naming the column', async () => {
    const table = DeltaTable.forPath(ctx.lake, 't');
    const write = (row: Partial<DeltaRow>): Promise<unknown> =>
      table.write([{ ...rows[2], ...row } as DeltaRow], { schema, mode: 'append' });
    await expect(write({ b: 128 })).rejects.toThrow(/column "b": expected a 8-bit integer/);
    await expect(write({ d9: '0.001' })).rejects.toThrow(/column "d9": expected decimal text/); // would round
    await expect(write({ d9: '12345678.00' })).rejects.toThrow(DeltaSchemaMismatchError); // 10 digits in decimal(9,2)
    await expect(write({ f: 0.1 })).rejects.toThrow(/column "f": expected a number that float32 holds exactly/);
    await expect(write({ bin: 'abc' })).rejects.toThrow(/column "bin": expected a Uint8Array/);
  });

  it('decimal text and microsecond timestamps convert exactly', () => {
    expect(decimalToUnscaled('12.5', 2)).toBe(1250n);
    expect(decimalToUnscaled('-1E+3', 1)).toBe(-10000n);
    expect(decimalToUnscaled('3.2E-8', 9)).toBe(32n);
    expect(decimalToUnscaled('0.001', 2)).toBeUndefined();
    expect(unscaledToDecimal(-5n, 3)).toBe('-0.005');
    expect(normalizeDecimal('7', 2)).toBe('7.00');
    expect(microsToIso(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(microsToIso(1000n)).toBe('1970-01-01T00:00:00.001Z');
    expect(isoToMicros('2011-01-04 10:11:12.345678+01:00')).toBe(1294132272345678n);
  });
});
