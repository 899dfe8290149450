/**
 * The files kind (CSV, NDJSON, Parquet, gzipped or not; an unreadable file rejected with a reason),
 * `demand sources check` on a definition, shop-day bucketing around midnight and DST changes, and
 * the quarantine threshold's verdict.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { main } from '../../src/cli/main';
import { readBronzeRecords } from '../../src/lib/bronze/reader';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { CanonicalOrderLine, UnmappedOrderRecord } from '../../src/lib/orders/canonicalOrderLine';
import { assessQuarantine } from '../../src/lib/quality/quarantineGate';
import type { FilesSourceDefinition } from '../../src/lib/sources/definition';
import { compileOrderMapping } from '../../src/lib/sources/fieldMapping';
import { ingestOrderFiles } from '../../src/lib/sources/files/ingestOrderFiles';
import { parseSourceDefinition } from '../../src/lib/sources/loadDefinition';
import { instantOfWallTime, localDateTime } from '../../src/lib/sources/zonedTime';
import { parseTimestamp } from '../../src/lib/sources/timestamps';
import { tempDir } from '../ingest/helpers';
import { captureCli } from './cliHarness';

const flatDefinition = {
  kind: 'files',
  folder: 'landing/orders',
  timeZone: 'Europe/Berlin',
  fields: {
    orderId: 'order',
    lineId: 'line',
    sku: 'item.sku',
    quantity: 'qty',
    unitPrice: 'price',
    orderedAt: 'at',
    status: { path: 'state', map: { storniert: 'cancelled', retour: 'returned' }, default: 'placed' },
    customerId: 'customer',
  },
};

const rows = [
  { order: 'A-1', line: '1', sku: 'sku-1', qty: '2', price: '9.90', at: '2024-03-30 23:30:00', state: 'versandt', customer: 'k1' },
  { order: 'A-1', line: '2', sku: 'sku-1', qty: '2', price: '9.90', at: '2024-03-30 23:30:00', state: 'versandt', customer: 'k1' },
  { order: 'A-2', line: '1', sku: 'sku-2', qty: '1', price: '5', at: '2024-03-31T02:30:00+02:00', state: 'storniert', customer: 'k2' },
  { order: 'A-3', line: '1', sku: 'sku-3', qty: '1', price: '5', at: '2024-03-31T00:30:00Z', state: 'retour', customer: 'k3' },
];
const csv = (rs: typeof rows): string =>
  `order,line,item.sku,qty,price,at,state,customer\n${rs.map((r) => [r.order, r.line, r.sku, r.qty, r.price, r.at, r.state, r.customer].join(',')).join('\n')}\n`;
const ndjson = (rs: typeof rows): string =>
  rs.map((r) => JSON.stringify({ ...r, item: { sku: r.sku }, sku: undefined, qty: Number(r.qty) })).join('\n');
function parquet(rs: typeof rows): Buffer {
  const col = (name: keyof (typeof rows)[number]) => ({
    name: name === 'sku' ? 'item.sku' : name,
    data: rs.map((r) => r[name]),
    type: 'STRING' as const,
  });
  return Buffer.from(
    parquetWriteBuffer({
      columnData: [
        col('order'),
        col('line'),
        col('sku'),
        { name: 'qty', data: rs.map((r) => Number(r.qty)), type: 'INT32' },
        { name: 'price', data: rs.map((r) => Number(r.price)), type: 'DOUBLE' },
        col('at'),
        col('state'),
        col('customer'),
      ],
    }),
  );
}

describe('files kind', () => {
  it('reads CSV, NDJSON and Parquet, gzipped or not, into canonical lines; rejects an unreadable file with its reason', async () => {
    const { dir, cleanup } = await tempDir('demand-files-');
    try {
      const lake = FileSystemLake.fromDirectory(dir);
      const definition = parseSourceDefinition(flatDefinition, 'test') as FilesSourceDefinition;
      const files: Record<string, Buffer> = {
        'a.csv': Buffer.from(csv(rows)),
        'b.csv.gz': gzipSync(csv(rows)),
        'c.ndjson': Buffer.from(ndjson(rows)),
        'd.jsonl.gz': gzipSync(ndjson(rows)),
        'e.parquet': parquet(rows),
        'f.parquet.gz': gzipSync(parquet(rows)),
        'g.csv': Buffer.from('order,line\n"A-1,1\n'),
        'h.xlsx': Buffer.from('PK\u0003\u0004'),
      };
      for (const [name, bytes] of Object.entries(files)) await lake.put(`landing/orders/${name}`, bytes);
      const out = await ingestOrderFiles({
        source: 'orders',
        definition,
        shopTimeZone: 'Europe/Berlin',
        runId: 'run-1',
        runDate: '2024-04-01',
        lake,
      });
      expect(out.filesFound).toBe(8);
      expect(out.filesRejected).toBe(2);
      expect(out.rejected.map((r) => r.file)).toEqual(['landing/orders/g.csv', 'landing/orders/h.xlsx']);
      expect(out.rejected[0]!.reason).toMatch(/CSV does not parse/);
      expect(out.rejected[1]!.reason).toMatch(/unsupported file type/);
      expect((await lake.read('landing/orders/rejected/g.csv.reason.txt')).toString()).toMatch(/CSV does not parse/);
      for (const name of ['a.csv', 'b.csv.gz', 'c.ndjson', 'd.jsonl.gz', 'e.parquet', 'f.parquet.gz'])
        expect(await lake.exists(`landing/orders/processed/${name}`)).toBe(true);
      expect(out.batches).toHaveLength(6);
      expect(out.records).toBe(24);
      expect(out.problems).toEqual({});
      for (const batch of out.batches) {
        const lines: CanonicalOrderLine[] = [];
        for await (const rec of readBronzeRecords(lake, batch.manifestPath)) lines.push(rec.record as CanonicalOrderLine);
        expect(lines.map((l) => [l.orderId, l.lineId, l.sku, l.quantity, l.unitPrice, l.status, l.orderedAtLocal])).toEqual([
          ['A-1', '1', 'sku-1', 2, 9.9, 'placed', '2024-03-30T23:30:00'],
          ['A-1', '2', 'sku-1', 2, 9.9, 'placed', '2024-03-30T23:30:00'],
          // Written with its offset: 02:30+02:00 is 00:30Z, still 01:30 CET on the shop's clock.
          ['A-2', '1', 'sku-2', 1, 5, 'cancelled', '2024-03-31T01:30:00'],
          // 00:30Z on the morning clocks went forward in Berlin (02:00 CET → 03:00 CEST) is 01:30 CET.
          ['A-3', '1', 'sku-3', 1, 5, 'returned', '2024-03-31T01:30:00'],
        ]);
      }
      // A re-run of the run finds nothing new in landing and returns the committed parts.
      const again = await ingestOrderFiles({
        source: 'orders',
        definition,
        shopTimeZone: 'Europe/Berlin',
        runId: 'run-1',
        runDate: '2024-04-01',
        lake,
      });
      expect(again.batches).toEqual(out.batches);
    } finally {
      await cleanup();
    }
  });

  it('keeps a record it cannot map, naming every problem by field', () => {
    const definition = parseSourceDefinition(flatDefinition, 'test');
    const map = compileOrderMapping(definition.fields, { timeZone: 'Europe/Berlin', shopTimeZone: 'Europe/Berlin' });
    const mapped = map({
      record: { order: 'A-9', line: '', 'item.sku': 'x', qty: '1.5', price: 'n/a', at: '2024-02-30 10:00:00', state: 'weird' },
    });
    expect(mapped.ok).toBe(false);
    const problems = (mapped as { problems: UnmappedOrderRecord['problems'] }).problems;
    expect(problems.map((p) => p.field)).toEqual(['lineId', 'quantity', 'unitPrice', 'orderedAt']);
    expect(problems.find((p) => p.field === 'orderedAt')?.detail).toMatch(/not a real calendar date/);
  });

  it('refuses a definition naming the bad key and value', () => {
    expect(() => parseSourceDefinition({ ...flatDefinition, timeZone: 'Europe/Berlln' }, 'x.json')).toThrow(
      /"timeZone" = "Europe\/Berlln" is not an IANA time zone/,
    );
    expect(() => parseSourceDefinition({ ...flatDefinition, kind: 'ftp' }, 'x.json')).toThrow(/"kind"/);
    expect(() => parseSourceDefinition({ ...flatDefinition, fields: { ...flatDefinition.fields, sku: undefined } }, 'x.json')).toThrow(
      /"fields.sku"/,
    );
  });
});

describe('demand sources check', () => {
  it('prints the canonical lines and the problems by field without moving anything; exit 1 on problems', async () => {
    const { dir, cleanup } = await tempDir('demand-check-');
    try {
      await fs.writeFile(path.join(dir, 'def.json'), JSON.stringify(flatDefinition));
      await fs.mkdir(path.join(dir, 'lake', 'landing', 'orders'), { recursive: true });
      const landed = path.join(dir, 'lake', 'landing', 'orders', 'x.csv');
      await fs.writeFile(landed, csv([...rows, { ...rows[0]!, order: 'B-1', qty: 'zwei', at: '31.03.2024' }]));
      const cli = captureCli();
      await main(['node', 'demand', '--workspace', dir, 'sources', 'check', path.join(dir, 'def.json')], cli.context);
      const text = cli.out.join('\n');
      expect(text).toMatch(/Read 5 record\(s\) from landing\/orders\/x.csv/);
      expect(text).toMatch(/#1 order A-1 line 1 {2}sku sku-1 {2}qty 2 {2}price 9.9/);
      expect(text).toMatch(/Statuses: placed 2, cancelled 1, returned 1/);
      expect(text).toMatch(/quantity: 1 record\(s\)\n {4}record #5: "zwei": expected a whole number/);
      expect(text).toMatch(/orderedAt: 1 record\(s\)\n {4}record #5: "31.03.2024": expected ISO 8601/);
      expect(cli.exitCode()).toBe(1);
      expect(await fs.stat(landed)).toBeTruthy(); // still in landing

      const ok = captureCli();
      await main(['node', 'demand', 'sources', 'check', path.join(dir, 'def.json'), '--file', await writeGood(dir), '--json'], ok.context);
      const report = JSON.parse(ok.out[0] as string) as { records: number; problems: unknown[]; lines: unknown[] };
      expect(report).toMatchObject({ records: 4, problems: [] });
      expect(report.lines).toHaveLength(4);
      expect(ok.exitCode()).toBe(0);
    } finally {
      await cleanup();
    }
  });
});

async function writeGood(dir: string): Promise<string> {
  const file = path.join(dir, 'good.csv');
  await fs.writeFile(file, csv(rows));
  return file;
}

describe('shop days around midnight and DST changes', () => {
  const at = (text: string, zone: string): number => {
    const r = parseTimestamp(text, 'auto', zone);
    if (!r.ok) throw new Error(r.detail);
    return r.epochMs;
  };
  it('puts an instant on the shop’s calendar day, either side of midnight', () => {
    expect(localDateTime(Date.parse('2017-10-03T02:59:59Z'), 'America/Sao_Paulo')).toBe('2017-10-02T23:59:59');
    expect(localDateTime(Date.parse('2017-10-03T03:00:00Z'), 'America/Sao_Paulo')).toBe('2017-10-03T00:00:00');
    expect(localDateTime(Date.parse('2024-03-01T04:59:59Z'), 'America/New_York')).toBe('2024-02-29T23:59:59');
  });
  it('reads local times across DST: São Paulo 2017 (midnight skipped, 23:00 repeated) and London', () => {
    // Brazil moved clocks from 00:00 to 01:00 on 2017-10-15: 00:30 did not exist; read as 01:30 -02:00.
    expect(new Date(at('2017-10-15 00:30:00', 'America/Sao_Paulo')).toISOString()).toBe('2017-10-15T03:30:00.000Z');
    expect(new Date(at('2017-10-15 01:30:00', 'America/Sao_Paulo')).toISOString()).toBe('2017-10-15T03:30:00.000Z');
    expect(new Date(at('2017-10-14 23:30:00', 'America/Sao_Paulo')).toISOString()).toBe('2017-10-15T02:30:00.000Z');
    // On 2018-02-18 00:00 clocks went back to 23:00: 23:30 on the 17th happened twice; the first is taken.
    expect(new Date(at('2018-02-17 23:30:00', 'America/Sao_Paulo')).toISOString()).toBe('2018-02-18T01:30:00.000Z');
    expect(localDateTime(Date.parse('2018-02-18T02:30:00Z'), 'America/Sao_Paulo')).toBe('2018-02-17T23:30:00');
    expect(new Date(at('2017-10-29 01:30:00', 'Europe/London')).toISOString()).toBe('2017-10-29T00:30:00.000Z');
    expect(new Date(at('2017-03-26 01:30:00', 'Europe/London')).toISOString()).toBe('2017-03-26T01:30:00.000Z');
    expect(instantOfWallTime({ year: 2017, month: 7, day: 1, hour: 12, minute: 0, second: 0, millisecond: 0 }, 'Europe/London')).toBe(
      Date.parse('2017-07-01T11:00:00Z'),
    );
  });
  it('takes offsets and Z as written, and custom date-fns patterns', () => {
    expect(new Date(at('2017-10-02T10:56:33-03:00', 'UTC')).toISOString()).toBe('2017-10-02T13:56:33.000Z');
    expect(new Date(at('2017-10-02 10:56:33Z', 'America/Sao_Paulo')).toISOString()).toBe('2017-10-02T10:56:33.000Z');
    const r = parseTimestamp('02/10/2017 10:56', 'dd/MM/yyyy HH:mm', 'America/Sao_Paulo');
    expect(r.ok && new Date(r.epochMs).toISOString()).toBe('2017-10-02T13:56:00.000Z');
  });
});

describe('quarantine threshold', () => {
  const examples = {
    'unmapped:orderedAt': { detail: 'orderedAt="31.03.2024": expected ISO 8601', raw: '{"at":"31.03.2024"}' },
    duplicate_line: { detail: 'exact copy', raw: '{}' },
  };
  it('fails above the share, naming the top reasons with an example each', () => {
    const v = assessQuarantine(
      { records: 100, quarantined: 60, reasons: { 'unmapped:orderedAt': 55, duplicate_line: 5 }, examples },
      { maxShare: 0.5, warnShare: 0.05 },
    );
    expect(v.failed).toBe(true);
    expect(v.message).toMatch(/60 of 100 order records \(60.0%\) were quarantined, above DEMAND_QUARANTINE_MAX_SHARE 50.0%/);
    expect(v.message).toMatch(
      /unmapped:orderedAt ×55 \(e.g. orderedAt="31.03.2024": expected ISO 8601; record \{"at":"31.03.2024"\}\); duplicate_line ×5/,
    );
    expect(v.warnings).toHaveLength(1);
  });
  it('passes at or below the share, warning on reasons above 5%', () => {
    const v = assessQuarantine(
      { records: 100, quarantined: 12, reasons: { 'unmapped:orderedAt': 7, duplicate_line: 5 }, examples },
      { maxShare: 0.5, warnShare: 0.05 },
    );
    expect(v.failed).toBe(false);
    expect(v.warnings).toEqual([expect.stringMatching(/^unmapped:orderedAt: 7 of 100 order records \(7.0%\) quarantined, e.g. /)]);
    expect(assessQuarantine({ records: 0, quarantined: 0, reasons: {}, examples: {} }, { maxShare: 0.5, warnShare: 0.05 }).failed).toBe(
      false,
    );
  });
});
