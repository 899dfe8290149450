import { BlobServiceClient } from '@azure/storage-blob';
import { TableServiceClient } from '@azure/data-tables';
import { azuriteAvailable, startAzurite, type Azurite } from '../support/azurite';

if (!azuriteAvailable) console.warn('azurite is not installed: skipping the Azurite harness test');
const suite = azuriteAvailable ? describe : describe.skip;

suite('startAzurite', () => {
  let azurite: Azurite | undefined;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('serves Blob and Table on OS-assigned ports with the dev account', async () => {
    if (!azurite) throw new Error('not started');
    expect(azurite.blobUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect(azurite.tableUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect(azurite.blobUrl).not.toBe(azurite.tableUrl);
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await blobs.getContainerClient('harness').create();
    const names: string[] = [];
    for await (const c of blobs.listContainers()) names.push(c.name);
    expect(names).toContain('harness');
    const tables = TableServiceClient.fromConnectionString(azurite.connectionString, { allowInsecureConnection: true });
    await tables.createTable('harness');
    const tableNames: string[] = [];
    for await (const t of tables.listTables()) tableNames.push(t.name ?? '');
    expect(tableNames).toContain('harness');
  });

  it('stop() ends the emulator: the endpoint no longer answers', async () => {
    const other = await startAzurite();
    const blobs = BlobServiceClient.fromConnectionString(other.connectionString, { retryOptions: { maxTries: 1 } });
    try {
      await blobs.getContainerClient('stopcheck').createIfNotExists();
      expect(await blobs.getContainerClient('stopcheck').exists()).toBe(true);
    } finally {
      await other.stop();
    }
    await expect(blobs.getContainerClient('stopcheck').exists()).rejects.toThrow();
  });
});
