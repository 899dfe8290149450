import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ndjsonChunks, parseBronzePart, parseNdjsonText, readBronzeRecords, type BronzeRecord } from '../../src/lib/bronze/reader';
import { writeBronzePart } from '../../src/lib/bronze/writer';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';

// Blank and white-space-only lines, CRLF ends, a line that is not JSON, non-ASCII text.
const text = [
  '{"orderLineId":"a","Quantity":1}',
  '',
  '   ',
  '{"orderLineId":"b","Description":"crème brûlée"}\r',
  '\t\r',
  'not json',
  '{"orderLineId":"c"}',
  '',
].join('\n');

describe('Bronze NDJSON in chunks (parallel scanning)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bronze-chunks-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  it('gives the same records and indexes as the streaming reader, whatever the chunk size', async () => {
    const lake = FileSystemLake.fromDirectory(dir);
    const written = await writeBronzePart(lake, 'bronze/orders/ingest_date=2011-01-01/run_id=r', 0, 'ndjson', Buffer.from(text), {
      source: 'orders',
      runId: 'r',
      records: 4,
      pageFrom: null,
      pageTo: null,
      cursorFrom: null,
      cursorTo: null,
      quantitySum: 1,
      problems: {},
    });
    const streamed: BronzeRecord[] = [];
    for await (const rec of readBronzeRecords(lake, written.ref.manifestPath)) streamed.push(rec);
    expect(streamed.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(streamed[2]?.record).toEqual({ __unparseable: 'not json' });
    const sourcePath = streamed[0]?.sourcePath as string;

    const gzipped = await lake.read(sourcePath);
    expect([...parseBronzePart(gzipped, 'ndjson', sourcePath)]).toEqual(streamed);
    for (const chunkBytes of [1, 7, 40, 1 << 20]) {
      const chunks = [...ndjsonChunks(gunzipSync(gzipped), chunkBytes)];
      const records = chunks.flatMap((c) => [...parseNdjsonText(Buffer.from(c.bytes).toString('utf8'), sourcePath, c.firstIndex)]);
      expect(records).toEqual(streamed);
      // Each chunk owns its bytes (it is transferred to a worker on its own).
      for (const c of chunks) expect(c.bytes.byteLength).toBe(c.bytes.buffer.byteLength);
    }
  });
});
