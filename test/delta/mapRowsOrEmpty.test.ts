import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mapRowsOrEmpty, openLakeTable } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';

describe('mapRowsOrEmpty: a streamed read mapped row by row', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'map-rows-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  it('keeps what the map returns, drops undefined, and reads a table that does not exist as empty', async () => {
    const lake = FileSystemLake.fromDirectory(dir);
    const def = lakeTables.daily_demand;
    const table = openLakeTable(lake, def);
    expect(
      await mapRowsOrEmpty(
        () => table.read(),
        (r) => r,
      ),
    ).toEqual([]);
    const rows = ['A', 'B', 'C'].map((sku, k) => ({
      sku,
      date: '2011-01-0' + (k + 1),
      units: k + 1,
      revenue: k,
      orders: 1,
      customers: 1,
      on_hand: null,
      stockout: false,
      month: '2011-01',
    }));
    await table.write(rows, { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
    const kept = await mapRowsOrEmpty(
      () => table.read({ columns: ['sku', 'units'] }),
      (r) => (Number(r['units']) >= 2 ? `${String(r['sku'])}:${Number(r['units'])}` : undefined),
    );
    expect(kept.sort()).toEqual(['B:2', 'C:3']);
  });
});
