import { EntityConflictError, ValidationError } from '../../src/lib/errors';
import { collect, upsertAll, type Entity, type EntityStore } from '../../src/lib/tables/entityStore';

/**
 * The EntityStore behaviour every adapter must share, written once and run against each adapter
 * (embedded JSON files and Azure Table storage on Azurite), so the two cannot drift apart.
 */
export interface EntityStoreFixture {
  store: EntityStore;
  /** Fast bulk load for the paging scenario (each adapter's own best way; not part of the port). */
  seed: (tableName: string, entities: Entity[]) => Promise<void>;
}

let tableCounter = 0;
/** Table names are per scenario so scenarios never see each other's rows. */
export function freshTableName(prefix: string): string {
  tableCounter += 1;
  return `${prefix}${process.pid}x${tableCounter}`;
}

const sample: Entity = {
  partitionKey: 'orders-api',
  rowKey: 'watermark',
  cursor: 'c-0042',
  lastOrderAtEpochMs: 1_717_171_717_171, // beyond Int32: must survive as a number
  pages: 17,
  negative: -5,
  ratio: 0.125,
  complete: true,
  failed: false,
  empty: '',
  note: null,
};

export interface EntityScenario {
  name: string;
  run(fixture: EntityStoreFixture): Promise<void>;
}

