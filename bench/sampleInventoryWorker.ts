/**
 * Writes the bench's weekly inventory snapshots on a worker thread: the generator keeps every
 * SKU-day's demand in memory, which is the sample's cost, not the pipeline's; on its own thread
 * that heap is gone when the worker ends, so the stages measured after it do not carry it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FileSystemLake } from '../src/lib/lake/fileSystemLake';
import { writeSampleInventory } from '../src/lib/sample/inventorySnapshots';
import { readOnlineRetailTwoYears } from '../src/lib/sample/onlineRetailCsv';
import { syntheticFleet, syntheticOrders, type SyntheticFleetOptions } from '../src/lib/sample/syntheticFleet';
import type { OrderRecord } from '../src/lib/ingest/orderRecord';

export interface SampleInventoryJob {
  lakeDir: string;
  landingPrefix: string;
  fleet?: SyntheticFleetOptions;
  paths?: { onlineRetailII: string; onlineRetail: string };
  /** Orders from this day on are held back (YYYY-MM-DD). */
  until?: string;
}

async function run(job: SampleInventoryJob): Promise<{ files: number; rows: number }> {
  const fleet = job.fleet ? syntheticFleet(job.fleet) : undefined;
  const orders = async function* (): AsyncIterable<OrderRecord> {
    const source = fleet ? syntheticOrders(fleet) : readOnlineRetailTwoYears(job.paths!);
    for await (const r of source) if (!job.until || String(r.InvoiceDate).slice(0, 10) < job.until) yield r;
  };
  const out = await writeSampleInventory(FileSystemLake.fromDirectory(job.lakeDir), { orders: orders(), landingPrefix: job.landingPrefix });
  return { files: out.files.length, rows: out.rows };
}

if (parentPort) {
  const port = parentPort;
  run(workerData as SampleInventoryJob).then(
    (result) => port.postMessage({ ok: true, ...result }),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
}
