import { DeltaConcurrentModificationError, DeltaSchemaMismatchError, DeltaTable } from '../../src/lib/delta';
import { encodeDataFile } from '../../src/lib/delta/dataFile';
import { DeltaCommitOutcomeUnknownError } from '../../src/lib/errors';
import type { DeltaRow, DeltaSchema } from '../../src/lib/delta/types';
import type { LakeOperationOptions, LakeStore } from '../../src/lib/lake/lakeStore';
import { columnsOf, tempLake } from './helpers';

const schema: DeltaSchema = {
  fields: [
    { name: 'sku', type: 'string', nullable: false },
    { name: 'units', type: 'long', nullable: false },
    { name: 'day', type: 'date', nullable: true },
    { name: 'month', type: 'string', nullable: false },
  ],
};
const row = (sku: string, units: number, month = '2011-01'): DeltaRow => ({ sku, units, day: `${month}-01`, month });

/**
 * A lake whose first put-if-absent on a log file first lets a rival writer commit (to completion):
 * a deterministic race on the same version.
 */
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

describe('Delta optimistic concurrency', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
    await DeltaTable.forPath(ctx.lake, 't').write([row('A', 1), row('B', 2, '2011-02')], {
      schema,
      partitionBy: ['month'],
      mode: 'append',
    });
  });
  afterEach(async () => ctx.cleanup());

  it('an append that loses the race retries on the next version and keeps both writes', async () => {
    const lake = racingLake(ctx.lake, (inner) => DeltaTable.forPath(inner, 't').write([row('RIVAL', 5)], { schema, mode: 'append' }));
    const result = await DeltaTable.forPath(lake, 't').write([row('MINE', 7)], { schema, mode: 'append' });
    expect(result).toMatchObject({ version: 2, skipped: false });
    const skus = (await DeltaTable.forPath(ctx.lake, 't').readAll()).map((r) => r.sku).sort();
    expect(skus).toEqual(['A', 'B', 'MINE', 'RIVAL']);
  });

  it('overwritePartitions fails clearly when the rival changed the same partition', async () => {
    const lake = racingLake(ctx.lake, (inner) => DeltaTable.forPath(inner, 't').write([row('RIVAL', 5)], { schema, mode: 'append' }));
    const attempt = DeltaTable.forPath(lake, 't').write([row('MINE', 7)], { schema, mode: 'overwritePartitions' });
    await expect(attempt).rejects.toThrow(DeltaConcurrentModificationError);
    await expect(attempt).rejects.toThrow(/Delta table t: concurrent commit at version 1: .*partition month=2011-01/);
    const table = DeltaTable.forPath(ctx.lake, 't');
    expect(await table.version()).toBe(1);
    expect((await table.readAll()).map((r) => r.sku).sort()).toEqual(['A', 'B', 'RIVAL']);
    // The loser's data file was cleaned up: only the 3 committed files remain in the table folder.
    const files: string[] = [];
    for await (const e of ctx.lake.list('t')) if (e.path.endsWith('.parquet')) files.push(e.path);
    expect(files).toHaveLength(3);
  });

  it('overwritePartitions succeeds after a rival touched only other partitions', async () => {
    const lake = racingLake(ctx.lake, (inner) =>
      DeltaTable.forPath(inner, 't').write([row('RIVAL', 5, '2011-02')], { schema, mode: 'append' }),
    );
    const result = await DeltaTable.forPath(lake, 't').write([row('MINE', 7)], { schema, mode: 'overwritePartitions' });
    expect(result).toMatchObject({ version: 2, filesRemoved: 1 });
    expect((await DeltaTable.forPath(ctx.lake, 't').readAll()).map((r) => r.sku).sort()).toEqual(['B', 'MINE', 'RIVAL']);
  });

  it('a write computed from an older state conflicts with what was committed since, as with a racing writer', async () => {
    const table = DeltaTable.forPath(ctx.lake, 't');
    const readState = await table.state();
    await table.write([row('B', 9, '2011-02')], { schema, mode: 'overwritePartitions' });
    // An overwrite from the older state would silently replace B=9: refused.
    await expect(table.write([row('A', 3), row('B', 2, '2011-02')], { schema, mode: 'overwrite', readState })).rejects.toThrow(
      DeltaConcurrentModificationError,
    );
    await expect(table.write([row('B', 4, '2011-02')], { schema, mode: 'overwritePartitions', readState })).rejects.toThrow(
      /changed partition month=2011-02/,
    );
    // Another partition, or an append, does not conflict.
    expect((await table.write([row('A', 5)], { schema, mode: 'overwritePartitions', readState })).version).toBe(2);
    expect((await table.readAll()).map((r) => `${String(r.sku)}=${String(r.units)}`).sort()).toEqual(['A=5', 'B=9']);
  });

  it('a same-transaction rival makes the loser a skipped no-op', async () => {
    const transaction = { appId: 'run-9', version: 3 };
    const lake = racingLake(ctx.lake, (inner) =>
      DeltaTable.forPath(inner, 't').write([row('X', 1)], { schema, mode: 'append', transaction }),
    );
    const result = await DeltaTable.forPath(lake, 't').write([row('X', 1)], { schema, mode: 'append', transaction });
    expect(result).toEqual({ version: 1, skipped: true, filesAdded: 0, filesRemoved: 0, rowsWritten: 0 });
    expect((await DeltaTable.forPath(ctx.lake, 't').readAll()).filter((r) => r.sku === 'X')).toHaveLength(1);
  });
});

