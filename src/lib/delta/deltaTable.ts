/**
 * A Delta Lake table on a LakeStore: reads by replaying the log (with checkpoints and time travel),
 * writes Parquet data files then commits them with put-if-absent on the next log version, checking
 * concurrent commits for logical conflicts before retrying (optimistic concurrency, as Delta does).
 */
import {
  DeltaCommitOutcomeUnknownError,
  DeltaProtocolError,
  DeltaSchemaMismatchError,
  DeltaTableNotFoundError,
  DeltaUnsupportedFeatureError,
  DemandError,
  LakeNotFoundError,
  ValidationError,
} from '../errors';
import { lakePath, type LakeStore } from '../lake/lakeStore';
import { commitWithRetry } from './commit';
import { loadDeletionVector, type DeletionVectorDescriptor } from './deletionVector';
import { openFileWriter, skippedFileWriter } from './fileWriter';
import {
  decodeFilePath,
  isAbsoluteFilePath,
  latestVersion,
  listLog,
  loadTableState,
  readCommit,
  type AddAction,
  type MetadataAction,
  type TableState,
} from './log';
import { decodeParquet, decodeParquetColumns, fromParquetValue } from './parquet';
import { prepareWrite } from './prepareWrite';
import { writeRowFiles } from './rowWriter';
import { commitStaged, deleteUncommitted, stageRows, type CommitStagedOptions, type StagedFiles, type StageOptions } from './stagedWrite';
import { fromSchemaString, partitionValueFromString, readSchemaString, unsupportedColumn } from './schema';
import type {
  DeltaColumnBatch,
  DeltaField,
  DeltaFileWriter,
  DeltaReadOptions,
  DeltaRow,
  DeltaSnapshotInfo,
  DeltaValue,
  DeltaWriteOptions,
  DeltaWriteResult,
  FileStatsBounds,
} from './types';
import { deleteUnreferenced, signalOption, touchedPartitions } from './writtenFiles';

export { defaultTargetRowsPerFile } from './prepareWrite';
export { checkpointInterval, maxCommitAttempts } from './commit';

/** Column mapping modes the reader resolves, and the reader features it reads (see assertReadable). */
const columnMappingModes = new Set(['none', 'name', 'id']);
const readableReaderFeatures = new Set([
  'vacuumProtocolCheck',
  'deletionVectors',
  'v2Checkpoint',
  'timestampNtz',
  'variantType',
  'variantType-preview',
]);

export class DeltaTable {
  readonly lake: LakeStore;
  /** Lake path of the table root (the folder holding `_delta_log`). */
  readonly path: string;

  private constructor(lake: LakeStore, tablePath: string) {
    this.lake = lake;
    this.path = lakePath(tablePath);
    if (this.path.length === 0) throw new ValidationError('tablePath', `Delta table path must not be empty: "${tablePath}"`);
  }

  static forPath(lake: LakeStore, tablePath: string): DeltaTable {
    return new DeltaTable(lake, tablePath);
  }

  /** Latest committed version, -1 when there is no table at the path. */
  async version(options: { abortSignal?: AbortSignal } = {}): Promise<number> {
    return latestVersion(await listLog(this.lake, this.path, signalOption(options.abortSignal)));
  }

