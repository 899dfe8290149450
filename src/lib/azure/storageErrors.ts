import { EntityConflictError, LakeConflictError, LakeNotFoundError } from '../errors';

/**
 * The one place that reads Azure Storage SDK errors (Blob, DFS, Tables all throw core's RestError)
 * and turns the ones callers branch on into the pipeline's named errors. Anything else is rethrown
 * unchanged so its status, code and request id stay visible.
 */
export interface StorageFailure {
  status: number | undefined;
  /** x-ms-error-code / OData error code, e.g. "BlobAlreadyExists", "RenameDestinationParentPathNotFound". */
  code: string | undefined;
}

interface RestErrorLike {
  name: 'RestError';
  statusCode?: number;
  code?: string;
  response?: { headers: { get(name: string): string | undefined } };
}

/** Duck-typed: each SDK may bundle its own copy of core's RestError, so instanceof is unreliable. */
export function storageFailure(err: unknown): StorageFailure | undefined {
  if (typeof err !== 'object' || err === null || (err as { name?: unknown }).name !== 'RestError') return undefined;
  const rest = err as RestErrorLike;
  const code = rest.code ?? rest.response?.headers.get('x-ms-error-code');
  return { status: rest.statusCode, code: code || undefined };
}

export function isStorageStatus(err: unknown, ...statuses: number[]): boolean {
  const failure = storageFailure(err);
  return failure?.status !== undefined && statuses.includes(failure.status);
}

export function isStorageCode(err: unknown, ...codes: string[]): boolean {
  const code = storageFailure(err)?.code;
  return code !== undefined && codes.includes(code);
}

/** Which lake operation failed decides how a 404/409/412 reads. */
export type LakeOperation = 'read' | 'write' | 'create' | 'rename' | 'list' | 'delete';

/**
 * Maps a Blob/DFS failure on `path`:
 * - 404 → LakeNotFoundError(path) (for rename: the source; a missing destination parent is handled by the caller)
 * - 409 / 412 on create/rename → LakeConflictError(`to`): "BlobAlreadyExists", "PathAlreadyExists" or
 *   "ConditionNotMet" for `If-None-Match: *`.
 * Returns the error to throw (never swallows).
 */
export function toLakeError(err: unknown, operation: LakeOperation, path: string, to?: string): unknown {
  const failure = storageFailure(err);
  if (!failure) return err;
  if (failure.status === 404) return new LakeNotFoundError(path, { cause: err });
  if ((failure.status === 409 || failure.status === 412) && (operation === 'create' || operation === 'rename')) {
    return new LakeConflictError(to ?? path, { cause: err });
  }
  return err;
}

/** True when a conditional create lost because something is already there (put-if-absent answers false). */
export function isAlreadyExists(err: unknown): boolean {
  const failure = storageFailure(err);
  if (failure?.status === 412) return true; // ConditionNotMet: If-None-Match: * found an object
  // Other 409s (a lease, a container being deleted) are real failures, not "already there".
  return failure?.status === 409 && (failure.code === undefined || ['BlobAlreadyExists', 'PathAlreadyExists'].includes(failure.code));
}

export function isNotFound(err: unknown): boolean {
  return isStorageStatus(err, 404);
}

/**
 * Maps a Table storage failure: 409 on insert → 'exists'; 412 (stale ETag) or 404 (gone) on a
 * conditional replace → 'etag'.
 */
export function toEntityError(err: unknown, operation: 'insert' | 'replace', table: string, partitionKey: string, rowKey: string): unknown {
  const failure = storageFailure(err);
  if (!failure) return err;
  if (operation === 'insert' && failure.status === 409)
    return withCause(new EntityConflictError(table, partitionKey, rowKey, 'exists'), err);
  if (operation === 'replace' && (failure.status === 412 || failure.status === 404)) {
    return withCause(new EntityConflictError(table, partitionKey, rowKey, 'etag'), err);
  }
  return err;
}

function withCause<E extends Error>(error: E, cause: unknown): E {
  // EntityConflictError's constructor takes no options bag; keep the SDK error for diagnostics.
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return error;
}
