import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { glibcRuntimeVersion } from '../lib/memory/nativeMemory';

/**
 * glibc malloc settings the pipeline process runs with, in Azure (app settings written by
 * infra/bicep/modules/functionApp.bicep, which reach the Node worker as environment variables) and
 * locally (the `demand` CLI starts itself again with them, below). One place for both:
 * test/infra/bicep.test.ts checks the app settings against this object.
 *
 * Why: glibc's dynamic mmap threshold rises to the largest freed block (up to 32 MB), so after the
 * Silver workers' large Buffers are freed, later ones come from the arenas and the freed memory
 * stays resident, and the trim threshold follows it (to 64 MB). Worker threads each get an arena
 * (up to 8 per core) that outlives them. Fixed thresholds (either setting turns glibc's dynamic
 * adjustment off) at 128 KiB, glibc's own start values: large blocks are mapped and unmapped, arena
 * tops above 128 KiB are given back; two arenas: threads share them, so freed memory is reused
 * instead of each thread's arena growing its own. Measured in docs/sizing.md ("glibc malloc settings").
 */
export const glibcMallocEnvironment: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** Set to `0`, `false` or `off` and the CLI runs as started, without the malloc settings. */
export const memoryTuningOptOut = 'DEMAND_MEMORY_TUNING';

/** What the relaunch decision looks at (process facts, passed in so tests can vary them). */
export interface LaunchFacts {
  platform: NodeJS.Platform;
  /** The C library's version when it is glibc (`process.report` header), undefined otherwise (musl, Windows, macOS). */
  glibcVersion: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Node's own options of this process (`process.execArgv`); a debugger's (`--inspect…`) would hold its port against the relaunched process. */
  execArgv?: readonly string[];
}

/** True when `env` opts out of the memory settings (`DEMAND_MEMORY_TUNING` = 0, false or off). */
export function memoryTuningOptedOut(env: NodeJS.ProcessEnv): boolean {
  return /^(0|false|off)$/i.test(env[memoryTuningOptOut]?.trim() ?? '');
}

/** `env` with the malloc settings it lacks (values already set stay), or `env` itself when opted out. */
export function withMemoryTuning(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return memoryTuningOptedOut(env) ? env : { ...glibcMallocEnvironment, ...env };
}

/**
 * The environment to start the CLI again with, or undefined to run as is: only on Linux with
 * glibc (the settings mean nothing elsewhere), only when a setting is missing (a relaunched process
 * has them all, so it never relaunches again), never when opted out or under a debugger. Values
 * the user set stay.
 */
export function relaunchEnvironment(facts: LaunchFacts): NodeJS.ProcessEnv | undefined {
  if (facts.platform !== 'linux' || !facts.glibcVersion || memoryTuningOptedOut(facts.env)) return undefined;
  if (facts.execArgv?.some((arg) => arg.startsWith('--inspect'))) return undefined;
  const missing = Object.keys(glibcMallocEnvironment).filter((name) => facts.env[name] === undefined);
  return missing.length === 0 ? undefined : withMemoryTuning(facts.env);
}

/** This process's launch facts. `process.report` (about 10 ms) is read only on Linux and only while a setting is missing. */
export function currentLaunchFacts(): LaunchFacts {
  // The report only when it can matter: not in a relaunched process (it has every setting) nor when opted out.
  const undecided =
    process.platform === 'linux' &&
    !memoryTuningOptedOut(process.env) &&
    Object.keys(glibcMallocEnvironment).some((name) => process.env[name] === undefined);
  const glibcVersion = undecided ? glibcRuntimeVersion() : undefined;
  return { platform: process.platform, glibcVersion, env: process.env, execArgv: process.execArgv };
}

/** Set in the relaunched process's environment: it has an IPC channel to the parent that waits for it. */
const relaunchedMarker = 'DEMAND_RELAUNCHED';

/**
 * In a relaunched process: end at once (SIGKILL) when the waiting parent is gone. A parent killed
 * by SIGKILL cannot pass the signal on, and an orphaned run going on would be a second, unseen
 * writer beside the user's next run; ending with the parent keeps `kill -9` meaning "the run
 * crashed" (the next run completes it). The channel closes when the parent dies, whatever the cause;
 * unref'd, it does not keep the process alive.
 */
export function endWithParent(): void {
  if (process.env[relaunchedMarker] !== '1' || !process.channel) return;
  delete process.env[relaunchedMarker];
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/**
 * Runs this script again in a child Node process with `env`, the same arguments and stdio, and
 * resolves with the exit code to end with. Signals sent to this process go on to the child (a
 * terminal's Ctrl-C reaches both; the child decides); a child ended by a signal ends this one by
 * the same signal. Node 20 cannot replace its own process image, so the parent waits (about 44 MB RSS).
 */
export function relaunch(env: NodeJS.ProcessEnv, argv: readonly string[] = process.argv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, ...argv.slice(1)], {
      env: { ...env, [relaunchedMarker]: '1' },
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });
    const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    for (const s of forwarded) process.on(s, forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const s of forwarded) process.off(s, forward);
      if (signal) {
        process.kill(process.pid, signal);
        // A signal this process ignores (or handles) leaves it running: end with the shell's code for it.
        resolve(128 + (constants.signals[signal] ?? 0));
      } else resolve(code ?? 1);
    });
  });
}
