/**
 * `demand sample orders-api|landing` and `demand watermarks show|set`, as a user runs them: the
 * API in its own process (until SIGTERM), the others in-process through the real CLI.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { captureCli } from '../support/cliCapture';

const child = path.resolve(__dirname, '../support/cliChild.js');

describe('demand sample and demand watermarks', () => {
  let workspace: string;
  beforeAll(async () => {
    workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'demand-sample-cmd-'));
  });
  afterAll(async () => {
    await fs.rm(workspace, { recursive: true, force: true });
  });

  it('sample orders-api prints its URL, serves pages until stopped, and refuses a non-loopback host', async () => {
    const proc = spawn(process.execPath, [child, 'sample', 'orders-api', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        proc.stdout.once('data', (d: Buffer) => resolve(String(d).trim()));
        proc.once('close', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/orders$/);
      const page = (await (await fetch(`${url}?limit=5`)).json()) as { items: unknown[]; nextCursor: string | null };
      expect(page.items).toHaveLength(5);
      expect(page.nextCursor).toEqual(expect.any(String));
    } finally {
      const closed = new Promise<number | null>((resolve) => proc.once('close', resolve));
      proc.kill('SIGTERM');
      expect(await closed).toBe(0);
    }
    const cli = captureCli();
    await main(['node', 'demand', 'sample', 'orders-api', '--host', '0.0.0.0'], cli.context);
    expect(cli.exitCode()).toBe(1);
    expect(cli.err.join('\n')).toMatch(/--host must be a loopback address/);
  });

  it('sample landing drops the sample inventory files into the workspace landing folder', async () => {
    const cli = captureCli();
    await main(['node', 'demand', '--workspace', workspace, 'sample', 'landing'], cli.context);
    expect(cli.exitCode()).toBe(0);
    const files = await fs.readdir(path.join(workspace, 'lake', 'landing', 'inventory'));
    expect(files.filter((f) => /^inventory_\d{4}-\d{2}-\d{2}/.test(f)).length).toBeGreaterThan(10);
  });

  it('watermarks set validates the timestamp; show prints what was set', async () => {
    const bad = captureCli();
    await main(['node', 'demand', '--workspace', workspace, 'watermarks', 'set', 'orders', '2011-06-01 23:59:60'], bad.context);
    expect(bad.exitCode()).toBe(1);
    expect(bad.err.join('\n')).toMatch(/not a real calendar time/);
    const far = captureCli();
    await main(['node', 'demand', '--workspace', workspace, 'watermarks', 'set', 'orders', '9999-12-31 23:59:59'], far.context);
    expect(far.exitCode()).toBe(1);
    const set = captureCli();
    await main(['node', 'demand', '--workspace', workspace, 'watermarks', 'set', 'orders', '2011-06-01 12:00:00'], set.context);
    expect(set.exitCode()).toBe(0);
    const show = captureCli();
    await main(['node', 'demand', '--workspace', workspace, 'watermarks', 'show', '--json'], show.context);
    expect(JSON.parse(show.out.join(''))).toEqual([
      expect.objectContaining({ source: 'orders', lastOrderTimestamp: '2011-06-01 12:00:00', runId: 'set-by-operator' }),
    ]);
  });
});