/**
 * A lake whose put-if-absent on a log file lands (or not) but whose answer is lost: `answer`
 * says what the writer hears instead (a retried request's 409, or a transport error).
 */
function lostAnswerLake(inner: LakeStore, lands: boolean, answer: 'conflict' | 'error'): LakeStore {
  const lake: LakeStore = Object.create(inner) as LakeStore;
  lake.putIfAbsent = async (p: string, data: Uint8Array, options?: LakeOperationOptions) => {
    if (!p.includes('_delta_log/')) return inner.putIfAbsent(p, data, options);
    if (lands) await inner.putIfAbsent(p, data, options);
    if (answer === 'conflict') return false;
    throw new Error('socket hang up');
  };
  return lake;
}

describe('a Delta commit whose answer is lost', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
    await DeltaTable.forPath(ctx.lake, 't').write([row('A', 1)], { schema, partitionBy: ['month'], mode: 'append' });
  });
  afterEach(async () => ctx.cleanup());

  const dataFiles = async (): Promise<number> => (await listAll(ctx.lake, 't/month=2011-03/')).length;

  it.each(['conflict', 'error'] as const)(
    "that landed (heard as %s) is the writer's own success: its files stay and are read",
    async (answer) => {
      const transaction = { appId: 'silver:run-1:t', version: 0 };
      const lake = lostAnswerLake(ctx.lake, true, answer);
      const result = await DeltaTable.forPath(lake, 't').write([row('X', 5, '2011-03')], { schema, mode: 'append', transaction });
      expect(result).toEqual({ version: 1, skipped: false, filesAdded: 1, filesRemoved: 0, rowsWritten: 1 });
      expect(await dataFiles()).toBe(1);
      expect((await DeltaTable.forPath(ctx.lake, 't').readAll()).map((r) => r.sku).sort()).toEqual(['A', 'X']);
    },
  );

  it('that did not land and failed without an answer is reported as unknown, and its files are kept', async () => {
    const lake = lostAnswerLake(ctx.lake, false, 'error');
    const table = DeltaTable.forPath(lake, 't');
    await expect(table.write([row('X', 5, '2011-03')], { schema, mode: 'append' })).rejects.toThrow(DeltaCommitOutcomeUnknownError);
    expect(await dataFiles()).toBe(1);
    expect(await DeltaTable.forPath(ctx.lake, 't').version()).toBe(0);

    const writer = await table.openWriter({ schema, partitionBy: ['month'], mode: 'append' });
    await writer.addFile(
      { month: '2011-03' },
      encodeDataFile(writer.dataFields, columnsOf([...writer.dataFields], [row('Y', 1, '2011-03')]), 1),
    );
    await expect(writer.commit()).rejects.toThrow(/version 1 may or may not have landed; its data files are kept/);
    await writer.abort();
    expect(await dataFiles()).toBe(2);
  });
});

async function listAll(lake: LakeStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of lake.list(prefix)) out.push(entry.path);
  return out;
}

describe('Delta schema enforcement', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  let table: DeltaTable;
  beforeEach(async () => {
    ctx = await tempLake();
    table = DeltaTable.forPath(ctx.lake, 't');
    await table.write([row('A', 1)], { schema, partitionBy: ['month'], mode: 'append' });
  });
  afterEach(async () => ctx.cleanup());

  const cases: Array<[string, DeltaSchema | undefined, DeltaRow, RegExp]> = [
    [
      'missing column in schema',
      { fields: schema.fields.filter((f) => f.name !== 'day') },
      row('A', 1),
      /column "day": missing from the write schema/,
    ],
    [
      'extra column in schema',
      { fields: [...schema.fields, { name: 'extra', type: 'string', nullable: true }] },
      row('A', 1),
      /column "extra": not in the table schema/,
    ],
    [
      'retyped column',
      { fields: schema.fields.map((f) => (f.name === 'units' ? { ...f, type: 'double' as const } : f)) },
      row('A', 1),
      /column "units": write schema has type double, table has long/,
    ],
    ['null in a not-null field', undefined, { ...row('A', 1), units: null }, /column "units": null in a not-null column \(row 1\)/],
    ['wrong JS type', undefined, { ...row('A', 1), units: '12' }, /column "units": expected a safe integer \(long\), got "12" \(string\)/],
    ['fractional long', undefined, { ...row('A', 1), units: 1.5 }, /column "units": expected a safe integer \(long\), got 1.5/],
    ['bad date', undefined, { ...row('A', 1), day: '2011-02-30' }, /column "day": expected a date 'YYYY-MM-DD', got "2011-02-30"/],
    ['extra key in a row', undefined, { ...row('A', 1), colour: 'red' }, /column "colour": not in the table schema \(row 1, value "red"/],
    ['missing key in a row', undefined, { sku: 'A', units: 1, month: '2011-01' }, /column "day": missing in row 1/],
  ];
  it.each(cases)('refuses %s, naming the column and value', async (_name, writeSchema, bad, message) => {
    const attempt = table.write([row('OK', 1), bad], { schema: writeSchema ?? schema, mode: 'append' });
    await expect(attempt).rejects.toThrow(DeltaSchemaMismatchError);
    await expect(attempt).rejects.toThrow(message);
    expect(await table.version()).toBe(0);
  });

  it('refuses an unknown column in a read projection', async () => {
    await expect(table.readAll({ columns: ['nope'] })).rejects.toThrow(
      /column "nope": not in the table \(columns: sku, units, day, month\)/,
    );
  });
});
