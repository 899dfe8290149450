import { DemandError } from './errors';

/**
 * Delta Lake module errors. Each names the table (its lake path) so a failed pipeline step says
 * which table to look at.
 */

/** A write whose rows or schema do not match the table's schema. */
export class DeltaSchemaMismatchError extends DemandError {
  readonly table: string;
  readonly column: string;
  constructor(table: string, column: string, message: string) {
    super('delta_schema_mismatch', `Delta table ${table}: column "${column}": ${message}`);
    this.table = table;
    this.column = column;
  }
}

/**
 * Why a concurrent commit stops ours from landing (the kinds of delta-rs's CommitConflictError).
 * `detail` says what the winner did, in the table's words; `conflictHelp` says what to do about it.
 */
export type DeltaCommitConflict =
  /** The winner added data files to what this write replaces (the whole table, or one of its partitions). */
  | { kind: 'concurrentAppend'; file: string; partition?: string; detail: string }
  /** The winner removed data files this write read and replaces (an overwrite, a delete, a compaction). */
  | { kind: 'concurrentDeleteRead'; file: string; partition?: string; detail: string }
  /** The winner changed the table's schema or partitioning, or created the table differently. */
  | { kind: 'metadataChanged'; detail: string }
  /** The winner changed the table's protocol (reader or writer version, features). */
  | { kind: 'protocolChanged'; detail: string }
  /** No logical conflict, but other writers kept committing first for every attempt. */
  | { kind: 'retriesExhausted'; attempts: number; detail: string };

export type DeltaCommitConflictKind = DeltaCommitConflict['kind'];

/** What to do about each conflict kind (delta-rs words its CommitConflictError help the same way). */
export const conflictHelp: Readonly<Record<DeltaCommitConflictKind, string>> = {
  concurrentAppend:
    'another writer added data to what this write replaces; re-read the table and run the write again (or partition it so the writers touch different partitions)',
  concurrentDeleteRead:
    'another writer removed files this write read; re-read the table and run the write again, after the other writer (an overwrite, a delete, a compaction) is done',
  metadataChanged: "the table's schema or partitioning changed since it was read; re-read the table and make the write match it",
  protocolChanged: "the table's protocol changed since it was read; check this module can still write it, then run the write again",
  retriesExhausted: 'the table is busy with many writers; run the write again later, or commit fewer, bigger writes',
};

/** Another writer committed a conflicting change first (and retries could not resolve it). */
export class DeltaConcurrentModificationError extends DemandError {
  readonly table: string;
  readonly version: number;
  /** The typed reason, with `conflictHelp[conflict.kind]` saying what to do. */
  readonly conflict: DeltaCommitConflict;
  constructor(table: string, version: number, conflict: DeltaCommitConflict) {
    super(
      'delta_concurrent_modification',
      `Delta table ${table}: concurrent commit at version ${version}: ${conflict.detail} (${conflict.kind}: ${conflictHelp[conflict.kind]})`,
    );
    this.table = table;
    this.version = version;
    this.conflict = conflict;
  }

  get help(): string {
    return conflictHelp[this.conflict.kind];
  }
}

/**
 * A commit request failed without an answer saying whether it landed (a timeout, a lost response,
 * an abort). Its data files are kept: the commit may reference them. Unreferenced ones are
 * orphans that VACUUM removes.
 */
export class DeltaCommitOutcomeUnknownError extends DemandError {
  readonly table: string;
  readonly version: number;
  constructor(table: string, version: number, options?: { cause?: unknown }) {
    super(
      'delta_commit_outcome_unknown',
      `Delta table ${table}: the commit of version ${version} may or may not have landed; its data files are kept`,
      options,
    );
    this.table = table;
    this.version = version;
  }
}

/** No Delta log at the table path (or not at the requested version). */
export class DeltaTableNotFoundError extends DemandError {
  readonly table: string;
  constructor(table: string, detail?: string) {
    super('delta_table_not_found', `Delta table not found: ${table}${detail ? ` (${detail})` : ''}`);
    this.table = table;
  }
}

/** The log is unreadable, incomplete, or needs a protocol feature this module does not support. */
export class DeltaProtocolError extends DemandError {
  readonly table: string;
  constructor(table: string, message: string, options?: { cause?: unknown }) {
    super('delta_protocol', `Delta table ${table}: ${message}`, options);
    this.table = table;
  }
}

/**
 * The table needs a protocol feature this module does not implement (deletion vectors, column
 * mapping, v2 checkpoints...): refused by the feature's name rather than read wrongly.
 */
export class DeltaUnsupportedFeatureError extends DeltaProtocolError {
  readonly features: string[];
  constructor(table: string, features: string[], detail: string) {
    super(table, `needs ${features.map((f) => `"${f}"`).join(', ')}, which this module does not read: ${detail}`);
    this.features = features;
  }
}

/** A column of a type this module does not read (nested array/map/struct, variant...), named. */
export class DeltaUnsupportedTypeError extends DeltaProtocolError {
  readonly column: string;
  readonly columnType: string;
  constructor(table: string, column: string, columnType: string, detail: string) {
    super(table, `column "${column}" has type ${columnType}: ${detail}; read the other columns with the columns option`);
    this.column = column;
    this.columnType = columnType;
  }
}
