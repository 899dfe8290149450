/** The product catalogue source: its per-SKU supplier lead time replaces DEMAND_LEAD_TIME_DAYS in the inventory policy. */
import { gzipSync } from 'node:zlib';
import { openLakeTable } from '../../src/lib/delta';
import { planInventory } from '../../src/activities/planInventory';
import { lakeTables } from '../../src/lib/lakeTables';
import { readCatalogue, parseCatalogueDefinition } from '../../src/lib/sources/catalogue';
import { createFixtureLake, fixtureOrigin, fixtureRunId, fixtureSkus } from '../publish/lakeFixture';

const definition = {
  kind: 'files',
  folder: 'landing/catalogue',
  fields: { sku: 'Artikel', description: 'Name', leadTimeDays: 'Lieferzeit', unitCost: 'EK', packSize: 'VE' },
};

describe('product catalogue source', () => {
  it('plans a SKU with its catalogue lead time and the others with the setting; a later file wins; bad values are problems', async () => {
    const fixture = await createFixtureLake({
      tables: ['forecasts', 'daily_demand', 'inventory_snapshots'],
      settings: {
        DEMAND_SERVICE_LEVEL: '0.9',
        DEMAND_LEAD_TIME_DAYS: '5',
        DEMAND_REVIEW_PERIOD_DAYS: '7',
        DEMAND_CATALOGUE_SOURCE: JSON.stringify(definition),
      },
    });
    try {
      const [a, b, c] = fixtureSkus as [string, string, string];
      const lake = fixture.services.lake;
      await lake.put(
        'landing/catalogue/2024-01.csv',
        Buffer.from(`Artikel,Name,Lieferzeit,EK,VE\n${a.toLowerCase()} ,Alpha,30,1.5,6\n${b},Beta,zwölf,2,1\n`),
      );
      await lake.put('landing/catalogue/2024-02.csv.gz', gzipSync(`Artikel,Name,Lieferzeit,EK,VE\n${a},Alpha,21,1.5,6\n`));
      const catalogue = await readCatalogue(lake, parseCatalogueDefinition(definition, 'test'));
      expect(catalogue.entries.get(a)).toMatchObject({ sku: a, description: 'Alpha', leadTimeDays: 21, unitCost: 1.5, packSize: 6 });
      expect(catalogue.entries.get(b)?.leadTimeDays).toBeNull();
      expect(catalogue.problems).toEqual([
        { file: 'landing/catalogue/2024-01.csv', record: 2, field: 'leadTimeDays', detail: '"zwölf": expected a whole number >= 0' },
      ]);

      await planInventory({ runId: fixtureRunId, runDate: fixtureOrigin, startedAt: `${fixtureOrigin}T02:00:00Z` }, fixture.services);
      const rows = await openLakeTable(lake, lakeTables.inventory_actions).readAll();
      const leadTime = Object.fromEntries(rows.map((r): [string, unknown] => [r['sku'] as string, r['lead_time_days']]));
      expect(leadTime).toEqual({ [a]: 21, [b]: 5, [c]: 5 });
      // A longer lead time needs more stock to cover it.
      const withoutCatalogue = await createFixtureLake({
        tables: ['forecasts', 'daily_demand', 'inventory_snapshots'],
        settings: { DEMAND_SERVICE_LEVEL: '0.9', DEMAND_LEAD_TIME_DAYS: '5', DEMAND_REVIEW_PERIOD_DAYS: '7' },
      });
      try {
        await planInventory(
          { runId: fixtureRunId, runDate: fixtureOrigin, startedAt: `${fixtureOrigin}T02:00:00Z` },
          withoutCatalogue.services,
        );
        const base = await openLakeTable(withoutCatalogue.services.lake, lakeTables.inventory_actions).readAll();
        const rp = (rs: typeof rows, sku: string): number => Number(rs.find((r) => r.sku === sku)?.reorder_point);
        expect(rp(rows, a)).toBeGreaterThan(rp(base, a));
        expect(rp(rows, b)).toBe(rp(base, b));
      } finally {
        await withoutCatalogue.cleanup();
      }
    } finally {
      await fixture.cleanup();
    }
  });
});
