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

/** Another writer committed a conflicting change first (and retries could not resolve it). */
export class DeltaConcurrentModificationError extends DemandError {
  readonly table: string;
  readonly version: number;
  constructor(table: string, version: number, reason: string) {
    super('delta_concurrent_modification', `Delta table ${table}: concurrent commit at version ${version}: ${reason}`);
    this.table = table;
    this.version = version;
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
