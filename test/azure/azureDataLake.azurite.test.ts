import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { DataLakeServiceClient } from '@azure/storage-file-datalake';
import { LakeConflictError, LakeNotFoundError, ValidationError } from '../../src/lib/errors';
import { loadSettings } from '../../src/lib/config/settings';
import { createEntityStore, createLakeStore } from '../../src/composition/storage';
import { AzureDataLakeStore } from '../../src/lib/lake/azureDataLake';
import { collect } from '../../src/lib/tables/entityStore';
import { azuriteAvailable, startAzurite, type Azurite } from '../support/azurite';

/**
 * The Blob side of the Azure lake against Azurite (the real Storage emulator): reads, writes,
 * put-if-absent (`If-None-Match: *`), deletes, and the flat-namespace fallbacks for list and
 * rename. The DFS calls (atomic rename, Path - List) are covered by azureDataLakeDfs.contract.test.ts,
 * since Azurite has no DFS endpoint.
 */
if (!azuriteAvailable) console.warn('azurite is not installed: skipping the Azure lake integration tests');
const suite = azuriteAvailable ? describe : describe.skip;

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

suite('AzureDataLakeStore on Azurite (Blob API)', () => {
  let azurite: Azurite;
  let fileSystemCounter = 0;
  /** A fresh file system per test, so tests do not see each other's objects. */
  const freshLake = (options: { singleUploadMaxBytes?: number; blockSizeInBytes?: number } = {}): AzureDataLakeStore =>
    AzureDataLakeStore.fromConnectionString(azurite.connectionString, `lake-${process.pid}-${++fileSystemCounter}`, options);

  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('defaults to the flat namespace on the emulator and reports where it is', () => {
    const lake = freshLake();
    expect(lake.namespace).toBe('flat');
    expect(lake.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/lake-/);
  });

  it('put then read, readStream and exists; the file system is created on first write', async () => {
    const lake = freshLake();
    expect(await lake.exists('bronze/orders/part-00000.json.gz')).toBe(false);
    await lake.put('bronze/orders/part-00000.json.gz', Buffer.from('first'));
    expect((await lake.read('bronze/orders/part-00000.json.gz')).toString()).toBe('first');
    expect(await text(await lake.readStream('bronze/orders/part-00000.json.gz'))).toBe('first');
    expect(await lake.exists('bronze/orders/part-00000.json.gz')).toBe(true);
    // put replaces
    await lake.put('bronze/orders/part-00000.json.gz', new Uint8Array([1, 2, 3]));
    expect([...(await lake.read('bronze/orders/part-00000.json.gz'))]).toEqual([1, 2, 3]);
  });

  it('missing objects: read/readStream throw LakeNotFoundError, exists is false, delete is a no-op', async () => {
    const lake = freshLake();
    await lake.put('x/present.txt', Buffer.from('p')); // file system exists, object does not
    await expect(lake.read('x/absent.txt')).rejects.toBeInstanceOf(LakeNotFoundError);
    await expect(lake.readStream('x/absent.txt')).rejects.toMatchObject({ name: 'LakeNotFoundError', path: 'x/absent.txt' });
    expect(await lake.exists('x/absent.txt')).toBe(false);
    await expect(lake.delete('x/absent.txt')).resolves.toBeUndefined();
    await lake.delete('x/present.txt');
    expect(await lake.exists('x/present.txt')).toBe(false);
    // Before the file system exists at all
    await expect(freshLake().read('nothing.txt')).rejects.toBeInstanceOf(LakeNotFoundError);
  });

  it('putIfAbsent writes once; a second put-if-absent returns false and leaves the first bytes', async () => {
    const lake = freshLake();
    expect(await lake.putIfAbsent('bronze/m/manifest.json', Buffer.from('{"run":1}'))).toBe(true);
    expect(await lake.putIfAbsent('bronze/m/manifest.json', Buffer.from('{"run":2}'))).toBe(false);
    expect((await lake.read('bronze/m/manifest.json')).toString()).toBe('{"run":1}');
  });

  it.each([
    ['single Put Blob', {}],
    ['blocks + Put Block List', { singleUploadMaxBytes: 4096, blockSizeInBytes: 4096 }],
  ])('concurrent putIfAbsent race (%s): exactly one writer wins and its bytes are what is stored', async (_label, options) => {
    const lake = freshLake(options);
    await lake.put('warmup.txt', Buffer.from('w')); // create the file system outside the race
    const payloads = Array.from({ length: 8 }, (_, i) => Buffer.concat([Buffer.from(`writer-${i}:`), randomBytes(10_000)]));
    const results = await Promise.all(payloads.map((p) => lake.putIfAbsent('race/part-00000.bin', p)));
    expect(results.filter((won) => won)).toHaveLength(1);
    const winner = payloads[results.indexOf(true)]!;
    expect((await lake.read('race/part-00000.bin')).equals(winner)).toBe(true);
  });

  it('large objects go up as blocks and read back byte for byte', async () => {
    const lake = freshLake({ singleUploadMaxBytes: 64 * 1024, blockSizeInBytes: 64 * 1024 });
    const data = randomBytes(300 * 1024);
    await lake.put('gold/big.parquet', data);
    expect((await lake.read('gold/big.parquet')).equals(data)).toBe(true);
    // Really committed as several blocks, not one Put Blob
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = blobs.getContainerClient(lake.location.split('/').pop()!);
    const blockList = await container.getBlockBlobClient('gold/big.parquet').getBlockList('committed');
    expect(blockList.committedBlocks?.length).toBe(5);
  });

  it('list (flat namespace): recursive and one level, files only, missing prefix is empty', async () => {
    const lake = freshLake();
    for (const p of ['landing/inv/a.csv', 'landing/inv/sub/b.csv', 'landing/top.csv', 'landingx/not-me.csv']) {
      await lake.put(p, Buffer.from(p));
    }
    const all = await collect(lake.list('landing'));
    expect(all.map((e) => e.path).sort()).toEqual(['landing/inv/a.csv', 'landing/inv/sub/b.csv', 'landing/top.csv']);
    expect(all.find((e) => e.path === 'landing/top.csv')?.sizeInBytes).toBe('landing/top.csv'.length);
    expect(all.every((e) => e.lastModified instanceof Date && !Number.isNaN(e.lastModified.getTime()))).toBe(true);
    const oneLevel = await collect(lake.list('landing/inv/', { recursive: false }));
    expect(oneLevel.map((e) => e.path)).toEqual(['landing/inv/a.csv']);
    expect(await collect(lake.list('nothing/here'))).toEqual([]);
    expect(await collect(freshLake().list('landing'))).toEqual([]); // no file system yet
  });

  it('rename (flat fallback): moves, never overwrites, and names the missing source', async () => {
    const lake = freshLake();
    await lake.put('landing/a.csv', Buffer.from('A'));
    await lake.put('processed/b.csv', Buffer.from('B'));
    await lake.rename('landing/a.csv', 'processed/a.csv');
    expect(await lake.exists('landing/a.csv')).toBe(false);
    expect((await lake.read('processed/a.csv')).toString()).toBe('A');

    await lake.put('landing/b.csv', Buffer.from('B2'));
    await expect(lake.rename('landing/b.csv', 'processed/b.csv')).rejects.toBeInstanceOf(LakeConflictError);
    expect((await lake.read('processed/b.csv')).toString()).toBe('B');
    expect((await lake.read('landing/b.csv')).toString()).toBe('B2');

    await expect(lake.rename('landing/none.csv', 'processed/none.csv')).rejects.toMatchObject({
      name: 'LakeNotFoundError',
      path: 'landing/none.csv',
    });
  });

  it('a root folder in the URL scopes every path (fromUrl with emulator URL and given clients)', async () => {
    const fileSystem = `lake-${process.pid}-root`;
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const lake = AzureDataLakeStore.fromUrl(`${azurite.blobUrl}/${fileSystem}/tenant-a`, {
      blobServiceClient: blobs,
      dataLakeServiceClient: DataLakeServiceClient.fromConnectionString(azurite.connectionString),
    });
    expect(lake.namespace).toBe('flat');
    await lake.put('silver/x.json', Buffer.from('x'));
    expect(await blobs.getContainerClient(fileSystem).getBlobClient('tenant-a/silver/x.json').exists()).toBe(true);
    expect((await collect(lake.list(''))).map((e) => e.path)).toEqual(['silver/x.json']);
  });

  it('rejects paths that leave the lake root or name a folder, naming the field', async () => {
    const lake = freshLake();
    await expect(lake.put('../escape.txt', Buffer.from('x'))).rejects.toBeInstanceOf(ValidationError);
    await expect(lake.read('folder/')).rejects.toMatchObject({ name: 'ValidationError', field: 'path' });
    await expect(lake.rename('a.csv', '/abs.csv')).rejects.toMatchObject({ name: 'ValidationError', field: 'to' });
  });

  it('factories wire both stores to Azurite from DEMAND_STORAGE_CONNECTION_STRING (and DEMAND_LAKE_URL for the lake)', async () => {
    const settings = loadSettings({ DEMAND_STORAGE_CONNECTION_STRING: azurite.connectionString });
    const lake = createLakeStore(settings);
    expect(lake.location).toBe(`${azurite.blobUrl}/lake`);
    const key = `wired-${process.pid}/b.txt`;
    expect(await lake.putIfAbsent(key, Buffer.from('wired'))).toBe(true);
    expect((await lake.read(key)).toString()).toBe('wired');
    const sameLakeByUrl = createLakeStore(
      loadSettings({
        DEMAND_STORAGE_CONNECTION_STRING: azurite.connectionString,
        DEMAND_LAKE_URL: `${azurite.blobUrl}/lake/wired-${process.pid}`,
      }),
    );
    expect((await sameLakeByUrl.read('b.txt')).toString()).toBe('wired');
    const table = await createEntityStore(settings).table('wiredcheck');
    await table.upsert({ partitionKey: 'p', rowKey: 'r', ok: true });
    expect((await table.get('p', 'r'))?.entity).toEqual({ partitionKey: 'p', rowKey: 'r', ok: true });
  });

  it('honours abortSignal: an aborted put writes nothing', async () => {
    const lake = freshLake();
    await lake.put('warm.txt', Buffer.from('w'));
    const controller = new AbortController();
    controller.abort();
    await expect(lake.put('aborted.txt', Buffer.from('x'), { abortSignal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(await lake.exists('aborted.txt')).toBe(false);
  });
});
