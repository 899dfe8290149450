/**
 * `demand sample orders-api|landing --synthetic-skus N`: the API in its own process on loopback
 * (as a user starts it), read page by page like the ingestion client does; landing in-process
 * through the real CLI into a workspace lake.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { OrderRecord } from '../../src/lib/ingest/orderRecord';
import { syntheticFleet, syntheticOrders } from '../../src/lib/sample/syntheticFleet';
import { captureCli } from '../support/cliCapture';

const child = path.resolve(__dirname, '../support/cliChild.js');

async function generated(skus: number, days: number, seed: number): Promise<OrderRecord[]> {
  const out: OrderRecord[] = [];
  for await (const r of syntheticOrders(syntheticFleet({ skus, days, seed }))) out.push(r);
  return out;
}

/** Every page of the API from the start, following nextCursor. */
async function readAll(url: string, limit: number): Promise<{ items: OrderRecord[]; pages: number }> {
  const items: OrderRecord[] = [];
  let pages = 0;
  let next: string | null = `${url}?since=2000-01-01T00:00:00Z&limit=${limit}`;
  while (next && pages < 1000) {
    const response = await fetch(next);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: OrderRecord[]; nextCursor: string | null };
    items.push(...page.items);
    pages++;
    next = page.nextCursor ? `${url}?cursor=${encodeURIComponent(page.nextCursor)}&limit=${limit}` : null;
  }
  return { items, pages };
}

async function serve<T>(args: string[], use: (url: string) => Promise<T>): Promise<T> {
  const proc = spawn(process.execPath, [child, 'sample', 'orders-api', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout.once('data', (d: Buffer) => resolve(String(d).trim()));
      proc.once('close', (code) => reject(new Error(`exited ${code}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/orders$/);
    return await use(url);
  } finally {
    const closed = new Promise<number | null>((resolve) => proc.once('close', resolve));
    proc.kill('SIGTERM');
    expect(await closed).toBe(0);
  }
}

describe('demand sample --synthetic-skus', () => {
  let workspace: string;
  beforeAll(async () => {
    workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'demand-synthetic-'));
  });
  afterAll(async () => {
    await fs.rm(workspace, { recursive: true, force: true });
  });

  it('orders-api serves exactly the generator’s order stream for N SKUs, days and seed, page by page', async () => {
    const expected = await generated(40, 45, 3);
    const { items, pages } = await serve(['--synthetic-skus', '40', '--days', '45', '--seed', '3'], (url) => readAll(url, 250));
    expect(items).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 250));
    expect(new Set(items.map((r) => r.StockCode)).size).toBeGreaterThan(20);
    expect(items.every((r) => /^\d{7}$/.test(String(r.StockCode)))).toBe(true);
    expect(new Set(items.map((r) => String(r.InvoiceDate).slice(0, 10))).size).toBe(45);
    // Another seed is another fleet.
    const other = await generated(40, 45, 4);
    expect(other).not.toEqual(expected);
  });

  it('landing writes the snapshots matching the same fleet', async () => {
    const cli = captureCli();
    await main(
      ['node', 'demand', '--workspace', workspace, 'sample', 'landing', '--synthetic-skus', '40', '--days', '45', '--seed', '3'],
      cli.context,
    );
    expect(cli.err.join('\n')).toBe('');
    expect(cli.exitCode()).toBe(0);
    const dir = path.join(workspace, 'lake', 'landing', 'inventory');
    const files = (await fs.readdir(dir)).filter((f) => /^inventory_\d{4}-\d{2}-\d{2}/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(6); // weekly over 45 days
    const text = (await Promise.all(files.map((f) => fs.readFile(path.join(dir, f), 'utf8')))).join('\n');
    const skus = new Set([...text.matchAll(/\b(\d{7})\b/g)].map((m) => m[1]));
    const sold = new Set((await generated(40, 45, 3)).map((r) => String(r.StockCode)));
    expect(skus).toEqual(sold);
  });

  it('refuses a bad N, --days without --synthetic-skus, and days out of range, naming the option', async () => {
    for (const [args, message] of [
      [['--synthetic-skus', '0'], /--synthetic-skus must be an integer from 1/],
      [['--synthetic-skus', '12abc'], /--synthetic-skus must be an integer/],
      [['--days', '30'], /--days applies to a synthetic fleet only/],
      [['--synthetic-skus', '5', '--days', '2'], /--days must be an integer from 30/],
    ] as const) {
      const cli = captureCli();
      await main(['node', 'demand', '--workspace', workspace, 'sample', 'landing', ...args], cli.context);
      expect({ args, code: cli.exitCode() }).toEqual({ args, code: 1 });
      expect(cli.err.join('\n')).toMatch(message);
    }
  });
});
