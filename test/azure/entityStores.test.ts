import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TableClient, TableTransaction } from '@azure/data-tables';
import { AzureEntityStore, nullPropertiesProperty } from '../../src/lib/tables/azureEntityStore';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { collect, type Entity } from '../../src/lib/tables/entityStore';
import { azuriteAvailable, startAzurite, type Azurite } from '../support/azurite';
import { entityStoreScenarios, freshTableName, type EntityStoreFixture } from './entityStoreScenarios';
import { expect } from '@jest/globals';

/**
 * One table-driven suite, two adapters: the embedded store (JSON files) and Azure Table storage on
 * Azurite. Every scenario in entityStoreScenarios.ts runs against both.
 */
describe('EmbeddedEntityStore (shared EntityStore scenarios)', () => {
  let dir: string;
  let fixture: EntityStoreFixture;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'entity-store-'));
    const store = EmbeddedEntityStore.fromDirectory(dir);
    fixture = {
      store,
      async seed(tableName: string, entities: Entity[]) {
        const table = await store.table(tableName);
        for (const entity of entities) await table.upsert(entity);
      },
    };
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  it.each(entityStoreScenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    await scenario.run(fixture);
  });
});

if (!azuriteAvailable) console.warn('azurite is not installed: skipping the Azure Table storage scenarios');
const azureSuite = azuriteAvailable ? describe : describe.skip;

azureSuite('AzureEntityStore on Azurite (shared EntityStore scenarios)', () => {
  let azurite: Azurite;
  let fixture: EntityStoreFixture;
  const rawClient = (tableName: string): TableClient =>
    TableClient.fromConnectionString(azurite.connectionString, tableName, { allowInsecureConnection: true });

  beforeAll(async () => {
    azurite = await startAzurite();
    const store = AzureEntityStore.fromConnectionString(azurite.connectionString);
    fixture = {
      store,
      // Entity group transactions: up to 100 operations, one partition each.
      async seed(tableName: string, entities: Entity[]) {
        await store.table(tableName);
        const client = rawClient(tableName);
        const byPartition = new Map<string, Entity[]>();
        for (const e of entities) byPartition.set(e.partitionKey, [...(byPartition.get(e.partitionKey) ?? []), e]);
        for (const group of byPartition.values()) {
          for (let i = 0; i < group.length; i += 100) {
            const transaction = new TableTransaction();
            for (const e of group.slice(i, i + 100)) transaction.createEntity(e as Record<string, string | number | boolean> & Entity);
            await client.submitTransaction(transaction.actions);
          }
        }
      },
    };
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it.each(entityStoreScenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    await scenario.run(fixture);
  });

  describe('Azure specifics', () => {
    it('the 1,200-row scenario really spans several service pages', async () => {
      const name = freshTableName('pages');
      const rows = Array.from({ length: 1200 }, (_, i) => ({ partitionKey: 'p', rowKey: String(i).padStart(5, '0') }));
      await fixture.seed(name, rows);
      let pages = 0;
      for await (const page of rawClient(name).listEntities().byPage()) if (page.length > 0) pages += 1;
      expect(pages).toBeGreaterThanOrEqual(2);
      expect(await collect((await fixture.store.table(name)).list())).toHaveLength(1200);
    });

    it('sends large integers and fractions as Edm.Double, Int32-range integers bare, and null names in one marker property', async () => {
      // Capture the request bodies the adapter's client sends (the SDK's read-side type inference
      // would report any integral value as Int32, so the wire is what shows the stored type).
      const bodies: string[] = [];
      const store = AzureEntityStore.fromClientFactory(azurite.tableUrl, (tableName) => {
        const client = rawClient(tableName);
        client.pipeline.addPolicy({
          name: 'capture-body',
          sendRequest: (request, next) => {
            if (typeof request.body === 'string') bodies.push(request.body);
            return next(request);
          },
        });
        return client;
      });
      const name = freshTableName('types');
      const table = await store.table(name);
      await table.insert({ partitionKey: 'p', rowKey: 'r', big: 1_717_171_717_171, small: 42, frac: 0.5, gone: null, s: 'x' });
      const sent = JSON.parse(bodies.find((b) => b.includes('"big"'))!) as Record<string, unknown>;
      expect(sent).toMatchObject({
        big: 1_717_171_717_171,
        'big@odata.type': 'Edm.Double',
        small: 42,
        frac: 0.5,
        'frac@odata.type': 'Edm.Double',
      });
      expect(sent['small@odata.type']).toBeUndefined();
      expect('gone' in sent).toBe(false);
      expect(sent[nullPropertiesProperty]).toBe('["gone"]');
      const raw = await rawClient(name).getEntity<Record<string, unknown>>('p', 'r');
      expect(raw['gone']).toBeUndefined();
      expect(raw[nullPropertiesProperty]).toBe('["gone"]');
      expect((await table.get('p', 'r'))?.entity).toEqual({
        partitionKey: 'p',
        rowKey: 'r',
        big: 1_717_171_717_171,
        small: 42,
        frac: 0.5,
        gone: null,
        s: 'x',
      });
    });

    it('rejects keys Table storage forbids and reserved property names, naming the field', async () => {
      const table = await fixture.store.table(freshTableName('keys'));
      await expect(table.insert({ partitionKey: 'a/b', rowKey: 'r' })).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'partitionKey',
      });
      await expect(table.insert({ partitionKey: 'p', rowKey: 'r#1' })).rejects.toMatchObject({ name: 'ValidationError', field: 'rowKey' });
      await expect(table.insert({ partitionKey: 'p', rowKey: 'r', timestamp: 'x' })).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'timestamp',
      });
      await expect(table.insert({ partitionKey: 'p', rowKey: 'r', 'bad-name': 1 })).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'bad-name',
      });
      await expect(table.upsert({ partitionKey: 'p', rowKey: 'r', doc: 'x'.repeat(40_000) })).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'doc',
        message: expect.stringMatching(/40000 characters/),
      });
      // At the limit it is stored and read back whole.
      await table.upsert({ partitionKey: 'p', rowKey: 'max', doc: 'y'.repeat(32 * 1024) });
      expect(((await table.get('p', 'max'))?.entity.doc as string).length).toBe(32 * 1024);
      expect(await table.get('p', 'r')).toBeUndefined(); // nothing was written by the rejected calls
    });

    it('reports its location as the table endpoint', () => {
      expect(fixture.store.location).toBe(azurite.tableUrl);
    });
  });
});
