/**
 * Giving glibc's free arena memory back (src/lib/memory/nativeMemory.ts): when it is tried, that a
 * missing or failing FFI never breaks a run, and one real call of `malloc_trim` on this machine.
 */
import { loadSettings } from '../../src/lib/config/settings';
import {
  glibcRuntimeVersion,
  koffiMallocTrim,
  NativeMemoryRelease,
  nativeMemoryReleaseOptOut,
  nativeMemoryReleaseOptedOut,
  nativeMemoryReleaseWanted,
  type NativeMemoryFacts,
} from '../../src/lib/memory/nativeMemory';

/** A failure is a warning, never (only) a debug line: the debug log throws to show it was used. */
const noDebugLine = (): never => {
  throw new Error('a failure is a warning, not a debug line');
};

const linux = (env: NodeJS.ProcessEnv = {}): NativeMemoryFacts => ({ platform: 'linux', glibcVersion: '2.36', env });

describe('nativeMemoryReleaseWanted', () => {
  it('is wanted on glibc Linux unless opted out', () => {
    expect(nativeMemoryReleaseWanted(linux())).toBe(true);
    expect(nativeMemoryReleaseWanted(linux({ [nativeMemoryReleaseOptOut]: 'on' }))).toBe(true);
  });

  it.each(['0', 'false', 'off', ' OFF '])('is not wanted when %j opts out', (value) => {
    expect(nativeMemoryReleaseWanted(linux({ [nativeMemoryReleaseOptOut]: value }))).toBe(false);
  });

  it('is not wanted without glibc (musl) or off Linux', () => {
    expect(nativeMemoryReleaseWanted({ platform: 'linux', glibcVersion: undefined, env: {} })).toBe(false);
    expect(nativeMemoryReleaseWanted({ platform: 'darwin', glibcVersion: undefined, env: {} })).toBe(false);
    expect(nativeMemoryReleaseWanted({ platform: 'win32', glibcVersion: '2.36', env: {} })).toBe(false);
  });
});

describe('NativeMemoryRelease', () => {
  it('loads malloc_trim once, on the first call, and calls it with pad 0 each time', () => {
    const pads: number[] = [];
    const load = jest.fn(() => (pad: number) => (pads.push(pad), 1));
    const facts = jest.fn(() => linux());
    const release = new NativeMemoryRelease({ facts, loadMallocTrim: load, log: () => undefined });
    expect(load).not.toHaveBeenCalled();
    expect(release.release()).toBe(true);
    expect(release.release()).toBe(true);
    expect(load).toHaveBeenCalledTimes(1);
    expect(facts).toHaveBeenCalledTimes(1);
    expect(pads).toEqual([0, 0]);
  });

  it.each<[string, NativeMemoryFacts]>([
    ['opted out', linux({ [nativeMemoryReleaseOptOut]: 'off' })],
    ['musl', { platform: 'linux', glibcVersion: undefined, env: {} }],
    ['macOS', { platform: 'darwin', glibcVersion: undefined, env: {} }],
  ])('is a no-op that never loads the FFI when %s, and says so once', (_, f) => {
    const load = jest.fn(() => () => 1);
    const log = jest.fn<void, [string]>();
    const release = new NativeMemoryRelease({ facts: () => f, loadMallocTrim: load, log });
    expect(release.release()).toBe(false);
    expect(release.release()).toBe(false);
    expect(load).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]?.[0]).toMatch(/native memory release off/);
  });

  it('is a no-op when koffi (or the symbol) cannot be loaded, tried once and said once', () => {
    const load = jest.fn((): never => {
      throw new Error("Cannot find module 'koffi'");
    });
    const warn = jest.fn<void, [string]>();
    const release = new NativeMemoryRelease({
      facts: () => linux(),
      loadMallocTrim: load,
      warn,
      log: noDebugLine,
    });
    expect(release.release()).toBe(false);
    expect(release.release()).toBe(false);
    expect(load).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toMatch(/could not be loaded.*Cannot find module 'koffi'/);
  });

  it('stops calling a malloc_trim that threw, without throwing itself', () => {
    const trim = jest.fn((): number => {
      throw new Error('boom');
    });
    const warn = jest.fn<void, [string]>();
    const release = new NativeMemoryRelease({
      facts: () => linux(),
      loadMallocTrim: () => trim,
      warn,
      log: noDebugLine,
    });
    expect(release.release()).toBe(false);
    expect(release.release()).toBe(false);
    expect(trim).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
  });
  it('is a no-op, said once, when the process facts cannot be read (process.report failing)', () => {
    const facts = jest.fn((): never => {
      throw new Error('report unavailable');
    });
    const warn = jest.fn<void, [string]>();
    const release = new NativeMemoryRelease({
      facts,
      loadMallocTrim: () => () => 1,
      warn,
      log: noDebugLine,
    });
    expect(release.release()).toBe(false);
    expect(release.release()).toBe(false);
    expect(facts).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls).toEqual([[expect.stringMatching(/^demand: .*could not be told.*report unavailable/)]]);
  });

  it('refuses a DEMAND_MALLOC_TRIM that is neither on nor off at start, naming the setting and value', () => {
    expect(loadSettings({}).DEMAND_MALLOC_TRIM).toBe('on');
    expect(loadSettings({ DEMAND_MALLOC_TRIM: 'off' }).DEMAND_MALLOC_TRIM).toBe('off');
    expect(() => loadSettings({ DEMAND_MALLOC_TRIM: 'no' })).toThrow(/DEMAND_MALLOC_TRIM="?no"? is invalid/);
    // Every value the settings accept means what the release reads it as.
    for (const off of ['off', 'false', '0']) expect(nativeMemoryReleaseOptedOut({ DEMAND_MALLOC_TRIM: off })).toBe(true);
    for (const on of ['on', 'true', '1']) expect(nativeMemoryReleaseOptedOut({ DEMAND_MALLOC_TRIM: on })).toBe(false);
  });
});

// The real thing: glibc's malloc_trim through koffi on this machine (skipped where there is no glibc).
const glibc = glibcRuntimeVersion();
(glibc ? describe : describe.skip)(`malloc_trim on this machine (glibc ${glibc ?? 'absent: skipped'})`, () => {
  it('loads from libc.so.6 and returns 0 or 1', () => {
    const trim = koffiMallocTrim();
    // Free something large inside the heap first so there may be pages to give back.
    let blocks: Buffer[] | undefined = Array.from({ length: 64 }, () => Buffer.allocUnsafeSlow(4096).fill(1));
    expect(blocks.length).toBe(64);
    blocks = undefined;
    expect([0, 1]).toContain(trim(0));
  });

  it('runs through NativeMemoryRelease on this platform (whatever DEMAND_MALLOC_TRIM the shell has)', () => {
    const said: string[] = [];
    const facts = () => ({ platform: process.platform, glibcVersion: glibc, env: {} });
    expect(new NativeMemoryRelease({ facts, log: (m) => said.push(m), warn: (m) => said.push(m) }).release()).toBe(true);
    expect(said).toEqual([]);
  });
});