  /** Loads the replayed log state (throws DeltaTableNotFoundError when there is no table). */
  async state(options: { version?: number; abortSignal?: AbortSignal } = {}): Promise<TableState> {
    let state: TableState;
    try {
      state = await loadTableState(this.lake, this.path, options);
    } catch (err) {
      // A log another engine wrote can hold what no check here foresaw: a typed error, never a crash.
      if (err instanceof DemandError || options.abortSignal?.aborted) throw err;
      throw new DeltaProtocolError(this.path, `the log could not be replayed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    this.assertReadable(state);
    return state;
  }

  async snapshot(options: { version?: number; abortSignal?: AbortSignal } = {}): Promise<DeltaSnapshotInfo> {
    const state = await this.state(options);
    const metadata = state.metadata as MetadataAction;
    return {
      version: state.version,
      schema: fromSchemaString(this.path, metadata.schemaString),
      partitionColumns: [...metadata.partitionColumns],
      files: [...state.files.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map(([, add]) => ({
          path: decodeFilePath(this.path, add.path),
          partitionValues: { ...add.partitionValues },
          sizeInBytes: add.size,
          numRecords: numRecordsOf(add),
        })),
    };
  }

  /**
   * Reader version 1 is read. Version 2 means column mapping (none, name or id mode: columns are
   * found in data files by physical name, or by Parquet field id in id mode).
   * Version 3 lists reader features: read when each one is implemented here (columnMapping,
   * deletionVectors, v2Checkpoint, timestampNtz), needs nothing of a reader (vacuumProtocolCheck)
   * or only allows types refused by column (variantType); anything else (typeWidening...) is
   * refused by its name.
   */
  private assertReadable(state: TableState): void {
    const protocol = state.protocol;
    const format = state.metadata?.format?.provider;
    if (format && format !== 'parquet')
      throw new DeltaUnsupportedFeatureError(this.path, [`format ${format}`], 'data files are not Parquet');
    if (!protocol) return;
    const reader = protocol.minReaderVersion;
    const mappingMode = state.metadata?.configuration?.['delta.columnMapping.mode'] ?? 'none';
    const mappingKnown = columnMappingModes.has(mappingMode);
    const readable = (feature: string): boolean => readableReaderFeatures.has(feature) || (feature === 'columnMapping' && mappingKnown);
    if (reader === 1) return;
    if (reader === 2) {
      if (mappingKnown) return;
      throw new DeltaUnsupportedFeatureError(
        this.path,
        ['columnMapping'],
        `column mapping mode ${mappingMode} is none of ${[...columnMappingModes].join(', ')}`,
      );
    }
    if (reader === 3) {
      const refused = (protocol.readerFeatures ?? []).filter((f) => !readable(f));
      if (refused.length === 0) return;
      throw new DeltaUnsupportedFeatureError(
        this.path,
        refused,
        `reader version 3 with features ${(protocol.readerFeatures ?? []).join(', ')}`,
      );
    }
    throw new DeltaUnsupportedFeatureError(this.path, [`reader version ${reader}`], 'this module reads versions 1 to 3');
  }

  /** Rows of the table (optionally at a version), pruned by partition, projected to `columns`. */
  async *read(options: DeltaReadOptions = {}): AsyncIterable<DeltaRow> {
    const plan = await this.readPlan(options);
    for await (const file of this.readFiles(plan, options)) {
      for (const raw of file.decoded) {
        const row: DeltaRow = {};
        for (const field of plan.wantedFields) {
          if (field.name in file.partitionRow) {
            row[field.name] = file.partitionRow[field.name] as DeltaValue;
            continue;
          }
          row[field.name] = this.valueOf(field, raw[plan.physical(field.name)], file.relativePath);
        }
        yield row;
      }
    }
  }

  /**
   * read() by columns: one batch per row group of each data file (whole files where only the row
   * decode can read them), each wanted column an array of the batch's values
   * (the same values, rows and order as read()). No object per row and no await per row: a caller
   * that folds rows into counts or numbers (publish, inventory planning, the drift check) pays
   * for the Parquet decode, not for building and handing over a million small objects.
   */
  async *readColumns(options: DeltaReadOptions = {}): AsyncIterable<DeltaColumnBatch> {
    const plan = await this.readPlan(options);
    for await (const file of this.readFiles(plan, options, true)) {
      const length = file.columnar ? file.columnar.length : file.decoded.length;
      const columns: Record<string, DeltaValue[]> = {};
      for (const field of plan.wantedFields) {
        const raw = file.columnar?.columns.get(plan.physical(field.name));
        if (!(field.name in file.partitionRow) && raw !== undefined && raw.length === length && !columns[field.name]) {
          // The decoder's array is this batch's own: converted in place, so a row group is not held raw and converted at once.
          for (let i = 0; i < length; i++) raw[i] = this.valueOf(field, raw[i], file.relativePath);
          columns[field.name] = raw as DeltaValue[];
          continue;
        }
        const values = new Array<DeltaValue>(length);
        if (field.name in file.partitionRow) values.fill(file.partitionRow[field.name] as DeltaValue);
        else if (file.columnar) {
          for (let i = 0; i < length; i++) values[i] = this.valueOf(field, raw?.[i], file.relativePath);
        } else {
          const name = plan.physical(field.name);
          for (let i = 0; i < length; i++)
            values[i] = this.valueOf(field, (file.decoded[i] as Record<string, unknown>)[name], file.relativePath);
        }
        columns[field.name] = values;
      }
      yield { length, columns };
    }
  }

  /** A raw Parquet value as the column's DeltaValue; a value the column cannot hold is refused, naming the file. */
  private valueOf(field: DeltaField, raw: unknown, relativePath: string): DeltaValue {
    const value = fromParquetValue(field, raw);
    if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
      throw new DeltaProtocolError(this.path, `data file ${relativePath}: column "${field.name}" (${field.type}): ${value.problem}`);
    }
    return value;
  }

  /** What a read needs once: the state, the wanted fields, physical column names and the data files in path order. */
  private async readPlan(options: DeltaReadOptions) {
    const signal = options.abortSignal;
    const state =
      options.state ??
      (await this.state({ ...(options.version !== undefined ? { version: options.version } : {}), ...signalOption(signal) }));
    if (options.state) {
      this.assertReadable(state);
      if (options.version !== undefined && options.version !== state.version) {
        throw new ValidationError(
          'version',
          `read of ${this.path} asked for version ${options.version} with a state of version ${state.version}`,
        );
      }
    }
    const metadata = state.metadata as MetadataAction;
    const readSchema = readSchemaString(this.path, metadata.schemaString);
    const partitionColumns = metadata.partitionColumns ?? [];
    const byName = new Map(readSchema.columns.map((c) => [c.name, c]));
    const wanted = options.columns ?? readSchema.columns.map((c) => c.name);
    const wantedFields: DeltaField[] = [];
    for (const name of wanted) {
      const column = byName.get(name);
      if (!column) {
        throw new DeltaSchemaMismatchError(
          this.path,
          name,
          `not in the table (columns: ${readSchema.columns.map((c) => c.name).join(', ')})`,
        );
      }
      if (!column.field) throw unsupportedColumn(this.path, column);
      wantedFields.push(column.field);
    }
    const dataFields = wantedFields.filter((f) => !partitionColumns.includes(f.name));
    // Column mapping: data files and partitionValues use physical names (field ids in id mode).
    const mappingMode = metadata.configuration?.['delta.columnMapping.mode'] ?? 'none';
    const physical = (name: string): string => (mappingMode === 'none' ? name : (byName.get(name)?.physicalName ?? name));
    const dataColumns = dataFields.map((f) => physical(f.name));
    const fieldIds = new Map<string, number>();
    if (mappingMode === 'id') {
      for (const f of dataFields) {
        const id = byName.get(f.name)?.fieldId;
        if (id !== undefined) fieldIds.set(physical(f.name), id);
      }
    }
    const files = [...state.files.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { wantedFields, partitionColumns, physical, dataColumns, fieldIds, files };
  }

  /** Each data file the read keeps, decoded (deletion vector applied), with its partition values as typed columns. */
  private async *readFiles(
    plan: Awaited<ReturnType<DeltaTable['readPlan']>>,
    options: DeltaReadOptions,
    columnar = false,
  ): AsyncIterable<{
    decoded: Array<Record<string, unknown>>;
    /** The file's raw values by column (columnar reads of files without a deletion vector), else undefined: use `decoded`. */
    columnar?: { length: number; columns: Map<string, unknown[]> } | undefined;
    partitionRow: DeltaRow;
    relativePath: string;
  }> {
    const signal = options.abortSignal;
    const { wantedFields, partitionColumns, physical, dataColumns, fieldIds } = plan;
    for (const [, add] of plan.files) {
      signal?.throwIfAborted();
      const relativePath = decodeFilePath(this.path, add.path);
      const partitionValues: Record<string, string | null> = {};
      for (const column of partitionColumns) partitionValues[column] = add.partitionValues?.[physical(column)] ?? null;
      if (options.partitionFilter && !options.partitionFilter(partitionValues)) continue;
      if (options.statsFilter && !options.statsFilter(statsBoundsOf(add))) continue;
      if (isAbsoluteFilePath(relativePath)) {
        throw new DeltaUnsupportedFeatureError(
          this.path,
          ['absolute file paths'],
          `data file ${relativePath} lies outside the table folder`,
        );
      }
      const dv = add.deletionVector as DeletionVectorDescriptor | undefined;
      const deleted = dv ? await loadDeletionVector(this.path, dv, (p) => this.readTableFile(p, signal)) : undefined;
      let decoded: Array<Record<string, unknown>> = [];
      const partitionRow: DeltaRow = {};
      for (const field of wantedFields) {
        if (partitionColumns.includes(field.name)) partitionRow[field.name] = partitionValueFromString(field, partitionValues[field.name]);
      }
      if (columnar && !deleted && fieldIds.size === 0 && dataColumns.length > 0) {
        const groups = await this.readDataFileColumns(relativePath, dataColumns, signal);
        if (groups) {
          for await (const byColumn of this.decodedGroups(relativePath, groups))
            yield { decoded, columnar: byColumn, partitionRow, relativePath };
          continue;
        }
      }
      if (dataColumns.length === 0 && numRecordsOf(add) !== undefined) {
        decoded = Array.from({ length: (numRecordsOf(add) ?? 0) - (deleted?.size ?? 0) }, () => ({}));
      } else {
        decoded = await this.readDataFile(relativePath, dataColumns, signal, fieldIds);
        // Rows a DELETE/UPDATE/MERGE marked in the deletion vector, by their index in the file.
        if (deleted && deleted.size > 0) decoded = decoded.filter((_, index) => !deleted.has(index));
      }
      yield { decoded, partitionRow, relativePath };
    }
  }

  /** Bytes of a file inside the table folder (deletion vectors), a missing one named. */
  private async readTableFile(relativePath: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
    if (isAbsoluteFilePath(relativePath)) {
      throw new DeltaUnsupportedFeatureError(this.path, ['absolute file paths'], `${relativePath} lies outside the table folder`);
    }
    try {
      const data = await this.lake.read(lakePath(this.path, relativePath), signalOption(signal));
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (err) {
      if (err instanceof LakeNotFoundError)
        throw new DeltaProtocolError(this.path, `${relativePath} is in the log but not in the lake`, { cause: err });
      throw err;
    }
  }

  /** A data file's raw values by column, a row group at a time (decodeParquetColumns), or undefined when only the row decode can read it. */
  private async readDataFileColumns(
    relativePath: string,
    columns: string[],
    signal: AbortSignal | undefined,
  ): Promise<AsyncIterable<{ length: number; columns: Map<string, unknown[]> }> | undefined> {
    const data = await this.dataFileBytes(relativePath, signal);
    try {
      return await decodeParquetColumns(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), columns);
    } catch (err) {
      throw new DeltaProtocolError(this.path, `data file ${relativePath} could not be decoded`, { cause: err });
    }
  }

  /** The row groups of a columnar decode, a decoding failure named as the file's. */
  private async *decodedGroups(
    relativePath: string,
    groups: AsyncIterable<{ length: number; columns: Map<string, unknown[]> }>,
  ): AsyncIterable<{ length: number; columns: Map<string, unknown[]> }> {
    const iterator = groups[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<{ length: number; columns: Map<string, unknown[]> }>;
      try {
        next = await iterator.next();
      } catch (err) {
        throw new DeltaProtocolError(this.path, `data file ${relativePath} could not be decoded`, { cause: err });
      }
      if (next.done) return;
      yield next.value;
    }
  }

  private async readDataFile(
    relativePath: string,
    columns: string[],
    signal: AbortSignal | undefined,
    fieldIds?: ReadonlyMap<string, number>,
  ): Promise<Array<Record<string, unknown>>> {
    const data = await this.dataFileBytes(relativePath, signal);
    try {
      return await decodeParquet(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), {
        columns,
        raw: true,
        ...(fieldIds ? { fieldIds } : {}),
      });
    } catch (err) {
      throw new DeltaProtocolError(this.path, `data file ${relativePath} could not be decoded`, { cause: err });
    }
  }

  private async dataFileBytes(relativePath: string, signal: AbortSignal | undefined): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await this.lake.read(lakePath(this.path, relativePath), signalOption(signal));
    } catch (err) {
      if (err instanceof LakeNotFoundError) {
        throw new DeltaProtocolError(
          this.path,
          `data file ${relativePath} is in the log but not in the lake (deleted outside Delta, or vacuumed too early)`,
          { cause: err },
        );
      }
      throw err;
    }
    return data;
  }

  async readAll(options: DeltaReadOptions = {}): Promise<DeltaRow[]> {
    const rows: DeltaRow[] = [];
    for await (const row of this.read(options)) rows.push(row);
    return rows;
  }

  /** commitInfo of every version still in the log, oldest first, each with its `version`. */
  async history(options: { abortSignal?: AbortSignal } = {}): Promise<Array<Record<string, unknown>>> {
    const listing = await listLog(this.lake, this.path, signalOption(options.abortSignal));
    const versions = [...listing.commits.keys()].sort((a, b) => a - b);
    const out: Array<Record<string, unknown>> = [];
    for (const version of versions) {
      const actions = await readCommit(this.lake, this.path, version, options.abortSignal);
      const info = actions.find((a) => a.commitInfo)?.commitInfo;
      out.push({ version, ...(info !== null && typeof info === 'object' && !Array.isArray(info) ? info : {}) });
    }
    return out;
  }

  /** The latest replayed log state, or undefined when there is no table at the path. */
  async stateIfExists(options: { abortSignal?: AbortSignal } = {}): Promise<TableState | undefined> {
    try {
      return await this.state(options);
    } catch (err) {
      if (err instanceof DeltaTableNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Opens a write whose Parquet files are encoded by the caller (see DeltaFileWriter): the same
   * validation, modes, idempotent txn and conflict handling as write(), for bulk writers that build
   * columns directly and encode them off the main thread.
   */
  async openWriter(options: DeltaWriteOptions): Promise<DeltaFileWriter> {
    const prepared = await prepareWrite(this, options);
    if (prepared.skipped) return skippedFileWriter(prepared.skipped);
    return openFileWriter(this, prepared, options);
  }

  /**
   * Writes rows as new Parquet files and commits them (see DeltaWriteOptions for the modes).
   * Rows are validated against the table schema; a mismatch fails before anything is committed.
   * Phases as in delta-rs: prepare (prepareWrite.ts), data files (rowWriter.ts), commit with
   * conflict checks and retries (commit.ts, conflictChecker.ts).
   */
  async write(rows: DeltaRow[] | AsyncIterable<DeltaRow>, options: DeltaWriteOptions): Promise<DeltaWriteResult> {
    const prepared = await prepareWrite(this, options);
    if (prepared.skipped) return prepared.skipped;
    const { state, schema, partitionColumns } = prepared;
    const written = await writeRowFiles(this, rows, prepared, options.abortSignal);
    try {
      const touched = touchedPartitions(partitionColumns, written.touched, options.partitions, options.appendPartitions);
      return await commitWithRetry(this, state, { schema, partitionColumns, written, touched, options });
    } catch (err) {
      // Nothing references these files unless a commit succeeded; remove them (best effort),
      // unless the commit may have landed.
      if (!(err instanceof DeltaCommitOutcomeUnknownError)) await deleteUnreferenced(this.lake, written.files);
      throw err;
    }
  }

  /**
   * Writes rows as data files named by `stageId` and their content, without committing them:
   * many writers stage side by side and one commitStaged adds them all (see stagedWrite.ts).
   * Staging the same rows again stores nothing new.
   */
  async stage(rows: DeltaRow[] | AsyncIterable<DeltaRow>, options: StageOptions): Promise<StagedFiles> {
    return stageRows(this, rows, options);
  }

  /** Adds staged files in one append commit (idempotent by its txn); the files stay when it fails. */
  async commitStaged(staged: readonly StagedFiles[], options: CommitStagedOptions): Promise<DeltaWriteResult> {
    return commitStaged(this, staged, options);
  }

  /** Deletes the files of a partition the latest version does not reference (staged, never committed); how many. */
  async deleteUncommitted(partitionValues: Record<string, string | null>, options: { abortSignal?: AbortSignal } = {}): Promise<number> {
    return deleteUncommitted(this, partitionValues, options);
  }
}

/** The file's min/max stats, or undefined when it has none (or they do not parse): such a file is never skipped by stats. */
function statsBoundsOf(add: AddAction): FileStatsBounds | undefined {
  if (!add.stats) return undefined;
  try {
    const parsed = JSON.parse(add.stats) as Partial<FileStatsBounds> | null;
    if (!parsed || typeof parsed !== 'object') return undefined;
    return {
      ...(typeof parsed.numRecords === 'number' ? { numRecords: parsed.numRecords } : {}),
      minValues: parsed.minValues && typeof parsed.minValues === 'object' ? parsed.minValues : {},
      maxValues: parsed.maxValues && typeof parsed.maxValues === 'object' ? parsed.maxValues : {},
    };
  } catch {
    return undefined;
  }
}

function numRecordsOf(add: AddAction): number | undefined {
  if (!add.stats) return undefined;
  try {
    const parsed = JSON.parse(add.stats) as { numRecords?: unknown };
    return typeof parsed.numRecords === 'number' ? parsed.numRecords : undefined;
  } catch {
    return undefined;
  }
}
