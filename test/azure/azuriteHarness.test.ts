import { TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { azuriteAvailable, startAzurite } from '../support/azurite';

if (!azuriteAvailable) console.warn('azurite is not installed: skipping the Azurite harness test');
const suite = azuriteAvailable ? describe : describe.skip;

suite('startAzurite', () => {
  it('serves Blob and Table on OS-assigned ports with the dev account, and stop() ends it', async () => {
    const azurite = await startAzurite();
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString, { retryOptions: { maxTries: 1 } });
    try {
      expect(azurite.blobUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      expect(azurite.tableUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      expect(azurite.blobUrl).not.toBe(azurite.tableUrl);
      await blobs.getContainerClient('harness').create();
      const names: string[] = [];
      for await (const c of blobs.listContainers()) names.push(c.name);
      expect(names).toContain('harness');
      const tables = TableServiceClient.fromConnectionString(azurite.connectionString, { allowInsecureConnection: true });
      await tables.createTable('harness');
      const tableNames: string[] = [];
      for await (const t of tables.listTables()) tableNames.push(t.name ?? '');
      expect(tableNames).toContain('harness');
    } finally {
      await azurite.stop();
    }
    // The emulator is gone: the same endpoint no longer answers.
    await expect(blobs.getContainerClient('harness').exists()).rejects.toThrow();
    await expect(azurite.stop()).resolves.toBeUndefined(); // idempotent
  });
});
