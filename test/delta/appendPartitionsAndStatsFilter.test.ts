/**
 * Two additive options of the Delta port the Silver increment uses: `appendPartitions` (an
 * overwritePartitions commit that only adds files to some partitions it writes) and `statsFilter`
 * (data skipping on the per-file min/max stats, before any Parquet is read).
 */
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { lakeTables } from '../../src/lib/lakeTables';
import { tempLake } from './helpers';

const def = lakeTables.daily_demand;
const options = { schema: def.schema, partitionBy: ['month'] };

function row(sku: string, date: string, units: number): DeltaRow {
  return { sku, date, units, revenue: units, orders: 1, customers: 1, on_hand: null, stockout: false, month: date.slice(0, 7) };
}

const keys = (rows: DeltaRow[]) => rows.map((r) => `${String(r.sku)} ${String(r.date)} ${String(r.units)}`).sort();

describe('Delta: appendPartitions and statsFilter', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => {
    ctx = await tempLake();
  });
  afterEach(async () => ctx.cleanup());

  it('overwritePartitions replaces the partitions it writes, except those named in appendPartitions (their files stay)', async () => {
    const table = openLakeTable(ctx.lake, def);
    await table.write([row('A', '2011-01-03', 1), row('A', '2011-02-03', 2)], { ...options, mode: 'append' });
    const febBefore = (await table.snapshot()).files.filter((f) => f.partitionValues.month === '2011-02').map((f) => f.path);
    const result = await table.write([row('A', '2011-01-03', 9), row('A', '2011-02-04', 3)], {
      ...options,
      mode: 'overwritePartitions',
      appendPartitions: [{ month: '2011-02' }],
    });
    expect(result.filesRemoved).toBe(1);
    const after = (await table.snapshot()).files.filter((f) => f.partitionValues.month === '2011-02').map((f) => f.path);
    expect(after).toEqual(expect.arrayContaining(febBefore));
    expect(keys(await table.readAll())).toEqual(['A 2011-01-03 9', 'A 2011-02-03 2', 'A 2011-02-04 3']);
  });

  it('the bulk file writer honours appendPartitions the same way', async () => {
    const table = openLakeTable(ctx.lake, def);
    await table.write([row('A', '2011-02-03', 2)], { ...options, mode: 'append' });
    const writer = await table.openWriter({ ...options, mode: 'overwritePartitions', appendPartitions: [{ month: '2011-02' }] });
    const { encodeDataFile } = await import('../../src/lib/delta/dataFile');
    const fields = [...writer.dataFields];
    const values: Record<string, unknown> = {
      sku: ['B'],
      date: Int32Array.of(Math.round(Date.parse('2011-02-05T00:00:00Z') / 86_400_000)),
      units: Float64Array.of(4),
      revenue: Float64Array.of(4),
      orders: Float64Array.of(1),
      customers: Float64Array.of(1),
      on_hand: [null],
      stockout: [false],
    };
    const file = encodeDataFile(
      fields,
      fields.map((f) => values[f.name] as never),
      1,
    );
    await writer.addFile({ month: '2011-02' }, file);
    expect((await writer.commit()).filesRemoved).toBe(0);
    expect(keys(await table.readAll())).toEqual(['A 2011-02-03 2', 'B 2011-02-05 4']);
  });

  it('statsFilter skips files by their min/max stats; a file without stats is always read', async () => {
    const table = openLakeTable(ctx.lake, def);
    await table.write([row('A', '2011-02-01', 1), row('B', '2011-02-02', 1)], { ...options, mode: 'append' });
    await table.write([row('A', '2011-02-20', 2), row('B', '2011-02-21', 2)], { ...options, mode: 'append' });
    const seen: Array<string | undefined> = [];
    const late = await table.readAll({
      statsFilter: (stats) => {
        seen.push(stats?.maxValues.date as string | undefined);
        return stats === undefined || String(stats.maxValues.date) >= '2011-02-15';
      },
    });
    expect(seen.sort()).toEqual(['2011-02-02', '2011-02-21']);
    expect(keys(late)).toEqual(['A 2011-02-20 2', 'B 2011-02-21 2']);
  });
});
