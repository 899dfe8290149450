/**
 * Named error classes shared by the whole pipeline. Every error that crosses a port or an
 * activity boundary is one of these (or wraps one), so callers can branch on `name`/`code`
 * instead of parsing messages.
 */
export class DemandError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input from a user, a setting or a request: the message names the field and the value. */
export class ValidationError extends DemandError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('validation', message, options);
    this.field = field;
  }
}

/** A run's input is mostly unusable (quarantined above DEMAND_QUARANTINE_MAX_SHARE): the message names the top reasons. */
export class DataQualityError extends DemandError {
  constructor(message: string) {
    super('data_quality', message);
  }
}

/** A setting is missing or malformed. */
export class SettingsError extends DemandError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super('settings', message);
    this.setting = setting;
  }
}

/** A lake object that was expected does not exist. */
export class LakeNotFoundError extends DemandError {
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super('lake_not_found', `Lake object not found: ${path}`, options);
    this.path = path;
  }
}

/** A put-if-absent or rename target already exists. */
export class LakeConflictError extends DemandError {
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super('lake_conflict', `Lake object already exists: ${path}`, options);
    this.path = path;
  }
}

/** The lake's writer lock is held by another run (the message names it and since when). */
export class LakeLockedError extends DemandError {
  readonly path: string;
  readonly holder: { runId: string; activity: string; owner: string; acquiredAt: string; expiresAt: string } | undefined;
  constructor(path: string, holder: LakeLockedError['holder'], message?: string) {
    super(
      'lake_locked',
      message ??
        (holder
          ? `The lake is locked by run ${holder.runId} (${holder.activity}, ${holder.owner}) since ${holder.acquiredAt}, until ${holder.expiresAt} unless renewed (${path}); one writer at a time`
          : `The lake is locked (${path}); one writer at a time`),
    );
    this.path = path;
    this.holder = holder;
  }
}

/** A lock this process held was taken over (it expired without renewal). */
export class LakeLockLostError extends DemandError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('lake_lock_lost', message);
    this.path = path;
  }
}

/** A table entity was changed by someone else (stale ETag) or already exists on insert. */
export class EntityConflictError extends DemandError {
  constructor(table: string, partitionKey: string, rowKey: string, reason: 'exists' | 'etag') {
    super(
      'entity_conflict',
      reason === 'exists'
        ? `Entity ${partitionKey}/${rowKey} already exists in table ${table}`
        : `Entity ${partitionKey}/${rowKey} in table ${table} was changed concurrently (ETag mismatch)`,
    );
  }
}

/** An upstream HTTP service failed for good (after retries). */
export class UpstreamError extends DemandError {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super('upstream', message, options);
    this.status = status;
  }
}

/** The scratch folder for spill files has too little free space (or ran out during a build). */
export class ScratchSpaceError extends DemandError {
  readonly folder: string;
  constructor(folder: string, message: string, options?: { cause?: unknown }) {
    super(
      'scratch_space',
      `Scratch folder ${folder}: ${message}. Free space there, or point DEMAND_SCRATCH_DIR at a larger disk.`,
      options,
    );
    this.folder = folder;
  }
}

/**
 * An earlier Silver run committed its order lines but stopped before its catalogue: building on
 * top of it would give wrong ranges, so that run must be completed (re-run with its run id) first.
 */
export class IncompleteSilverRunError extends DemandError {
  readonly runId: string;
  constructor(runId: string, detail: string) {
    super(
      'incomplete_silver_run',
      `Silver run ${runId} stopped part-way: ${detail}. Re-run ${runId} (the same run id completes it), then this run.`,
    );
    this.runId = runId;
  }
}

/**
 * A failure while handling one SKU: names the SKU and the table it was computed for, and keeps
 * the original error (and its code) as the cause, so a run error says where to look.
 */
export class SkuError extends DemandError {
  readonly sku: string;
  readonly table: string;
  constructor(details: { sku: string; table: string; step: string }, cause: Error) {
    super(
      cause instanceof DemandError ? cause.code : 'sku_failed',
      `SKU ${details.sku} (${details.step}, table ${details.table}): ${cause.message}`,
      { cause },
    );
    this.sku = details.sku;
    this.table = details.table;
  }

  static wrap(err: unknown, details: { sku: string; table: string; step: string }): SkuError {
    if (err instanceof SkuError) return err;
    return new SkuError(details, err instanceof Error ? err : new Error(String(err)));
  }
}
