/**
 * The CLI's relaunch with the glibc malloc settings (src/host/memoryTuning.ts, used by bin/demand.js):
 * when it happens, and that the relaunched process gets the settings, the arguments, the exit code
 * and the signals of the parent.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { glibcMallocEnvironment, memoryTuningOptOut, relaunchEnvironment, type LaunchFacts } from '../../src/host/memoryTuning';

const child = path.resolve(__dirname, '../support/relaunchChild.js');
const names = Object.keys(glibcMallocEnvironment);
const withoutTuning = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !names.includes(k) && k !== memoryTuningOptOut));
const linux = (env: NodeJS.ProcessEnv): LaunchFacts => ({ platform: 'linux', glibcVersion: '2.36', env });

describe('relaunchEnvironment', () => {
  it('adds every missing setting on glibc Linux and keeps the rest of the environment', () => {
    const env = relaunchEnvironment(linux({ PATH: '/usr/bin', DEMAND_LAKE_DIR: '/data/lake' }));
    expect(env).toEqual({ PATH: '/usr/bin', DEMAND_LAKE_DIR: '/data/lake', ...glibcMallocEnvironment });
    expect(names.length).toBeGreaterThan(0);
  });

  it('keeps a value the user set and adds only the missing ones', () => {
    const [first, ...others] = names as [string, ...string[]];
    const env = relaunchEnvironment(linux({ [first]: '8' }));
    expect(env?.[first]).toBe('8');
    for (const n of others) expect(env?.[n]).toBe(glibcMallocEnvironment[n]);
  });

  it('does not relaunch once every setting is present (a relaunched process never relaunches again)', () => {
    expect(relaunchEnvironment(linux({ ...glibcMallocEnvironment }))).toBeUndefined();
    expect(relaunchEnvironment(linux(relaunchEnvironment(linux({}))!))).toBeUndefined();
  });

  it.each(['0', 'false', 'off', ' OFF '])('does not relaunch when %j opts out', (value) => {
    expect(relaunchEnvironment(linux({ [memoryTuningOptOut]: value }))).toBeUndefined();
  });

  it('relaunches for any other opt-out value', () => {
    expect(relaunchEnvironment(linux({ [memoryTuningOptOut]: 'on' }))).toBeDefined();
  });

  it('does not relaunch under a debugger (the relaunched process could not open its port)', () => {
    expect(relaunchEnvironment({ ...linux({}), execArgv: ['--inspect-brk=0'] })).toBeUndefined();
    expect(relaunchEnvironment({ ...linux({}), execArgv: ['--enable-source-maps'] })).toBeDefined();
  });

  it('does not relaunch without glibc (musl) or off Linux', () => {
    expect(relaunchEnvironment({ platform: 'linux', glibcVersion: undefined, env: {} })).toBeUndefined();
    expect(relaunchEnvironment({ platform: 'darwin', glibcVersion: undefined, env: {} })).toBeUndefined();
    expect(relaunchEnvironment({ platform: 'win32', glibcVersion: '2.36', env: {} })).toBeUndefined();
  });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
}

function start(
  args: string[],
  env: NodeJS.ProcessEnv,
): { proc: ReturnType<typeof spawn>; ended: Promise<Ended>; firstLine: Promise<string> } {
  const proc = spawn(process.execPath, [child, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onLine: (line: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => (onLine = resolve));
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('\n')) onLine(out.split('\n')[0]!);
  });
  const ended = new Promise<Ended>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code, signal) => resolve({ code, signal, lines: out.split('\n').filter(Boolean) }));
  });
  return { proc, ended, firstLine };
}

describe('relaunch (a real child process)', () => {
  it('runs the script again with the settings and the same arguments, and ends with its exit code', async () => {
    const { proc, ended } = start(['print', '--flag', 'a b'], withoutTuning());
    const r = await ended;
    expect(r).toMatchObject({ code: 3, signal: null });
    const seen = JSON.parse(r.lines[0]!) as { pid: number; argv: string[]; env: Record<string, string> };
    expect(seen.env).toEqual(glibcMallocEnvironment);
    expect(seen.argv).toEqual(['print', '--flag', 'a b']);
    expect(seen.pid).not.toBe(proc.pid);
  });

  it('runs as started when opted out', async () => {
    const { proc, ended } = start(['print'], { ...withoutTuning(), [memoryTuningOptOut]: 'off' });
    const r = await ended;
    const seen = JSON.parse(r.lines[0]!) as { pid: number; env: Record<string, string | undefined> };
    expect(seen.pid).toBe(proc.pid);
    expect(Object.values(seen.env).every((v) => v === undefined)).toBe(true);
  });

  it('passes a signal on to the relaunched process and ends by the same signal', async () => {
    const { proc, ended, firstLine } = start(['wait'], withoutTuning());
    const { pid } = JSON.parse(await firstLine) as { pid: number };
    expect(pid).not.toBe(proc.pid);
    proc.kill('SIGTERM');
    expect(await ended).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('ends the relaunched process when the waiting parent is killed with SIGKILL (no orphaned run)', async () => {
    const { proc, ended, firstLine } = start(['wait'], withoutTuning());
    const { pid } = JSON.parse(await firstLine) as { pid: number };
    expect(pid).not.toBe(proc.pid);
    proc.kill('SIGKILL');
    expect(await ended).toMatchObject({ signal: 'SIGKILL' });
    // The orphan would wait for ever (its script waits for a signal); bounded poll for its end.
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    if (alive) process.kill(pid, 'SIGKILL');
    expect(alive).toBe(false);
  });
});
