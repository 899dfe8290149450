import { listBronzeManifests, readBronzeRecords, readManifest } from '../../src/lib/bronze/reader';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { ingestInventory } from '../../src/activities/ingestInventory';
import { gunzipSync } from 'node:zlib';
import { lakeAt, servicesFor, settingsWith, tempDir } from './helpers';

const run = (runId: string) => ({ runId, runDate: '2011-06-06', startedAt: '2011-06-06T02:00:00Z' });
const csv = 'snapshot_date,sku,on_hand,on_order\n2011-06-06,85123A,120,0\n2011-06-06,22423,7,24\n';
const ndjson =
  '{"snapshot_date":"2011-06-06","sku":"84879","on_hand":33,"on_order":0}\n{"snapshot_date":"2011-06-06","sku":"47566","on_hand":0,"on_order":60}\n\n';

async function names(lake: LakeStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of lake.list(prefix)) out.push(e.path);
  return out;
}

describe('ingestInventory', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('ingest-inventory-'));
  });
  afterEach(() => cleanup());

  it('lands readable files as received, moves them to processed/, rejects the rest with a reason, and goes on', async () => {
    const lake = lakeAt(`${dir}/lake`);
    await lake.put('landing/inventory/a.csv', Buffer.from(csv));
    await lake.put('landing/inventory/b.ndjson', Buffer.from(ndjson));
    await lake.put('landing/inventory/c.csv', Buffer.from('snapshot_date,sku,on_hand,on_order\n2011-06-06,22423,lots,0\n'));
    await lake.put('landing/inventory/d.ndjson', Buffer.from('{"snapshot_date":"2011-06-06","sku":"1"\n'));
    await lake.put('landing/inventory/e.csv', Buffer.from('date,item,qty\n2011-06-06,1,2\n'));
    await lake.put('landing/inventory/f.parquet', Buffer.from('PAR1'));
    const out = await ingestInventory(run('inv1'), servicesFor(settingsWith({}), lake, `${dir}/state`));
    expect(out.filesFound).toBe(6);
    expect(out.filesIngested).toBe(2);
    expect(out.filesRejected).toBe(4);
    expect(out.records).toBe(4);
    expect(out.rejected.map((r) => r.file)).toEqual([
      'landing/inventory/c.csv',
      'landing/inventory/d.ndjson',
      'landing/inventory/e.csv',
      'landing/inventory/f.parquet',
    ]);
    expect(out.rejected[0]?.reason).toBe('line 2: on_hand "lots" is not a number');
    expect(out.rejected[1]?.reason).toMatch(/^line 1: not JSON/);
    expect(out.rejected[2]?.reason).toMatch(/lacks column\(s\) snapshot_date, sku, on_hand, on_order/);
    expect(await names(lake, 'landing/inventory/processed')).toEqual([
      'landing/inventory/processed/a.csv',
      'landing/inventory/processed/b.ndjson',
    ]);
    expect((await lake.read('landing/inventory/rejected/c.csv.reason.txt')).toString()).toContain('on_hand "lots"');
    expect(await lake.exists('landing/inventory/rejected/f.parquet')).toBe(true);
    expect(
      await names(lake, 'landing/inventory').then((n) => n.filter((p) => !p.includes('/processed/') && !p.includes('/rejected/'))),
    ).toEqual([]);

    expect(out.batches.map((b) => b.path)).toEqual([
      'bronze/inventory/ingest_date=2011-06-06/run_id=inv1/part-00000.csv.gz',
      'bronze/inventory/ingest_date=2011-06-06/run_id=inv1/part-00001.ndjson.gz',
    ]);
    expect(gunzipSync(await lake.read(out.batches[0]!.path)).toString()).toBe(csv); // bytes as received
    const manifest = await readManifest(lake, out.batches[0]!.manifestPath);
    expect(manifest).toMatchObject({ source: 'inventory', format: 'csv', records: 2, sourceFile: 'landing/inventory/a.csv' });
    const rows: unknown[] = [];
    for await (const r of readBronzeRecords(lake, out.batches[0]!.manifestPath)) rows.push(r.record);
    expect(rows).toEqual([
      { snapshot_date: '2011-06-06', sku: '85123A', on_hand: '120', on_order: '0' },
      { snapshot_date: '2011-06-06', sku: '22423', on_hand: '7', on_order: '24' },
    ]);
    const nd: unknown[] = [];
    for await (const r of readBronzeRecords(lake, out.batches[1]!.manifestPath)) nd.push(r.record);
    expect(nd).toEqual([
      { snapshot_date: '2011-06-06', sku: '84879', on_hand: 33, on_order: 0 },
      { snapshot_date: '2011-06-06', sku: '47566', on_hand: 0, on_order: 60 },
    ]);

    // The next run finds nothing new; a file dropped again under the same name is not lost.
    await lake.put('landing/inventory/a.csv', Buffer.from(csv));
    const next = await ingestInventory(run('inv2'), servicesFor(settingsWith({}), lake, `${dir}/state`));
    expect(next).toMatchObject({ filesFound: 1, filesIngested: 1, filesRejected: 0 });
    expect(await lake.exists('landing/inventory/processed/inv2-a.csv')).toBe(true);
  });

  it('a crash after landing a file but before moving it: the re-run reuses the committed part, nothing doubles', async () => {
    const real = lakeAt(`${dir}/lake`);
    await real.put('landing/inventory/a.csv', Buffer.from(csv));
    await real.put('landing/inventory/b.ndjson', Buffer.from(ndjson));
    let renames = 0;
    const crashing: LakeStore = Object.assign(Object.create(real) as LakeStore, {
      rename: async (from: string, to: string) => {
        if (++renames === 2) throw new Error('simulated crash');
        return real.rename(from, to);
      },
    });
    await expect(ingestInventory(run('inv'), servicesFor(settingsWith({}), crashing, `${dir}/state`))).rejects.toThrow('simulated crash');
    expect(await listBronzeManifests(real, 'inventory', 'inv')).toHaveLength(2);
    const out = await ingestInventory(run('inv'), servicesFor(settingsWith({}), real, `${dir}/state`));
    // The re-run returns every part committed for the run, the one whose file already moved included,
    // so buildSilver (which reads only the manifests returned) sees the whole inventory; rows once.
    expect(out.filesIngested).toBe(2);
    expect(out.filesFound).toBe(2);
    expect(out.records).toBe(4);
    expect(out.batches.map((b) => b.path)).toEqual([
      'bronze/inventory/ingest_date=2011-06-06/run_id=inv/part-00000.csv.gz',
      'bronze/inventory/ingest_date=2011-06-06/run_id=inv/part-00001.ndjson.gz',
    ]);
    expect(out.batches.map((b) => b.records)).toEqual([2, 2]);
    const manifests = await listBronzeManifests(real, 'inventory', 'inv');
    expect(manifests).toHaveLength(2);
    expect(out.batches.map((b) => b.manifestPath).sort()).toEqual([...manifests].sort());
    // A third attempt (nothing left in landing) still returns the whole run.
    const again = await ingestInventory(run('inv'), servicesFor(settingsWith({}), real, `${dir}/state`));
    expect(again).toMatchObject({ filesFound: 2, filesIngested: 2, records: 4 });
    expect(again.batches).toEqual(out.batches);
    expect(await names(real, 'landing/inventory/processed')).toHaveLength(2);
  });
});
