import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings, type PipelineSettings, type SettingName } from '../../src/lib/config/settings';
import type { OrderRecord } from '../../src/lib/ingest/orderRecord';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { readBronzeRecords, readManifest } from '../../src/lib/bronze/reader';
import { OrdersClient } from '../../src/lib/ingest/ordersClient';
import { adapterFactories } from '../../src/composition/services';

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** n order lines spread over days from 2011-01-03, a few lines per invoice, quantities 1..50. */
export function makeOrders(n: number, options: { startDay?: number; idPrefix?: string } = {}): OrderRecord[] {
  const out: OrderRecord[] = [];
  const start = Date.UTC(2011, 0, 3) + (options.startDay ?? 0) * 86_400_000;
  for (let i = 0; i < n; i++) {
    const invoice = `${options.idPrefix ?? ''}${600000 + Math.floor(i / 3)}`;
    const at = new Date(start + Math.floor(i / 3) * 37 * 60_000);
    out.push({
      orderLineId: `${invoice}-${String((i % 3) + 1).padStart(4, '0')}`,
      InvoiceNo: invoice,
      StockCode: `2${String(i % 40).padStart(4, '0')}`,
      Description: `ITEM ${i % 40}`,
      Quantity: 1 + ((i * 7) % 50),
      InvoiceDate: at.toISOString().slice(0, 19).replace('T', ' '),
      UnitPrice: 1.25,
      CustomerID: '17850.0',
      Country: 'United Kingdom',
    });
  }
  return out;
}

export function settingsWith(overrides: Partial<Record<SettingName, string>>): PipelineSettings {
  return loadSettings({}, overrides);
}

export function servicesFor(
  settings: PipelineSettings,
  lake: LakeStore,
  stateDir: string,
  extra: Partial<PipelineServices> = {},
): PipelineServices {
  return {
    settings,
    lake,
    entities: EmbeddedEntityStore.fromDirectory(stateDir),
    log: () => undefined,
    ...extra,
    adapters: extra.adapters ?? adapterFactories,
  };
}

export function lakeAt(dir: string): FileSystemLake {
  return FileSystemLake.fromDirectory(dir);
}

/** Everything the given manifests hold, read back through the Bronze reader. */
export async function readAll(
  lake: LakeStore,
  manifestPaths: string[],
): Promise<{ records: unknown[]; manifestRecords: number; manifestQuantity: number }> {
  const records: unknown[] = [];
  let manifestRecords = 0;
  let manifestQuantity = 0;
  for (const manifestPath of manifestPaths) {
    const manifest = await readManifest(lake, manifestPath);
    manifestRecords += manifest.records;
    manifestQuantity += manifest.quantitySum;
    for await (const { record } of readBronzeRecords(lake, manifestPath)) records.push(record);
  }
  return { records, manifestRecords, manifestQuantity };
}

export const sumQuantity = (records: Array<{ Quantity: unknown }>): number =>
  records.reduce((s, r) => s + (typeof r.Quantity === 'number' ? r.Quantity : 0), 0);

/** An orders client for a local test API: pages of 10, a short retry budget so a failing test ends quickly. */
export function testOrdersClient(url: string): OrdersClient {
  return OrdersClient.fromOptions({ source: 'orders', url, pageSize: 10, requestTimeoutInMs: 30_000, retryBudgetInMs: 5_000 });
}
