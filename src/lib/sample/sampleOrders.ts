import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { OrderRecord } from '../ingest/orderRecord';
import { readOnlineRetailCsv } from './onlineRetailCsv';

const packageName = 'azure-demand-forecast';

/** The package root, found upwards from this file, so it works from src/ (ts-jest) and dist/src/. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    // dist/ holds a copy of package.json (a JSON import emits it), so also require the sample folder.
    if (existsSync(manifest) && existsSync(path.join(dir, 'sample'))) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === packageName) return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Package root of ${packageName} not found above ${from}`);
    dir = parent;
  }
}

/** The bundled excerpt of UCI Online Retail (see sample/ATTRIBUTION.md). */
export function sampleOrdersFile(): string {
  return path.join(packageRoot(), 'sample', 'orders', 'online_retail_sample.csv.gz');
}

/** The bundled sample's order lines, in the orders API's order (InvoiceDate, orderLineId). */
export async function* loadSampleOrders(options: { abortSignal?: AbortSignal } = {}): AsyncIterable<OrderRecord> {
  yield* readOnlineRetailCsv(sampleOrdersFile(), options);
}
