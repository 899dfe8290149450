/**
 * Public shapes of the project's Delta Lake module (implemented in src/lib/delta/*).
 * Rows are plain objects; logical types map to JS values as:
 *   string → string, long/integer/short/byte → number (safe integers), double/float → number
 *   (a float is the float32 value, exactly), boolean → boolean, binary → Uint8Array,
 *   decimal(p,s) → string with exactly s fraction digits ('-12.50'; exact, see decimal.ts),
 *   date → 'YYYY-MM-DD' string, timestamp → ISO-8601 string (UTC; milliseconds as
 *   '…T10:11:12.345Z', with six fraction digits when the value has microseconds),
 *   timestamp_ntz → the same text without the zone ('2021-11-18T02:30:00.123456'; read only).
 * null is allowed only in nullable fields. Nested types (array, map, struct) are refused by name.
 */
import type { TableState } from './log';

/** `decimal(precision,scale)` as Delta's schema writes it, e.g. 'decimal(10,2)'. */
export type DeltaDecimalType = `decimal(${number},${number})`;

export type DeltaPrimitiveType =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'double'
  | 'float'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  /** Read only (writing it needs the timestampNtz table feature, beyond writer 2). */
  | 'timestamp_ntz'
  | DeltaDecimalType;

export interface DeltaField {
  name: string;
  type: DeltaPrimitiveType;
  nullable: boolean;
}

export interface DeltaSchema {
  fields: DeltaField[];
}

export type DeltaValue = string | number | boolean | Uint8Array | null;
export type DeltaRow = Record<string, DeltaValue>;

export interface DeltaWriteOptions {
  schema: DeltaSchema;
  /**
   * 'merge': columns of `schema` the existing table lacks are added (nullable ones only; the commit
   * carries the new metaData, as Spark's mergeSchema). Absent: the schema must equal the table's.
   */
  schemaMode?: 'merge';
  /** Partition columns (must be in the schema); only used when the table is created. */
  partitionBy?: string[];
  /**
   * append: add files. overwrite: replace the whole table.
   * overwritePartitions: replace exactly the partitions that `rows` touch (plus `partitions` if given),
   * leaving the others — how an incremental run recomputes only affected dates.
   */
  mode: 'append' | 'overwrite' | 'overwritePartitions';
  /** Extra partitions to clear in overwritePartitions mode even if `rows` has none for them. */
  partitions?: Array<Record<string, string>>;
  /**
   * overwritePartitions: partitions this write only adds files to, keeping the files they have (an
   * append into them, e.g. a new day of a month), although the write stores files there.
   */
  appendPartitions?: Array<Record<string, string>>;
  /**
   * Idempotency through Delta's `txn` action: a write whose (appId, version) was already committed
   * is skipped and returns the committed table version. Use e.g. appId=`<table>:<runId>:<batchId>`.
   */
  transaction?: { appId: string; version: number };
  /** Free-form commitInfo.operationParameters additions (runId, etc.). */
  commitInfo?: Record<string, string>;
  /** Target rows per Parquet file (the writer splits larger inputs). */
  targetRowsPerFile?: number;
  /**
   * The table state the rows were computed from (loaded with `DeltaTable.state()`). The commit is
   * checked against every commit after it, as against a racing writer: an overwrite that another
   * writer's change would silently replace fails with DeltaConcurrentModificationError instead.
   * Default: the latest state when the write starts.
   */
  readState?: TableState;
  abortSignal?: AbortSignal;
}

export interface DeltaWriteResult {
  /** The table version this write produced (or found, when skipped as already applied). */
  version: number;
  skipped: boolean;
  filesAdded: number;
  filesRemoved: number;
  rowsWritten: number;
}

/**
 * A write whose data files are encoded elsewhere (e.g. on worker threads) and added one by one,
 * then committed together exactly as `DeltaTable.write` commits (same modes, txn and conflict checks).
 */
export interface DeltaFileWriter {
  /** True when the write's transaction was already committed: add() does nothing, commit() reports it. */
  readonly skipped: boolean;
  /** The non-partition fields, in the order the encoded columns must follow. */
  readonly dataFields: readonly DeltaField[];
  /** Stores one encoded data file of the given partition (values in Delta's partition-string form). */
  addFile(partitionValues: Record<string, string | null>, file: { bytes: Uint8Array; stats: { numRecords: number } }): Promise<void>;
  commit(): Promise<DeltaWriteResult>;
  /**
   * Deletes the files added so far (best effort); nothing references them before a commit. After
   * a successful commit it does nothing: the files are the table's.
   */
  abort(): Promise<void>;
}

/** One data file's rows by column (DeltaTable.readColumns): `columns[name][i]` is row i's value. */
export interface DeltaColumnBatch {
  length: number;
  columns: Record<string, DeltaValue[]>;
}

export interface DeltaReadOptions {
  /** Time travel: read the table as of this version. */
  version?: number;
  /**
   * A state loaded earlier with `DeltaTable.state()`: the read uses it instead of replaying the
   * log again, so many partition reads of one version cost one replay.
   */
  state?: TableState;
  /** Keep only files whose partition values pass (pruning before any Parquet is read). */
  partitionFilter?: (partitionValues: Record<string, string | null>) => boolean;
  /** Project these columns only. */
  columns?: string[];
  /**
   * Data skipping: keep only files whose add.stats pass (min/max values per column, as written).
   * A file without stats is always read (the filter gets undefined and must then say true).
   */
  statsFilter?: (stats: FileStatsBounds | undefined) => boolean;
  abortSignal?: AbortSignal;
}

/** A data file's min/max values per column from its add.stats (Delta's JSON form: dates 'YYYY-MM-DD'). */
export interface FileStatsBounds {
  numRecords?: number;
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
}

export interface DeltaFileInfo {
  path: string;
  partitionValues: Record<string, string | null>;
  sizeInBytes: number;
  numRecords: number | undefined;
}

export interface DeltaSnapshotInfo {
  version: number;
  schema: DeltaSchema;
  partitionColumns: string[];
  files: DeltaFileInfo[];
}