export const entityStoreScenarios: EntityScenario[] = [
  {
    name: 'upsertAll writes many entities over several partitions (more than 100 in one), replacing existing ones, last write of a key winning',
    async run({ store }) {
      const table = await store.table(freshTableName('batch'));
      await table.upsert({ partitionKey: 'run-1', rowKey: 'r000', value: 'old', extra: 1 });
      const entities: Entity[] = [
        ...Array.from({ length: 150 }, (_, i) => ({
          partitionKey: 'run-1',
          rowKey: `r${String(i).padStart(3, '0')}`,
          value: i,
          note: null,
        })),
        ...Array.from({ length: 3 }, (_, i) => ({ partitionKey: 'run-2', rowKey: `r${i}`, value: -i, note: 'x' })),
        { partitionKey: 'run-2', rowKey: 'r0', value: 99, note: 'last' },
      ];
      await upsertAll(table, entities);
      const run1 = await collect(table.list({ partitionKey: 'run-1' }));
      expect(run1).toHaveLength(150);
      expect(run1[0]).toEqual({ partitionKey: 'run-1', rowKey: 'r000', value: 0, note: null });
      expect(await collect(table.list({ partitionKey: 'run-2' }))).toEqual([
        { partitionKey: 'run-2', rowKey: 'r0', value: 99, note: 'last' },
        { partitionKey: 'run-2', rowKey: 'r1', value: -1, note: 'x' },
        { partitionKey: 'run-2', rowKey: 'r2', value: -2, note: 'x' },
      ]);
      await upsertAll(table, []);
      expect(await collect(table.list())).toHaveLength(153);
    },
  },
  {
    name: 'insert then get returns the same entity (all value kinds, null included) and an etag; a missing key is undefined',
    async run({ store }) {
      const table = await store.table(freshTableName('basic'));
      const etag = await table.insert(sample);
      expect(typeof etag).toBe('string');
      expect(etag.length).toBeGreaterThan(0);
      const stored = await table.get(sample.partitionKey, sample.rowKey);
      expect(stored).toEqual({ entity: sample, etag });
      expect(await table.get(sample.partitionKey, 'nope')).toBeUndefined();
      expect(await table.get('nope', sample.rowKey)).toBeUndefined();
    },
  },
  {
    name: 'insert of an existing key throws EntityConflictError (exists) and keeps the first entity',
    async run({ store }) {
      const table = await store.table(freshTableName('insert'));
      await table.insert({ partitionKey: 'p', rowKey: 'r', v: 1 });
      const error = await table.insert({ partitionKey: 'p', rowKey: 'r', v: 2 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EntityConflictError);
      expect((error as EntityConflictError).message).toMatch(/already exists/);
      expect((await table.get('p', 'r'))?.entity.v).toBe(1);
    },
  },
  {
    name: 'replace with the current etag succeeds with a new etag; a stale etag throws EntityConflictError (etag) and changes nothing',
    async run({ store }) {
      const table = await store.table(freshTableName('etag'));
      const first = await table.insert({ partitionKey: 'p', rowKey: 'r', v: 1 });
      const second = await table.replace({ partitionKey: 'p', rowKey: 'r', v: 2 }, { ifMatch: first });
      expect(second).not.toBe(first);
      const error = await table.replace({ partitionKey: 'p', rowKey: 'r', v: 3 }, { ifMatch: first }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EntityConflictError);
      expect((error as EntityConflictError).message).toMatch(/ETag mismatch/);
      expect(await table.get('p', 'r')).toEqual({ entity: { partitionKey: 'p', rowKey: 'r', v: 2 }, etag: second });
    },
  },
  {
    name: 'replace with an etag on a missing entity is an etag conflict',
    async run({ store }) {
      const table = await store.table(freshTableName('gone'));
      const etag = await table.insert({ partitionKey: 'p', rowKey: 'r', v: 1 });
      await table.delete('p', 'r');
      await expect(table.replace({ partitionKey: 'p', rowKey: 'r', v: 2 }, { ifMatch: etag })).rejects.toBeInstanceOf(EntityConflictError);
      expect(await table.get('p', 'r')).toBeUndefined();
    },
  },
  {
    name: 'two optimistic writers with the same etag: exactly one wins',
    async run({ store }) {
      const table = await store.table(freshTableName('race'));
      const etag = await table.insert({ partitionKey: 'p', rowKey: 'r', owner: 'none' });
      const results = await Promise.allSettled(
        ['a', 'b', 'c'].map((owner) => table.replace({ partitionKey: 'p', rowKey: 'r', owner }, { ifMatch: etag })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const lost of results.filter((r) => r.status === 'rejected')) {
        expect(lost.reason).toBeInstanceOf(EntityConflictError);
      }
      const winner = ['a', 'b', 'c'][results.findIndex((r) => r.status === 'fulfilled')];
      expect((await table.get('p', 'r'))?.entity.owner).toBe(winner);
    },
  },
  {
    name: 'replace without an etag and upsert are unconditional, create when missing, and replace whole entities (no merge)',
    async run({ store }) {
      const table = await store.table(freshTableName('upsert'));
      await table.replace({ partitionKey: 'p', rowKey: 'a', x: 1, y: 'keep?' });
      await table.replace({ partitionKey: 'p', rowKey: 'a', x: 2 });
      expect((await table.get('p', 'a'))?.entity).toEqual({ partitionKey: 'p', rowKey: 'a', x: 2 });
      const e1 = await table.upsert({ partitionKey: 'p', rowKey: 'b', x: 1, y: true });
      const e2 = await table.upsert({ partitionKey: 'p', rowKey: 'b', z: null });
      expect(e2).not.toBe(e1);
      expect(await table.get('p', 'b')).toEqual({ entity: { partitionKey: 'p', rowKey: 'b', z: null }, etag: e2 });
    },
  },
  {
    name: 'delete removes; deleting a missing entity is not an error',
    async run({ store }) {
      const table = await store.table(freshTableName('delete'));
      await table.insert({ partitionKey: 'p', rowKey: 'r', v: 1 });
      await table.delete('p', 'r');
      expect(await table.get('p', 'r')).toBeUndefined();
      await expect(table.delete('p', 'r')).resolves.toBeUndefined();
      await expect(table.delete('never', 'there')).resolves.toBeUndefined();
    },
  },
  {
    name: 'list filters by partitionKey and a [rowKeyFrom, rowKeyTo) range, ordered by partitionKey then rowKey',
    async run({ store }) {
      const table = await store.table(freshTableName('filter'));
      const rows: Entity[] = [];
      for (const pk of ['sku-B', 'sku-A', "sku-'quoted'"]) {
        for (const rk of ['2024-01-03', '2024-01-01', '2024-01-02', '2024-02-01'])
          rows.push({ partitionKey: pk, rowKey: rk, qty: rk.length });
      }
      for (const row of rows) await table.insert(row);
      const keys = (entities: Entity[]): string[] => entities.map((e) => `${e.partitionKey}|${e.rowKey}`);

      const all = await collect(table.list());
      expect(keys(all)).toEqual(
        [...rows]
          .sort((a, b) => (a.partitionKey === b.partitionKey ? (a.rowKey < b.rowKey ? -1 : 1) : a.partitionKey < b.partitionKey ? -1 : 1))
          .map((e) => `${e.partitionKey}|${e.rowKey}`),
      );
      expect(keys(await collect(table.list({ partitionKey: 'sku-A' })))).toEqual([
        'sku-A|2024-01-01',
        'sku-A|2024-01-02',
        'sku-A|2024-01-03',
        'sku-A|2024-02-01',
      ]);
      expect(keys(await collect(table.list({ partitionKey: 'sku-B', rowKeyFrom: '2024-01-02', rowKeyTo: '2024-02-01' })))).toEqual([
        'sku-B|2024-01-02',
        'sku-B|2024-01-03',
      ]);
      expect(keys(await collect(table.list({ rowKeyFrom: '2024-02' })))).toEqual([
        "sku-'quoted'|2024-02-01",
        'sku-A|2024-02-01',
        'sku-B|2024-02-01',
      ]);
      // Quotes in values are data, not filter syntax.
      expect(keys(await collect(table.list({ partitionKey: "sku-'quoted'", rowKeyTo: '2024-01-02' })))).toEqual([
        "sku-'quoted'|2024-01-01",
      ]);
      expect(await collect(table.list({ partitionKey: "sku-A' or PartitionKey ne 'x" }))).toEqual([]);
      expect(await collect(table.list({ partitionKey: 'sku-C' }))).toEqual([]);
      expect(all.find((e) => e.partitionKey === 'sku-A' && e.rowKey === '2024-01-01')).toEqual({
        partitionKey: 'sku-A',
        rowKey: '2024-01-01',
        qty: 10,
      });
    },
  },
  {
    name: 'list goes past one service page: 1,200 rows in one partition come back complete and in order',
    async run({ store, seed }) {
      const name = freshTableName('paging');
      const rows: Entity[] = Array.from({ length: 1200 }, (_, i) => ({
        partitionKey: 'runs',
        rowKey: `run-${String(i).padStart(5, '0')}`,
        index: i,
      }));
      rows.push({ partitionKey: 'zz-other', rowKey: 'only', index: -1 });
      await seed(name, rows);
      const table = await store.table(name);
      const all = await collect(table.list());
      expect(all).toHaveLength(1201);
      expect(all.slice(0, 1200).map((e) => e.index)).toEqual(rows.slice(0, 1200).map((e) => e.index));
      expect(all[1200]).toEqual({ partitionKey: 'zz-other', rowKey: 'only', index: -1 });
      const range = await collect(table.list({ partitionKey: 'runs', rowKeyFrom: 'run-00990', rowKeyTo: 'run-01010' }));
      expect(range.map((e) => e.index)).toEqual(Array.from({ length: 20 }, (_, i) => 990 + i));
    },
  },
  {
    name: 'table names are checked: letters and digits, starting with a letter',
    async run({ store }) {
      await expect(store.table('bad-name')).rejects.toBeInstanceOf(ValidationError);
      await expect(store.table('1abc')).rejects.toMatchObject({ name: 'ValidationError', field: 'table' });
      const same = freshTableName('open');
      const first = await store.table(same);
      await first.insert({ partitionKey: 'p', rowKey: 'r' });
      // Opening again (another handle) sees the same rows.
      expect((await (await store.table(same)).get('p', 'r'))?.entity).toEqual({ partitionKey: 'p', rowKey: 'r' });
    },
  },
];
