import { mkdtempSync, statfsSync } from 'node:fs';
import * as path from 'node:path';
import { ScratchSpaceError } from '../errors';

/**
 * Spill size per order line, with a margin. Measured: the 1,044,847 Online Retail lines spilled
 * 165 MB (158 B a line); a retailer's longer descriptions or ids spill more.
 */
export const spillBytesPerLineEstimate = 200;

/** Free bytes an unprivileged process can use in `folder`. */
export function freeBytesIn(folder: string): number {
  const stats = statfsSync(folder);
  return stats.bavail * stats.bsize;
}

const megabytes = (bytes: number): string => `${Math.round(bytes / 1e6).toLocaleString('en-US')} MB`;

/**
 * Refuses a build whose spill would not fit before any of it is written: running out of disk
 * half-way costs the whole scan, and its ENOSPC names no setting.
 */
export function assertScratchSpace(folder: string, expectedLines: number, freeBytes: (folder: string) => number = freeBytesIn): void {
  const needed = expectedLines * spillBytesPerLineEstimate;
  let free: number;
  try {
    free = freeBytes(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ScratchSpaceError(folder, 'is not a folder that exists', { cause: err });
    throw err;
  }
  if (free < needed) {
    throw new ScratchSpaceError(
      folder,
      `has ${megabytes(free)} free; spilling ${expectedLines.toLocaleString('en-US')} order lines needs about ${megabytes(needed)}`,
    );
  }
}

/** A write that failed because the disk is full (also when the error crossed a worker thread). */
export function isNoSpaceError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (err as NodeJS.ErrnoException).code === 'ENOSPC' || /\bENOSPC\b/.test(err.message);
}

/** Turns a full disk during a build into the same clear error as the check before it. */
export function scratchErrorFrom(err: unknown, folder: string): unknown {
  return isNoSpaceError(err) ? new ScratchSpaceError(folder, 'ran out of space while spilling order lines', { cause: err }) : err;
}

/** Makes this build's spill folder inside `folder`; a folder it cannot write to is named. */
export function makeSpillDir(folder: string): string {
  try {
    return mkdtempSync(path.join(folder, 'silver-spill-'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw scratchErrorFrom(err, folder);
    throw new ScratchSpaceError(folder, `cannot be written to (${code ?? (err as Error).message})`, { cause: err });
  }
}
