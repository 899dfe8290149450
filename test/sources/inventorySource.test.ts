/** Inventory snapshots through a source definition: a partner's own columns, a timestamp on the shop day, bad rows quarantined by field. */
import { gzipSync } from 'node:zlib';
import { readBronzeRecords, readManifest } from '../../src/lib/bronze/reader';
import { openLakeTable } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { buildSilverTables, type InventorySourceRecord } from '../../src/lib/silver/silverBuild';
import { ingestInventoryFiles, parseInventoryDefinition } from '../../src/lib/sources/inventorySource';
import { tempDir } from '../ingest/helpers';

const definition = {
  kind: 'files',
  folder: 'landing/stock',
  delimiter: ';',
  timeZone: 'UTC',
  shopTimeZone: 'Europe/Berlin',
  fields: { sku: 'Artikelnummer', snapshotDate: 'Stand', onHand: 'Bestand', onOrder: 'Bestellt' },
};

describe('inventory source definition', () => {
  it('maps a partner stock file to snapshot rows on the shop day, quarantines the bad row naming the field, rejects an unreadable file', async () => {
    const { dir, cleanup } = await tempDir('demand-inv-source-');
    try {
      const lake = FileSystemLake.fromDirectory(dir);
      await lake.put(
        'landing/stock/lager.csv.gz',
        gzipSync(
          'Artikelnummer;Bestand;Bestellt;Stand\n85123a;120;0;2024-03-30T23:30:00Z\n22423;7;;2024-03-31\n47566;viele;5;2024-03-31\n',
        ),
      );
      await lake.put('landing/stock/lager.json', Buffer.from('{}'));
      const def = parseInventoryDefinition(definition, 'test');
      const out = await ingestInventoryFiles({
        definition: def,
        shopTimeZone: 'Europe/Berlin',
        runId: 'run-1',
        runDate: '2024-04-01',
        lake,
      });
      expect(out).toMatchObject({ filesFound: 2, filesIngested: 1, filesRejected: 1, records: 3 });
      expect(out.rejected[0]?.reason).toMatch(/unsupported file type/);
      expect(await lake.exists('landing/stock/processed/lager.csv.gz')).toBe(true);
      const manifest = await readManifest(lake, out.batches[0]!.manifestPath);
      expect(manifest.problems).toEqual({ 'unmapped:onHand': 1 });

      async function* inventory(): AsyncIterable<InventorySourceRecord> {
        for (const b of out.batches)
          for await (const rec of readBronzeRecords(lake, b.manifestPath)) yield { ...rec, sourceFile: 'landing/stock/lager.csv.gz' };
      }
      const silver = await buildSilverTables(lake, { runId: 'run-1', inventory: inventory(), workers: 0 });
      expect(silver.inventoryRows).toBe(2);
      expect(silver.quarantineReasons).toEqual({ 'schema_invalid:on_hand': 1 });
      const rows = await openLakeTable(lake, lakeTables.inventory_snapshots).readAll();
      expect(rows.map((r) => [r.sku, String(r.snapshot_date).slice(0, 10), r.on_hand, r.on_order]).sort()).toEqual([
        ['22423', '2024-03-31', 7, null],
        // 23:30Z on 30 March is 00:30 on 31 March in Berlin: the shop's day.
        ['85123A', '2024-03-31', 120, 0],
      ]);
    } finally {
      await cleanup();
    }
  });
});
