/**
 * One writer at a time: the stages that move state (ingestion, the Silver build, publishing) run
 * under the lake's writer lock. A second run waits for it up to `waitInMs`, then fails with
 * LakeLockedError naming the run that holds it and since when. The holder renews it every third
 * of its duration; a holder that died stops renewing, and its lock is taken over on expiry.
 */
import { hostname } from 'node:os';
import { LakeLockedError } from '../errors';
import type { LakeLock, LakeStore } from './lakeStore';

export const writerLockPath = '_locks/writer.lock';

export interface WriterLockOptions {
  runId: string;
  activity: string;
  durationInMs: number;
  waitInMs: number;
  /** How often a waiting run tries again. */
  pollInMs?: number;
  abortSignal?: AbortSignal;
  log?: (message: string) => void;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error); // AbortSignal.reason is typed any; it is an Error (DOMException AbortError or ours)
      },
      { once: true },
    );
  });

export async function acquireWriterLock(lake: LakeStore, options: WriterLockOptions): Promise<LakeLock | undefined> {
  if (!lake.tryLock) return undefined;
  const deadline = Date.now() + options.waitInMs;
  const holder = {
    runId: options.runId,
    activity: options.activity,
    owner: `${hostname()}:${process.pid}`,
    acquiredAt: new Date().toISOString(),
  };
  let told = false;
  for (;;) {
    try {
      return await lake.tryLock(writerLockPath, {
        holder: { ...holder, acquiredAt: new Date().toISOString() },
        durationInMs: options.durationInMs,
        ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
      });
    } catch (err) {
      if (!(err instanceof LakeLockedError) || Date.now() >= deadline) throw err;
      if (!told) options.log?.(`${options.activity} ${options.runId}: waiting for the lake lock: ${err.message}`);
      told = true;
      await sleep(Math.min(options.pollInMs ?? 500, Math.max(1, deadline - Date.now())), options.abortSignal);
    }
  }
}

/** Runs `work` holding the writer lock (renewed while it runs), then releases it. */
export async function withWriterLock<T>(lake: LakeStore, options: WriterLockOptions, work: () => Promise<T>): Promise<T> {
  const lock = await acquireWriterLock(lake, options);
  if (!lock) return work();
  /** Boxed so the first renewal failure is kept whatever was thrown. */
  let renewError: { error: unknown } | undefined;
  // Renewals run one after another, and the release waits for the last: a renewal still writing when
  // the lock was released would write the lock file back, and the next run would wait out its expiry.
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = renewing.then(() => lock.renew()).catch((err: unknown) => void (renewError ??= { error: err }));
    },
    Math.max(50, Math.floor(options.durationInMs / 3)),
  );
  timer.unref();
  try {
    const result = await work();
    if (renewError) throw renewError.error;
    return result;
  } finally {
    clearInterval(timer);
    await renewing;
    await lock.release().catch(() => undefined);
  }
}
