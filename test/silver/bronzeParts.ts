import { writeBronzePart } from '../../src/lib/bronze/writer';
import type { FileSystemLake } from '../../src/lib/lake/fileSystemLake';

/** Order records landed as NDJSON Bronze parts of one ingest run (`recordsPerPart` each); their manifest paths. */
export async function writeOrderParts(
  lake: FileSystemLake,
  records: Array<Record<string, unknown>>,
  recordsPerPart: number = records.length,
): Promise<string[]> {
  const manifests: string[] = [];
  for (let part = 0, from = 0; from < records.length; part++, from += recordsPerPart) {
    const chunk = records.slice(from, from + recordsPerPart);
    const written = await writeBronzePart(
      lake,
      'bronze/orders/ingest_date=2011-05-01/run_id=run-1',
      part,
      'ndjson',
      Buffer.from(`${chunk.map((r) => JSON.stringify(r)).join('\n')}\n`),
      {
        source: 'orders',
        runId: 'run-1',
        records: chunk.length,
        pageFrom: null,
        pageTo: null,
        cursorFrom: null,
        cursorTo: null,
        quantitySum: chunk.reduce((s, r) => s + (typeof r.Quantity === 'number' ? r.Quantity : 0), 0),
        problems: {},
      },
    );
    manifests.push(written.ref.manifestPath);
  }
  return manifests;
}
