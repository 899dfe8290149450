/**
 * The embedded tables keep one file per partition: a write rewrites only its partition's file,
 * so the cost of saving a run's drift events or metrics does not grow with earlier runs. Tables in
 * the one-file layout of earlier versions are migrated on first use, nothing lost.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { collect, upsertAll } from '../../src/lib/tables/entityStore';

describe('EmbeddedEntityStore partition files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'embedded-partitions-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes a run’s events to its own file, of the same size after 1 or 40 earlier runs, leaving earlier files untouched', async () => {
    const table = await EmbeddedEntityStore.fromDirectory(dir).table('driftevents');
    const events = (run: number) =>
      Array.from({ length: 200 }, (_, i) => ({
        partitionKey: `run-${String(run).padStart(3, '0')}`,
        rowKey: `data_psi:SKU${String(i).padStart(5, '0')}`,
        value: 0.5,
        threshold: 0.3,
        action: 'reforecast',
      }));
    const folder = path.join(dir, 'driftevents');
    const sizes: number[] = [];
    for (let run = 1; run <= 41; run++) {
      const before = new Map<string, number>();
      for (const f of await fs.readdir(folder).catch(() => [] as string[])) before.set(f, (await fs.stat(path.join(folder, f))).mtimeMs);
      await upsertAll(table, events(run));
      const files = await fs.readdir(folder);
      expect(files).toHaveLength(run);
      const fresh = files.filter((f) => !before.has(f));
      expect(fresh).toHaveLength(1);
      for (const [f, mtime] of before) expect((await fs.stat(path.join(folder, f))).mtimeMs).toBe(mtime);
      sizes.push((await fs.stat(path.join(folder, fresh[0]!))).size);
    }
    // The per-run write is the same whatever the history (the old single file grew by one run each time).
    expect(new Set(sizes).size).toBe(1);
    expect(await collect(table.list({ partitionKey: 'run-007' }))).toHaveLength(200);
    expect(await collect(table.list())).toHaveLength(41 * 200);
  });

  it('migrates a table from the one-file layout on first use, keeping entities, etags and order', async () => {
    const legacy = {
      entities: {
        'b\u0000r2': { entity: { partitionKey: 'b', rowKey: 'r2', n: 2 }, etag: 'e2' },
        'a\u0000r1': { entity: { partitionKey: 'a', rowKey: 'r1', n: 1 }, etag: 'e1' },
        'a/x\u0000r\u00e9': { entity: { partitionKey: 'a/x', rowKey: 'r\u00e9', n: 3 }, etag: 'e3' },
      },
    };
    await fs.writeFile(path.join(dir, 'watermarks.json'), JSON.stringify(legacy));
    const table = await EmbeddedEntityStore.fromDirectory(dir).table('watermarks');
    expect(await table.get('a', 'r1')).toEqual({ entity: { partitionKey: 'a', rowKey: 'r1', n: 1 }, etag: 'e1' });
    expect((await collect(table.list())).map((e) => `${e.partitionKey}/${e.rowKey}`)).toEqual(['a/r1', 'a/x/r\u00e9', 'b/r2']);
    await expect(fs.stat(path.join(dir, 'watermarks.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    // A second store on the same folder sees the migrated table.
    const again = await EmbeddedEntityStore.fromDirectory(dir).table('watermarks');
    expect(await again.get('b', 'r2')).toMatchObject({ entity: { n: 2 }, etag: 'e2' });
  });

  it('names a partition with a very long key by its hash and still lists it', async () => {
    const table = await EmbeddedEntityStore.fromDirectory(dir).table('runs');
    const longKey = 'k'.repeat(500);
    await table.upsert({ partitionKey: longKey, rowKey: 'r', v: 1 });
    await table.upsert({ partitionKey: 'short', rowKey: 'r', v: 2 });
    expect((await collect(table.list())).map((e) => e['v'])).toEqual([1, 2]);
    expect(await table.get(longKey, 'r')).toMatchObject({ entity: { v: 1 } });
    await table.delete(longKey, 'r');
    expect(await collect(table.list())).toHaveLength(1);
  });
});
