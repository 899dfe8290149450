import { gunzipSync, gzipSync } from 'node:zlib';
import { GzipPart } from '../../src/lib/ingest/gzipPart';

const records = Array.from({ length: 3000 }, (_, i) => ({
  orderLineId: `${i}-0001`,
  StockCode: `SKU${i % 97}`,
  Quantity: i % 13,
  note: i % 5 ? 'x' : undefined,
}));

async function partOf(pages: readonly unknown[][]): Promise<{ gz: Buffer; records: number }> {
  const part = new GzipPart();
  for (const page of pages) await part.add(page);
  return { records: part.records, gz: await part.end() };
}

describe('GzipPart: a Bronze part gzipped page by page', () => {
  const atOnce = gzipSync(Buffer.from(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`));

  it.each([1, 7, 500, 3000])('pages of %i records give the same bytes as gzipping the whole part at once', async (size) => {
    const pages: unknown[][] = [];
    for (let i = 0; i < records.length; i += size) pages.push(records.slice(i, i + size));
    const { gz, records: count } = await partOf(pages);
    expect(count).toBe(records.length);
    expect(gz.equals(atOnce)).toBe(true);
  });

  it('empty pages add nothing; a part with no records is the gzip of an empty payload', async () => {
    const { gz, records: count } = await partOf([[], []]);
    expect(count).toBe(0);
    expect(gz.equals(gzipSync(Buffer.alloc(0)))).toBe(true);
    expect(gunzipSync(gz).length).toBe(0);
  });

  it('a record JSON cannot represent is kept as null, one line per record', async () => {
    const { gz } = await partOf([[undefined, { a: 1 }]]);
    expect(gunzipSync(gz).toString('utf8')).toBe('null\n{"a":1}\n');
  });
});
