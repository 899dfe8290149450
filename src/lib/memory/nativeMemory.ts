import { debuglog } from 'node:util';

/**
 * Gives glibc's free arena memory back to the operating system (`malloc_trim(0)`), called at a
 * stage's end and after each Silver worker task (from the main thread). Why: glibc's main arena grows by `brk` and is given
 * back only from its top, so what Silver's workers and the main thread freed in the middle of it
 * stays resident in every later stage; `malloc_trim` releases the free pages inside every arena
 * (madvise), not only the top. Measured in docs/sizing.md ("Issue 16, stop 29 (s29trim)").
 *
 * Node has no API for it; `koffi` (an FFI package with prebuilt binaries) calls it from libc.so.6.
 * Only on Linux with glibc, loaded on the first call; a no-op elsewhere, when opted out, or when
 * koffi or the symbol cannot be loaded (said once through `NODE_DEBUG=demand-memory`): releasing
 * memory must never break a run.
 */

/** Set to `0`, `false` or `off` and no native memory is released. */
export const nativeMemoryReleaseOptOut = 'DEMAND_MALLOC_TRIM';

/** What the decision looks at (process facts, passed in so tests can vary them). */
export interface NativeMemoryFacts {
  platform: NodeJS.Platform;
  /** The C library's version when it is glibc (`process.report` header), undefined otherwise (musl, Windows, macOS). */
  glibcVersion: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** `malloc_trim(pad)`: 1 when memory was given back, 0 when there was none to give. */
export type MallocTrim = (pad: number) => number;

/** Loads `malloc_trim` from the C library; throws when it cannot. */
export type MallocTrimLoader = () => MallocTrim;

/** True when `env` opts out (`DEMAND_MALLOC_TRIM` = 0, false or off). */
export function nativeMemoryReleaseOptedOut(env: NodeJS.ProcessEnv): boolean {
  return /^(0|false|off)$/i.test(env[nativeMemoryReleaseOptOut]?.trim() ?? '');
}

/** Whether to try at all: Linux with glibc (musl has no `malloc_trim`), not opted out. */
export function nativeMemoryReleaseWanted(facts: NativeMemoryFacts): boolean {
  return facts.platform === 'linux' && facts.glibcVersion !== undefined && !nativeMemoryReleaseOptedOut(facts.env);
}

/** The running C library's glibc version (`process.report`, about 10 ms; read only on Linux), else undefined. */
export function glibcRuntimeVersion(platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform !== 'linux') return undefined;
  return (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
}

/** The part of koffi's API used here, declared locally: koffi is optional, so the build must not need its types. */
interface KoffiModule {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

/** `malloc_trim` through koffi, from glibc's libc.so.6. */
export const koffiMallocTrim: MallocTrimLoader = () => {
  // Loaded only here: the native addon is needed on glibc Linux alone, and never at import time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as KoffiModule;
  const trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
  return (pad) => trim(pad) as number;
};

export interface NativeMemoryReleaseOptions {
  /** This process's facts; read on the first call when omitted. */
  facts?: () => NativeMemoryFacts;
  loadMallocTrim?: MallocTrimLoader;
  /** Told once why nothing is released when it is not wanted (another platform, opted out). Default: `NODE_DEBUG=demand-memory`. */
  log?: (message: string) => void;
  /**
   * Told once when the release was wanted (glibc Linux, not opted out) but cannot run: koffi or the
   * symbol did not load, or malloc_trim threw. Default `console.warn`, which reaches Azure's logs:
   * the operator then knows the memory figures of docs/sizing.md do not hold for that instance.
   */
  warn?: (message: string) => void;
}

/** Releases free native memory; `release()` says whether `malloc_trim` ran. */
export class NativeMemoryRelease {
  private trim: MallocTrim | null | undefined;

  constructor(private readonly options: NativeMemoryReleaseOptions = {}) {}

  /** Calls `malloc_trim(0)` (a few ms on a large arena: call it at boundaries, not per row). Never throws. */
  release(): boolean {
    if (this.trim === undefined) this.trim = this.load();
    if (!this.trim) return false;
    try {
      this.trim(0);
      return true;
    } catch (err) {
      this.trim = null;
      this.warn(`malloc_trim failed, not called again: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  private load(): MallocTrim | null {
    let facts: NativeMemoryFacts;
    try {
      facts = (this.options.facts ?? currentFacts)();
    } catch (err) {
      // process.report can fail (a locked-down host): the release is an optimisation, the activity's result is not.
      this.warn(`native memory release off: the C library could not be told (${err instanceof Error ? err.message : String(err)})`);
      return null;
    }
    if (!nativeMemoryReleaseWanted(facts)) {
      this.say(
        `native memory release off (platform ${facts.platform}, glibc ${facts.glibcVersion ?? 'none'}, ${nativeMemoryReleaseOptOut}=${facts.env[nativeMemoryReleaseOptOut] ?? ''})`,
      );
      return null;
    }
    try {
      return (this.options.loadMallocTrim ?? koffiMallocTrim)();
    } catch (err) {
      this.warn(`native memory release off: malloc_trim could not be loaded (${err instanceof Error ? err.message : String(err)})`);
      return null;
    }
  }

  private say(message: string): void {
    (this.options.log ?? debug)(message);
  }

  private warn(message: string): void {
    (this.options.warn ?? console.warn)(`demand: ${message}`);
  }
}

const debug = debuglog('demand-memory');

function currentFacts(): NativeMemoryFacts {
  const env = process.env;
  // The report only when it can matter.
  const glibcVersion = process.platform === 'linux' && !nativeMemoryReleaseOptedOut(env) ? glibcRuntimeVersion() : undefined;
  return { platform: process.platform, glibcVersion, env };
}

let processRelease: NativeMemoryRelease | undefined;

/** This thread's release (each worker thread loads its own on its first call). */
export function releaseNativeMemory(): boolean {
  processRelease ??= new NativeMemoryRelease();
  return processRelease.release();
}
