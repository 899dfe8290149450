/**
 * The scan pass cuts gzipped NDJSON parts into worker chunks as they inflate: the chunks are exactly
 * those of the whole decompressed part, and the main thread holds a bounded number of chunk bytes
 * whatever the size of the part or of the fleet (it once held each whole decompressed part and
 * every chunk copy of it: about 50 MB at 32,000 SKUs).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ndjsonChunks } from '../../src/lib/bronze/reader';
import { writeBronzePart } from '../../src/lib/bronze/writer';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { gunzippedNdjsonChunks } from '../../src/lib/silver/ndjsonStreamChunks';
import { defaultRuleSet } from '../../src/lib/silver/ruleSet';
import { runScanPass, type ScanPassStats } from '../../src/lib/silver/scanPass';
import { SilverPool } from '../../src/lib/silver/silverPool';

async function collect(gzipped: Uint8Array, chunkBytes: number): Promise<Array<{ bytes: Uint8Array; firstIndex: number }>> {
  const out: Array<{ bytes: Uint8Array; firstIndex: number }> = [];
  for await (const c of gunzippedNdjsonChunks(gzipped, chunkBytes)) out.push(c);
  return out;
}

/** Deterministic NDJSON text: records of varied length, blank and white-space lines, CRLF, a long line. */
function ndjsonText(lines: number, seed: number): string {
  let x = seed;
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const r = rnd();
    if (r < 0.05) out.push('');
    else if (r < 0.08) out.push(' \t\r');
    else if (r < 0.09) out.push(`{"long":"${'x'.repeat(3000)}"}`);
    else out.push(`{"orderLineId":"l${i}","Description":"${'crème '.repeat(Math.floor(rnd() * 20))}"}${r < 0.2 ? '\r' : ''}`);
  }
  return out.join('\n');
}

function orderRecords(skus: number, linesPerSku: number): string {
  const lines: string[] = [];
  for (let s = 0; s < skus; s++)
    for (let k = 0; k < linesPerSku; k++)
      lines.push(
        JSON.stringify({
          orderLineId: `o${s}-${k}`,
          InvoiceNo: `${500000 + s * linesPerSku + k}`,
          StockCode: `SKU${s}`,
          Description: `ITEM ${s}`,
          Quantity: 1 + (k % 5),
          InvoiceDate: `2011-0${1 + (k % 3)}-1${k % 10} 10:00:00`,
          UnitPrice: 2.5,
          CustomerID: `${12000 + (k % 50)}`,
          Country: 'United Kingdom',
        }),
      );
  return `${lines.join('\n')}\n`;
}

describe('scan chunks cut while a part inflates', () => {
  it('are byte for byte the chunks of the whole decompressed part, with the same first record indexes', async () => {
    for (const [text, chunkBytes] of [
      [ndjsonText(400, 1), 1],
      [ndjsonText(400, 2), 100],
      [ndjsonText(2000, 3), 4096],
      [`${ndjsonText(2000, 4)}\n`, 70_000],
      [ndjsonText(50, 5), 1 << 20],
      ['', 10],
      ['\n\n', 1],
      [`{"a":1}`, 3],
    ] as const) {
      const gzipped = gzipSync(Buffer.from(text));
      const expected = [...ndjsonChunks(gunzipSync(gzipped), chunkBytes)];
      const streamed = await collect(gzipped, chunkBytes);
      expect(streamed.map((c) => c.firstIndex)).toEqual(expected.map((c) => c.firstIndex));
      expect(streamed.map((c) => Buffer.from(c.bytes).toString('latin1'))).toEqual(
        expected.map((c) => Buffer.from(c.bytes).toString('latin1')),
      );
      // Each chunk owns its bytes (it is transferred to a worker on its own).
      for (const c of streamed) expect(c.bytes.byteLength).toBe(c.bytes.buffer.byteLength);
    }
  });
});

describe('the scan pass on worker threads', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scan-chunks-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  async function scan(skus: number, chunkBytes: number): Promise<{ read: number; stats: ScanPassStats; text: string }> {
    const lake = FileSystemLake.fromDirectory(path.join(dir, `lake-${skus}-${chunkBytes}`));
    const text = orderRecords(skus, 4);
    const written = await writeBronzePart(lake, 'bronze/orders/ingest_date=2011-05-01/run_id=run-1', 0, 'ndjson', Buffer.from(text), {
      source: 'orders',
      runId: 'run-1',
      records: skus * 4,
      pageFrom: null,
      pageTo: null,
      cursorFrom: null,
      cursorTo: null,
      quantitySum: 0,
      problems: {},
    });
    const spillDir = path.join(dir, `spill-${skus}-${chunkBytes}`);
    await fs.mkdir(spillDir);
    const pool = SilverPool.create({ workers: 1 });
    const stats: ScanPassStats = { peakBytesHeld: 0 };
    try {
      const summary = await runScanPass(
        lake,
        { orderParts: [written.ref.manifestPath], chunkBytes, stats },
        defaultRuleSet(),
        pool,
        spillDir,
      );
      return { read: summary.read, stats, text };
    } finally {
      await pool.close();
    }
  }

  it('holds at most a few chunks of a part, not the part: the same bound for a fleet four times as large', async () => {
    const chunkBytes = 16 * 1024;
    const small = await scan(250, chunkBytes);
    const large = await scan(1000, chunkBytes);
    expect(small.read).toBe(1000);
    expect(large.read).toBe(4000);
    // The part is fifty chunks long, yet at most two chunks (one scanning, one queued with one worker)
    // and the buffer the next is cut from (a few chunks at most) are held.
    expect(large.text.length).toBeGreaterThan(48 * chunkBytes);
    const bound = 8 * chunkBytes;
    expect(large.stats.peakBytesHeld).toBeGreaterThan(0);
    expect(large.stats.peakBytesHeld).toBeLessThanOrEqual(bound);
    expect(large.stats.peakBytesHeld).toBeLessThan(large.text.length / 2);
    expect(small.stats.peakBytesHeld).toBeLessThanOrEqual(bound);
  }, 30_000);
});
