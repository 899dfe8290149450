import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { createEntityStore, createLakeStore } from '../../src/composition/storage';
import { AzureDataLakeStore } from '../../src/lib/lake/azureDataLake';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { AzureEntityStore } from '../../src/lib/tables/azureEntityStore';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { expect } from '@jest/globals';

// A syntactically valid connection string for a made-up account; nothing here touches the network.
const fakeConnectionString = 'DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey=ZmFrZWtleQ==;EndpointSuffix=core.windows.net';

describe('createLakeStore / createEntityStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'factories-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('uses the embedded stores when no Azure setting is given', () => {
    const settings = loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_STATE_DIR: path.join(dir, 'state') });
    const lake = createLakeStore(settings);
    const entities = createEntityStore(settings);
    expect(lake).toBeInstanceOf(FileSystemLake);
    expect(lake.location).toBe(`file://${path.join(dir, 'lake')}`);
    expect(entities).toBeInstanceOf(EmbeddedEntityStore);
    expect(entities.location).toBe(`file://${path.join(dir, 'state')}`);
  });

  it('uses ADLS Gen2 (hierarchical) and Table storage with managed identity for the URLs', () => {
    const settings = loadSettings({
      DEMAND_LAKE_URL: 'https://acct.dfs.core.windows.net/lake/demand',
      DEMAND_TABLES_URL: 'https://acct.table.core.windows.net',
    });
    const lake = createLakeStore(settings);
    expect(lake).toBeInstanceOf(AzureDataLakeStore);
    expect((lake as AzureDataLakeStore).namespace).toBe('hierarchical');
    expect(lake.location).toBe('https://acct.dfs.core.windows.net/lake/demand');
    const entities = createEntityStore(settings);
    expect(entities).toBeInstanceOf(AzureEntityStore);
    expect(entities.location).toBe('https://acct.table.core.windows.net');
  });

  it('a *.blob.* lake URL (account without a hierarchical namespace) uses the Blob-only fallbacks', () => {
    const lake = createLakeStore(loadSettings({ DEMAND_LAKE_URL: 'https://acct.blob.core.windows.net/lake' }));
    expect((lake as AzureDataLakeStore).namespace).toBe('flat');
  });

  it('uses the connection string for both when only it is set (lake file system "lake")', () => {
    const settings = loadSettings({ DEMAND_STORAGE_CONNECTION_STRING: fakeConnectionString });
    const lake = createLakeStore(settings);
    expect(lake).toBeInstanceOf(AzureDataLakeStore);
    expect(lake.location).toBe('https://fakeacct.blob.core.windows.net/lake');
    expect((lake as AzureDataLakeStore).namespace).toBe('hierarchical');
    const entities = createEntityStore(settings);
    expect(entities).toBeInstanceOf(AzureEntityStore);
    expect(entities.location).toBe('https://fakeacct.table.core.windows.net');
  });

  it('rejects a lake URL without a valid file system, naming the field', () => {
    expect(() => createLakeStore(loadSettings({ DEMAND_LAKE_URL: 'https://acct.dfs.core.windows.net/Bad_Name' }))).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'lakeUrl' }),
    );
    expect(() => createLakeStore(loadSettings({ DEMAND_LAKE_URL: 'https://acct.dfs.core.windows.net/' }))).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'lakeUrl' }),
    );
  });

  it('parses the abfss:// form', () => {
    const lake = createLakeStore(loadSettings({ DEMAND_LAKE_URL: 'abfss://lake@acct.dfs.core.windows.net/root' }));
    expect(lake).toBeInstanceOf(AzureDataLakeStore);
    expect((lake as AzureDataLakeStore).namespace).toBe('hierarchical');
  });
});
