/**
 * DeltaTable.readColumns is read() by columns: on every table Delta Lake's own Spark code wrote
 * (../shared/data/delta_golden: deletion vectors, column mapping, partitions, checkpoints, every
 * type) and on one of ours, transposing its batches gives exactly read()'s rows in read()'s order,
 * and a table read() refuses is refused by readColumns too.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable } from '../../src/lib/delta';
import type { DeltaColumnBatch, DeltaRow, DeltaSchema } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { goldenTables } from './golden/goldenTables';

const root = path.resolve(__dirname, '../../../shared/data/delta_golden');
const present = existsSync(root);

const canonical = (rows: DeltaRow[]): string =>
  JSON.stringify(rows, (_k, v: unknown) =>
    v instanceof Uint8Array ? { bytes: Buffer.from(v).toString('hex') } : typeof v === 'bigint' ? `${v}n` : v,
  );

function transpose(batches: DeltaColumnBatch[]): DeltaRow[] {
  const rows: DeltaRow[] = [];
  for (const b of batches) {
    for (const values of Object.values(b.columns)) expect(values).toHaveLength(b.length);
    for (let i = 0; i < b.length; i++) rows.push(Object.fromEntries(Object.entries(b.columns).map(([c, v]) => [c, v[i]!])));
  }
  return rows;
}

async function both(table: DeltaTable, options: Parameters<DeltaTable['read']>[0] = {}) {
  const outcome = async <T>(f: () => Promise<T>) =>
    f().then(
      (value) => ({ value }),
      (err: Error) => ({ error: `${err.name}: ${err.message}` }),
    );
  const rows = await outcome(() => table.readAll(options));
  const columns = await outcome(async () => {
    const batches: DeltaColumnBatch[] = [];
    for await (const b of table.readColumns(options)) batches.push(b);
    return transpose(batches);
  });
  return { rows, columns };
}

describe('DeltaTable.readColumns', () => {
  (present ? it : it.skip)(
    'equals read() on every Delta golden table (rows, order and refusals)',
    async () => {
      const lake = FileSystemLake.fromDirectory(root);
      let compared = 0;
      for (const name of goldenTables(root)) {
        const table = DeltaTable.forPath(lake, name);
        // The decimal tables of 10^5 and 10^6 rows would take most of a minute on a shared 2-core machine (decimals are in others).
        if (name.startsWith('parquet-decimal-dictionaries') || name === 'parquet-decimal-type') continue;
        const { rows, columns } = await both(table);
        if ('error' in rows) expect(columns).toEqual(rows);
        else {
          expect('value' in columns ? canonical(columns.value) : columns).toEqual(canonical(rows.value));
          compared += 1;
        }
      }
      expect(compared).toBeGreaterThan(20);
    },
    120_000,
  );
  if (!present) it('skips the golden tables: ../shared/data/delta_golden is absent', () => undefined);

  it('equals read() on a partitioned table of ours, with projection and partition pruning', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'read-columns-'));
    try {
      const lake = FileSystemLake.fromDirectory(dir);
      const table = DeltaTable.forPath(lake, 't');
      const schema: DeltaSchema = {
        fields: [
          { name: 'run_id', type: 'string', nullable: false },
          { name: 'sku', type: 'string', nullable: false },
          { name: 'target_date', type: 'date', nullable: true },
          { name: 'point', type: 'double', nullable: true },
          { name: 'step', type: 'long', nullable: true },
        ],
      };
      const rows = Array.from({ length: 500 }, (_, i) => ({
        run_id: `r${i % 3}`,
        sku: `S${i % 17}`,
        target_date: i % 11 === 0 ? null : `2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
        point: i % 7 === 0 ? null : i / 3,
        step: i,
      }));
      await table.write(rows, { schema, partitionBy: ['run_id'], mode: 'append', targetRowsPerFile: 60 });
      for (const options of [
        {},
        { columns: ['sku', 'point', 'run_id'] },
        { partitionFilter: (v: Record<string, string | null>) => v.run_id === 'r1' },
      ]) {
        const { rows: expected, columns } = await both(table, options);
        expect('value' in expected && expected.value.length).toBeGreaterThan(0);
        expect(columns).toEqual(expected);
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('hands a large file over one row group at a time (a batch never holds a whole file that grows with the fleet)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'read-columns-groups-'));
    try {
      const table = DeltaTable.forPath(FileSystemLake.fromDirectory(dir), 't');
      const schema: DeltaSchema = {
        fields: [
          { name: 'sku', type: 'string', nullable: false },
          { name: 'units', type: 'double', nullable: true },
        ],
      };
      const rows = Array.from({ length: 230_000 }, (_, i) => ({ sku: `S${i % 997}`, units: i % 13 === 0 ? null : i }));
      await table.write(rows, { schema, mode: 'append', targetRowsPerFile: 1_000_000 });
      const { rows: expected, columns } = await both(table);
      expect(columns).toEqual(expected);
      const lengths: number[] = [];
      for await (const b of table.readColumns()) lengths.push(b.length);
      expect(lengths).toEqual([100_000, 100_000, 30_000]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
