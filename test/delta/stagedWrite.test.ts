import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable } from '../../src/lib/delta';
import type { DeltaRow, DeltaSchema } from '../../src/lib/delta/types';
import { DeltaProtocolError } from '../../src/lib/errors';
import { readLogLines, tempLake } from './helpers';

const schema: DeltaSchema = {
  fields: [
    { name: 'run_id', type: 'string', nullable: false },
    { name: 'sku', type: 'string', nullable: false },
    { name: 'units', type: 'long', nullable: false },
  ],
};
const partitionBy = ['run_id'];
const rowsOf = (runId: string, batch: number, n = 3): DeltaRow[] =>
  Array.from({ length: n }, (_, k) => ({ run_id: runId, sku: `B${batch}-S${k}`, units: batch * 10 + k }));

async function parquetFiles(root: string, folder: string): Promise<string[]> {
  return (await fs.readdir(path.join(root, folder)).catch(() => [] as string[])).filter((f) => f.endsWith('.parquet')).sort();
}

describe('staged writes: many writers stage data files, one commit adds them', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeEach(async () => (ctx = await tempLake()));
  afterEach(async () => ctx.cleanup());

  it('staging the same rows again stores no second file (the name is the stage id and the content)', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'gold/t');
    const first = await table.stage(rowsOf('r1', 1), { schema, partitionBy, stageId: 'batch-00001' });
    const again = await table.stage(rowsOf('r1', 1), { schema, partitionBy, stageId: 'batch-00001' });
    expect(again.adds.map((a) => a.path)).toEqual(first.adds.map((a) => a.path));
    expect(await parquetFiles(ctx.root, 'gold/t/run_id=r1')).toHaveLength(1);
    // Other rows under the same stage id: another name, so a record never points at changed bytes.
    const other = await table.stage(rowsOf('r1', 1, 4), { schema, partitionBy, stageId: 'batch-00001' });
    expect(other.adds[0]!.path).not.toBe(first.adds[0]!.path);
    expect(await table.version()).toBe(-1); // nothing committed: no table yet
  });

  it('parallel stagers, one commit: one log version holds every file; a repeat of the commit is skipped and keeps the files', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'gold/t');
    const staged = await Promise.all(
      Array.from({ length: 8 }, (_, b) => table.stage(rowsOf('r1', b), { schema, partitionBy, stageId: `batch-${b}` })),
    );
    const options = { schema, partitionBy, transaction: { appId: 't:r1', version: 1 }, commitInfo: { runId: 'r1' } };
    const result = await table.commitStaged(staged, options);
    expect(result).toMatchObject({ version: 0, skipped: false, filesAdded: 8, rowsWritten: 24 });
    const again = await table.commitStaged(staged, options);
    expect(again).toMatchObject({ version: 0, skipped: true });
    expect(await table.version()).toBe(0);
    expect((await table.readAll()).map((r) => r['sku']).sort()).toEqual(
      staged.flatMap((_, b) => rowsOf('r1', b).map((r) => r['sku'])).sort(),
    );
    expect(await parquetFiles(ctx.root, 'gold/t/run_id=r1')).toHaveLength(8);
    // The log's adds are the Delta shape a real reader needs, and each file reads in DuckDB with the rows its stats give.
    const adds = (await readLogLines(ctx.root, 'gold/t', 0)).filter((a) => a.add).map((a) => a.add!);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    for (const add of adds) {
      expect(add).toMatchObject({ partitionValues: { run_id: 'r1' }, dataChange: true });
      const file = path.join(ctx.root, 'gold/t', decodeURIComponent(add.path));
      const count = await db.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${file}', hive_partitioning = false)`);
      expect(count.getRowObjects()[0]!['n']).toBe((JSON.parse(add.stats!) as { numRecords: number }).numRecords);
    }
    db.closeSync();
  });

  it('lands on top of a concurrent writer’s commit (blind append: no conflict)', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'gold/t');
    await table.write(rowsOf('other', 9), { schema, partitionBy, mode: 'append' });
    const staged = [await table.stage(rowsOf('r1', 1), { schema, partitionBy, stageId: 'b1' })];
    await table.write(rowsOf('other2', 8), { schema, partitionBy, mode: 'append' }); // after the staging
    const result = await table.commitStaged(staged, { schema, partitionBy, transaction: { appId: 't:r1', version: 1 } });
    expect(result.version).toBe(2);
    expect(await table.readAll()).toHaveLength(9);
  });

  it('a staged file no commit took is not in the table; deleteUncommitted removes it and nothing committed', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'gold/t');
    const kept = await table.stage(rowsOf('r1', 1), { schema, partitionBy, stageId: 'b1' });
    await table.stage(rowsOf('r1', 2), { schema, partitionBy, stageId: 'b2' }); // an attempt whose record never came
    await table.commitStaged([kept], { schema, partitionBy, transaction: { appId: 't:r1', version: 1 } });
    expect(await table.readAll()).toHaveLength(3);
    expect(await parquetFiles(ctx.root, 'gold/t/run_id=r1')).toHaveLength(2);
    expect(await table.deleteUncommitted({ run_id: 'r1' })).toBe(1);
    expect(await parquetFiles(ctx.root, 'gold/t/run_id=r1')).toEqual([decodeURIComponent(kept.adds[0]!.path).split('/')[1]]);
    expect(await table.readAll()).toHaveLength(3);
  });

  it('refuses to commit a staged file that is not in the lake (the log would point at nothing)', async () => {
    const table = DeltaTable.forPath(ctx.lake, 'gold/t');
    const staged = await table.stage(rowsOf('r1', 1), { schema, partitionBy, stageId: 'b1' });
    await fs.rm(path.join(ctx.root, 'gold/t', decodeURIComponent(staged.adds[0]!.path)));
    await expect(table.commitStaged([staged], { schema, partitionBy })).rejects.toBeInstanceOf(DeltaProtocolError);
    expect(await table.version()).toBe(-1);
  });
});
