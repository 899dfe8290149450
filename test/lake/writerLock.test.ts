/**
 * One writer at a time: the lake's writer lock (an exclusive lock file with owner and expiry) in
 * one process and across processes, a holder that died losing it on expiry.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LakeLockedError, LakeLockLostError } from '../../src/lib/errors';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { acquireWriterLock, withWriterLock, writerLockPath } from '../../src/lib/lake/writerLock';

const holderScript = path.resolve(__dirname, '../support/lockHolder.js');

function holder(runId: string) {
  return { runId, activity: 'buildSilver', owner: 'test:1', acquiredAt: '2026-01-01T00:00:00.000Z' };
}

describe('lake writer lock', () => {
  let dir: string;
  let lake: FileSystemLake;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'writer-lock-'));
    lake = FileSystemLake.fromDirectory(dir);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a second taker is refused with a message naming the run that holds it and since when', async () => {
    const first = await lake.tryLock(writerLockPath, { holder: holder('run-a'), durationInMs: 60_000 });
    const refused = lake.tryLock(writerLockPath, { holder: holder('run-b'), durationInMs: 60_000 });
    await expect(refused).rejects.toThrow(LakeLockedError);
    await expect(lake.tryLock(writerLockPath, { holder: holder('run-b'), durationInMs: 60_000 })).rejects.toThrow(
      /locked by run run-a \(buildSilver, test:1\) since 2026-01-01T00:00:00.000Z/,
    );
    await first.release();
    const second = await lake.tryLock(writerLockPath, { holder: holder('run-b'), durationInMs: 60_000 });
    expect(second.holder.runId).toBe('run-b');
    await second.release();
  });

  it('a holder that stopped renewing loses the lock on expiry; its renew then fails', async () => {
    const dead = await lake.tryLock(writerLockPath, { holder: holder('run-dead'), durationInMs: 1000 });
    await expect(lake.tryLock(writerLockPath, { holder: holder('run-b'), durationInMs: 60_000 })).rejects.toThrow(LakeLockedError);
    await new Promise((r) => setTimeout(r, 1100));
    const taken = await lake.tryLock(writerLockPath, { holder: holder('run-b'), durationInMs: 60_000 });
    await expect(dead.renew()).rejects.toThrow(LakeLockLostError);
    // The dead holder's release does not remove the new holder's lock.
    await dead.release();
    await expect(lake.tryLock(writerLockPath, { holder: holder('run-c'), durationInMs: 60_000 })).rejects.toThrow(/run-b/);
    await taken.release();
  });

  it('renewal keeps a lock alive past its duration', async () => {
    let entered = false;
    const holding = withWriterLock(lake, { runId: 'run-a', activity: 'test', durationInMs: 300, waitInMs: 0 }, async () => {
      entered = true;
      await new Promise((r) => setTimeout(r, 1000));
    });
    await new Promise((r) => setTimeout(r, 600));
    expect(entered).toBe(true);
    await expect(acquireWriterLock(lake, { runId: 'run-b', activity: 'test', durationInMs: 300, waitInMs: 0 })).rejects.toThrow(/run-a/);
    await holding;
    const after = await acquireWriterLock(lake, { runId: 'run-b', activity: 'test', durationInMs: 300, waitInMs: 0 });
    await after?.release();
  });

  it('a renewal still writing when the work ends does not write the released lock back', async () => {
    // Renewal reads the lock back, then writes it: slow that write down so it is still in flight at the release.
    const put = lake.put.bind(lake);
    lake.put = async (p: string, data: Uint8Array) => {
      if (p === writerLockPath) await new Promise((r) => setTimeout(r, 250));
      return put(p, data);
    };
    await withWriterLock(
      lake,
      { runId: 'run-a', activity: 'test', durationInMs: 150, waitInMs: 0 },
      () => new Promise((r) => setTimeout(r, 80)),
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(await lake.exists(writerLockPath)).toBe(false);
    const next = await acquireWriterLock(lake, { runId: 'run-b', activity: 'test', durationInMs: 60_000, waitInMs: 0 });
    await next?.release();
  });

  it('a corrupt (half-written) lock file counts as expired', async () => {
    await lake.put(writerLockPath, Buffer.from('{"runId":'));
    const lock = await lake.tryLock(writerLockPath, { holder: holder('run-a'), durationInMs: 60_000 });
    expect(lock.holder.runId).toBe('run-a');
    await lock.release();
  });

  it('two processes: never both inside; the second waits; with no wait it fails naming the holder', async () => {
    const log = path.join(dir, 'log.txt');
    const run = (id: string, holdMs: number, waitMs?: number) =>
      new Promise<number | null>((resolve, reject) => {
        const p = spawn(
          process.execPath,
          [holderScript, path.join(dir, 'lake'), id, String(holdMs), log, ...(waitMs === undefined ? [] : [String(waitMs)])],
          { stdio: 'ignore' },
        );
        p.on('error', reject);
        p.on('close', resolve);
      });
    const codes = await Promise.all([run('p1', 700), run('p2', 700), run('p3', 700)]);
    expect(codes).toEqual([0, 0, 0]);
    const lines = (await fs.readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    // Enter/exit strictly alternate: no two holders at once.
    expect(lines.map((l) => l[0])).toEqual(['enter', 'exit', 'enter', 'exit', 'enter', 'exit']);
    for (let i = 0; i < 6; i += 2) expect(lines[i]?.[1]).toBe(lines[i + 1]?.[1]);

    await fs.rm(log);
    const entered = async (): Promise<void> => {
      // The second starts once the first holds the lock (child start-up time varies with load).
      for (let i = 0; i < 400 && !(await fs.readFile(log, 'utf8').catch(() => '')).includes('enter q1'); i++)
        await new Promise((r) => setTimeout(r, 50));
    };
    const [a, b] = await Promise.all([run('q1', 2500), entered().then(() => run('q2', 10, 0))]);
    expect([a, b]).toEqual([0, 3]);
    const text = await fs.readFile(log, 'utf8');
    expect(text).toMatch(/failed q2 The lake is locked by run q1 \(test, [^)]+:\d+\) since \d{4}-\d{2}-\d{2}T/);
  });
});
