import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, openLakeTable } from '../../src/lib/delta';
import type { DeltaRow, DeltaSchema } from '../../src/lib/delta/types';
import { lakeTables } from '../../src/lib/lakeTables';
import { readLogLines, tempLake } from './helpers';

const demandSchema = lakeTables.daily_demand.schema;

function demandRow(sku: string, date: string, units: number, onHand: number | null = 5): DeltaRow {
  return {
    sku,
    date,
    units,
    revenue: units * 1.25,
    orders: units > 0 ? 1 : 0,
    customers: units > 0 ? 1 : 0,
    on_hand: onHand,
    stockout: onHand === 0,
    month: date.slice(0, 7),
  };
}

const bySkuDate = (a: DeltaRow, b: DeltaRow): number =>
  `${String(a.sku)}|${String(a.date)}`.localeCompare(`${String(b.sku)}|${String(b.date)}`);

async function* generate(count: number): AsyncIterable<DeltaRow> {
  for (let i = 0; i < count; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((Math.floor(i / 28) % 3) + 1).padStart(2, '0');
    yield demandRow(`SKU${i}`, `2011-${month}-${day}`, i % 7);
  }
}

describe('Delta writes: partitions, modes, time travel', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
  });
  afterEach(async () => ctx.cleanup());

  it('writes Hive-style partition folders without the partition column in the Parquet files, and prunes', async () => {
    const table = openLakeTable(ctx.lake, lakeTables.daily_demand);
    const rows = [demandRow('A', '2011-01-03', 2), demandRow('B', '2011-02-01', 0, 0), demandRow('A', '2011-02-02', 4, null)];
    await table.write(rows, { schema: demandSchema, partitionBy: ['month'], mode: 'append' });

    const snap = await table.snapshot();
    expect(snap.partitionColumns).toEqual(['month']);
    expect(snap.files.map((f) => f.partitionValues)).toEqual([{ month: '2011-01' }, { month: '2011-02' }]);
    for (const file of snap.files) {
      expect(file.path).toMatch(/^month=2011-0[12]\/part-\d{5}-[0-9a-f-]{36}\.c000\.snappy\.parquet$/);
      const stat = await fs.stat(path.join(ctx.root, 'silver/daily_demand', file.path));
      expect(stat.size).toBe(file.sizeInBytes);
    }
    // The data files hold every column except the partition column.
    const { parquetColumnNames } = await import('../../src/lib/delta/parquet');
    const bytes = await fs.readFile(path.join(ctx.root, 'silver/daily_demand', snap.files[0]!.path));
    expect(parquetColumnNames(new Uint8Array(bytes))).toEqual([
      'sku',
      'date',
      'units',
      'revenue',
      'orders',
      'customers',
      'on_hand',
      'stockout',
    ]);

    expect((await table.readAll()).sort(bySkuDate)).toEqual([...rows].sort(bySkuDate));
    const seen: string[] = [];
    const feb = await table.readAll({
      partitionFilter: (values) => {
        seen.push(String(values.month));
        return values.month === '2011-02';
      },
    });
    expect(seen.sort()).toEqual(['2011-01', '2011-02']);
    expect(feb.sort(bySkuDate)).toEqual([rows[1]!, rows[2]!].sort(bySkuDate));
    expect(await table.readAll({ columns: ['sku', 'month'], partitionFilter: (v) => v.month === '2011-01' })).toEqual([
      { sku: 'A', month: '2011-01' },
    ]);
  });

  it('streams an async iterable into several files of targetRowsPerFile rows', async () => {
    const table = openLakeTable(ctx.lake, lakeTables.daily_demand);
    const result = await table.write(generate(500), {
      schema: demandSchema,
      partitionBy: ['month'],
      mode: 'append',
      targetRowsPerFile: 60,
    });
    expect(result.rowsWritten).toBe(500);
    const snap = await table.snapshot();
    expect(snap.files.length).toBe(result.filesAdded);
    expect(snap.files.every((f) => (f.numRecords ?? 0) <= 60)).toBe(true);
    expect(snap.files.reduce((s, f) => s + (f.numRecords ?? 0), 0)).toBe(500);
    const all = await table.readAll();
    expect(all).toHaveLength(500);
    expect(new Set(all.map((r) => r.sku)).size).toBe(500);
  });

  it('overwritePartitions replaces only the touched (and listed) partitions; overwrite replaces all', async () => {
    const table = openLakeTable(ctx.lake, lakeTables.daily_demand);
    await table.write([demandRow('A', '2011-01-03', 2), demandRow('A', '2011-02-03', 3), demandRow('A', '2011-03-03', 9)], {
      schema: demandSchema,
      partitionBy: ['month'],
      mode: 'append',
    });
    const r1 = await table.write([demandRow('A', '2011-02-04', 7)], {
      schema: demandSchema,
      mode: 'overwritePartitions',
      partitions: [{ month: '2011-03' }],
    });
    expect(r1).toMatchObject({ version: 1, filesAdded: 1, filesRemoved: 2 });
    expect(await table.readAll()).toEqual([demandRow('A', '2011-01-03', 2), demandRow('A', '2011-02-04', 7)]);
    const log = await readLogLines(ctx.root, 'silver/daily_demand', 1);
    const removed = log.flatMap((a) => (a.remove ? [a.remove.partitionValues?.['month']] : [])).sort();
    expect(removed).toEqual(['2011-02', '2011-03']);
    expect(log.find((a) => a.commitInfo)?.commitInfo?.operationParameters).toMatchObject({
      mode: 'Overwrite',
      partitionOverwriteMode: 'DYNAMIC',
    });

    const r2 = await table.write([demandRow('Z', '2011-05-01', 1)], { schema: demandSchema, mode: 'overwrite' });
    expect(r2).toMatchObject({ version: 2, filesRemoved: 2 });
    expect(await table.readAll()).toEqual([demandRow('Z', '2011-05-01', 1)]);

    // Time travel
    expect(await table.readAll({ version: 0 })).toHaveLength(3);
    expect((await table.snapshot({ version: 1 })).files).toHaveLength(2);
    await expect(table.readAll({ version: 7 })).rejects.toThrow(/version 7 does not exist \(latest is 2\)/);
    const history = await table.history();
    expect(history.map((h) => [h.version, h.operation])).toEqual([
      [0, 'CREATE TABLE AS SELECT'],
      [1, 'WRITE'],
      [2, 'WRITE'],
    ]);
  });

  it('skips a write whose transaction (appId, version) was already committed', async () => {
    const table = openLakeTable(ctx.lake, lakeTables.daily_demand);
    const transaction = { appId: 'daily_demand:run-1', version: 0 };
    const first = await table.write([demandRow('A', '2011-01-03', 2)], {
      schema: demandSchema,
      partitionBy: ['month'],
      mode: 'overwritePartitions',
      transaction,
    });
    expect(first).toMatchObject({ version: 0, skipped: false, rowsWritten: 1 });
    const filesBefore = (await fs.readdir(path.join(ctx.root, 'silver/daily_demand/month=2011-01'))).sort();
    const again = await table.write([demandRow('A', '2011-01-03', 99)], { schema: demandSchema, mode: 'overwritePartitions', transaction });
    expect(again).toEqual({ version: 0, skipped: true, filesAdded: 0, filesRemoved: 0, rowsWritten: 0 });
    expect(await table.version()).toBe(0);
    expect(await table.readAll()).toEqual([demandRow('A', '2011-01-03', 2)]);
    expect((await fs.readdir(path.join(ctx.root, 'silver/daily_demand/month=2011-01'))).sort()).toEqual(filesBefore);
    const next = await table.write([demandRow('A', '2011-01-03', 5)], {
      schema: demandSchema,
      mode: 'overwritePartitions',
      transaction: { ...transaction, version: 1 },
    });
    expect(next).toMatchObject({ version: 1, skipped: false });
    const state = await table.state();
    expect(state.appTransactions.get('daily_demand:run-1')).toBe(1);
  });

  it('writes the protocol-required fields, parseable stats and encoded relative paths', async () => {
    const schema: DeltaSchema = {
      fields: [
        { name: 'id', type: 'long', nullable: false },
        { name: 'label', type: 'string', nullable: true },
        { name: 'when', type: 'timestamp', nullable: true },
        { name: 'part', type: 'string', nullable: true },
      ],
    };
    const table = DeltaTable.forPath(ctx.lake, 'gold/odd');
    const longLabel = 'x'.repeat(40);
    await table.write(
      [
        { id: 1, label: 'b', when: '2011-01-04T10:00:00Z', part: 'a b:c%d/e' },
        { id: 2, label: longLabel, when: null, part: 'a b:c%d/e' },
        { id: 3, label: null, when: '2011-01-05T10:00:00.5+01:00', part: null },
      ],
      { schema, partitionBy: ['part'], mode: 'append', commitInfo: { runId: 'r1' } },
    );
    const actions = await readLogLines(ctx.root, 'gold/odd', 0);
    const commitInfo = actions.find((a) => a.commitInfo)?.commitInfo;
    expect(commitInfo).toMatchObject({
      operationParameters: { mode: 'Append', partitionBy: '["part"]', runId: 'r1' },
      isBlindAppend: true,
    });
    expect(typeof commitInfo?.timestamp).toBe('number');
    expect(actions.find((a) => a.protocol)?.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    const metaData = actions.find((a) => a.metaData)?.metaData;
    expect(metaData).toMatchObject({ format: { provider: 'parquet', options: {} }, partitionColumns: ['part'], configuration: {} });
    expect(metaData?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof metaData?.createdTime).toBe('number');
    expect(JSON.parse(metaData?.schemaString ?? 'null')).toEqual({
      type: 'struct',
      fields: schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: {} })),
    });
    const adds = actions.flatMap((a) => (a.add ? [a.add] : []));
    expect(adds).toHaveLength(2);
    for (const add of adds) {
      expect(Object.keys(add).sort()).toEqual(['dataChange', 'modificationTime', 'partitionValues', 'path', 'size', 'stats']);
      expect(add.dataChange).toBe(true);
      expect(add.path.startsWith('/')).toBe(false);
      expect(add.path).not.toMatch(/[ %]{1}(?![0-9A-F]{2})/); // every % starts an escape, no raw spaces
      const onDisk = path.join(ctx.root, 'gold/odd', decodeURIComponent(add.path));
      expect((await fs.stat(onDisk)).size).toBe(add.size);
    }
    const special = adds.find((a) => a.partitionValues.part === 'a b:c%d/e');
    // Folder escaped Hive-style (%3A %25 %2F), then the path URI-encoded (% → %25, space → %20).
    expect(special?.path).toMatch(/^part=a%20b%253Ac%2525d%252Fe\/part-/);
    const nullPart = adds.find((a) => a.partitionValues.part === null);
    expect(nullPart?.path).toMatch(/^part=__HIVE_DEFAULT_PARTITION__\/part-/);
    const stats: unknown = JSON.parse(special?.stats ?? 'null');
    expect(stats).toEqual({
      numRecords: 2,
      minValues: { id: 1, label: 'b', when: '2011-01-04T10:00:00.000Z' },
      maxValues: { id: 2, when: '2011-01-04T10:00:00.000Z' }, // a 40-char string max is left out rather than truncated wrongly
      nullCount: { id: 0, label: 0, when: 1 },
    });
    expect((JSON.parse(nullPart?.stats ?? 'null') as { minValues: Record<string, unknown> }).minValues['when']).toBe(
      '2011-01-05T09:00:00.500Z',
    );
    const back = await table.readAll();
    expect(back.find((r) => r.id === 3)).toEqual({ id: 3, label: null, when: '2011-01-05T09:00:00.500Z', part: null });
    expect(back.find((r) => r.id === 1)?.part).toBe('a b:c%d/e');
  });
});
