/**
 * The lake port: an object store addressed by POSIX-style relative paths
 * ("silver/daily_demand/_delta_log/00000000000000000000.json"). Adapters: the local filesystem
 * (embedded default) and ADLS Gen2 (Blob API for objects, DFS API for rename and listing).
 */
export interface LakeEntry {
  /** Path relative to the lake root, '/'-separated, no leading slash. */
  path: string;
  sizeInBytes: number;
  lastModified: Date;
}

export interface LakeOperationOptions {
  abortSignal?: AbortSignal;
}

export interface LakeListOptions extends LakeOperationOptions {
  /** List everything below the prefix (default true); false lists one level. */
  recursive?: boolean;
}

/** Who holds a lake lock, and until when (renewed while the holder works). */
export interface LakeLockHolder {
  /** The run (or command) holding it. */
  runId: string;
  /** What it is doing, e.g. the activity name. */
  activity: string;
  /** host:pid of the process. */
  owner: string;
  acquiredAt: string;
  expiresAt: string;
}

export interface LakeLockOptions extends LakeOperationOptions {
  holder: Omit<LakeLockHolder, 'expiresAt'>;
  /** A holder that stops renewing loses the lock this long after its last renewal. */
  durationInMs: number;
}

export interface LakeLock {
  readonly holder: LakeLockHolder;
  /** Extends the expiry; throws LakeLockLostError when another holder took it over. */
  renew(options?: LakeOperationOptions): Promise<void>;
  release(options?: LakeOperationOptions): Promise<void>;
}

export interface LakeStore {
  /** Short name for messages and summaries, e.g. "file:///data/lake" or "abfss://lake@acct". */
  readonly location: string;
  /** Reads a whole object. Throws LakeNotFoundError. */
  read(path: string, options?: LakeOperationOptions): Promise<Buffer>;
  /** Streams an object (for large Bronze parts). Throws LakeNotFoundError. */
  readStream(path: string, options?: LakeOperationOptions): Promise<NodeJS.ReadableStream>;
  exists(path: string, options?: LakeOperationOptions): Promise<boolean>;
  /**
   * Atomically creates the object only if nothing is at `path` (Blob `If-None-Match: *`).
   * Returns false, writing nothing, when the object already exists. Readers never see a partial object.
   */
  putIfAbsent(path: string, data: Uint8Array, options?: LakeOperationOptions): Promise<boolean>;
  /** Atomically writes (or replaces) an object: readers see the old or the new bytes, never a mix. */
  put(path: string, data: Uint8Array, options?: LakeOperationOptions): Promise<void>;
  /** Lists objects (files only) whose path starts with `prefix` (a folder path). Missing prefix: nothing. */
  list(prefix: string, options?: LakeListOptions): AsyncIterable<LakeEntry>;
  /** Atomic rename; throws LakeConflictError if `to` exists and LakeNotFoundError if `from` does not. */
  rename(from: string, to: string, options?: LakeOperationOptions): Promise<void>;
  /** Deletes an object; deleting a missing object is not an error. */
  delete(path: string, options?: LakeOperationOptions): Promise<void>;
  /**
   * Takes the exclusive lock at `path` at once or throws LakeLockedError naming the holder (an
   * exclusive lock file with owner and expiry locally, a blob lease in Azure). An expired lock
   * (its holder died) is taken over. Stores without it cannot be locked (see writerLock.ts).
   */
  tryLock?(path: string, options: LakeLockOptions): Promise<LakeLock>;
}

/** Joins lake path segments with '/', dropping empty segments and duplicate slashes. */
export function lakePath(...segments: string[]): string {
  return segments
    .flatMap((s) => s.split('/'))
    .filter((s) => s.length > 0)
    .join('/');
}
