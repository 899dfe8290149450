/**
 * A Delta Lake table on a LakeStore: reads by replaying the log (with checkpoints and time travel),
 * writes Parquet data files then commits them with put-if-absent on the next log version, checking
 * concurrent commits for logical conflicts before retrying (optimistic concurrency, as Delta does).
 */
import { randomUUID } from 'node:crypto';
import {
  DeltaCommitOutcomeUnknownError,
  DeltaConcurrentModificationError,
  DeltaProtocolError,
  DeltaSchemaMismatchError,
  DeltaTableNotFoundError,
  DeltaUnsupportedFeatureError,
  DemandError,
  LakeNotFoundError,
  ValidationError,
} from '../errors';
import { lakePath, type LakeStore } from '../lake/lakeStore';
import { writeCheckpoint } from './checkpoint';
import {
  commitFileName,
  decodeFilePath,
  encodeFilePath,
  isAbsoluteFilePath,
  latestVersion,
  listLog,
  loadTableState,
  logFolder,
  readCommit,
  type AddAction,
  type DeltaAction,
  type MetadataAction,
  type RemoveAction,
  type TableState,
} from './log';
import { ColumnBuffer } from './columnBuffer';
import { loadDeletionVector, type DeletionVectorDescriptor } from './deletionVector';
import { decodeParquet, encodeParquetColumns, fromParquetValue } from './parquet';
import { partitionFolder, partitionKey } from './partitions';
import {
  assertSameSchema,
  assertValidSchema,
  fromSchemaString,
  partitionValueFromString,
  partitionValueString,
  readSchemaString,
  rowValidator,
  toSchemaString,
  unsupportedColumn,
} from './schema';
import type {
  DeltaField,
  DeltaReadOptions,
  DeltaRow,
  DeltaSchema,
  DeltaSnapshotInfo,
  DeltaValue,
  DeltaFileWriter,
  DeltaWriteOptions,
  DeltaWriteResult,
} from './types';

export const defaultTargetRowsPerFile = 250_000;
/** Commit attempts before a write gives up on a busy table. */
export const maxCommitAttempts = 10;
/** A Parquet checkpoint is written after every N-th version (Delta's default interval). */
export const checkpointInterval = 10;

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

const engineInfo = 'azure-demand-forecast-delta/0.1 (hyparquet-writer)';

interface WrittenFile {
  add: AddAction;
  lakePath: string;
}

function signalOption(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

async function* iterateRows(rows: DeltaRow[] | AsyncIterable<DeltaRow>): AsyncIterable<DeltaRow> {
  if (Array.isArray(rows)) yield* rows;
  else yield* rows;
}

/** What a winning concurrent commit means for ours (delta-rs names these conflict kinds too). */
type ConflictVerdict = { kind: 'none' } | { kind: 'already-applied' } | { kind: 'conflict'; reason: string };
const conflict = (reason: string): ConflictVerdict => ({ kind: 'conflict', reason });

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

  private assertWritable(state: TableState): void {
    const protocol = state.protocol;
    if (protocol && protocol.minWriterVersion > 2) {
      throw new DeltaProtocolError(this.path, `needs writer version ${protocol.minWriterVersion}; this module writes version 2`);
    }
  }

  /** Rows of the table (optionally at a version), pruned by partition, projected to `columns`. */
  async *read(options: DeltaReadOptions = {}): AsyncIterable<DeltaRow> {
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
    for (const [, add] of files) {
      signal?.throwIfAborted();
      const relativePath = decodeFilePath(this.path, add.path);
      const partitionValues: Record<string, string | null> = {};
      for (const column of partitionColumns) partitionValues[column] = add.partitionValues?.[physical(column)] ?? null;
      if (options.partitionFilter && !options.partitionFilter(partitionValues)) continue;
      if (isAbsoluteFilePath(relativePath)) {
        throw new DeltaUnsupportedFeatureError(
          this.path,
          ['absolute file paths'],
          `data file ${relativePath} lies outside the table folder`,
        );
      }
      const dv = add.deletionVector as DeletionVectorDescriptor | undefined;
      const deleted = dv ? await loadDeletionVector(this.path, dv, (p) => this.readTableFile(p, signal)) : undefined;
      let decoded: Array<Record<string, unknown>>;
      if (dataColumns.length === 0 && numRecordsOf(add) !== undefined) {
        decoded = Array.from({ length: (numRecordsOf(add) ?? 0) - (deleted?.size ?? 0) }, () => ({}));
      } else {
        decoded = await this.readDataFile(relativePath, dataColumns, signal, fieldIds);
        // Rows a DELETE/UPDATE/MERGE marked in the deletion vector, by their index in the file.
        if (deleted && deleted.size > 0) decoded = decoded.filter((_, index) => !deleted.has(index));
      }
      const partitionRow: DeltaRow = {};
      for (const field of wantedFields) {
        if (partitionColumns.includes(field.name)) partitionRow[field.name] = partitionValueFromString(field, partitionValues[field.name]);
      }
      for (const raw of decoded) {
        const row: DeltaRow = {};
        for (const field of wantedFields) {
          if (field.name in partitionRow) {
            row[field.name] = partitionRow[field.name] as DeltaValue;
            continue;
          }
          const value = fromParquetValue(field, raw[physical(field.name)]);
          if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
            throw new DeltaProtocolError(this.path, `data file ${relativePath}: column "${field.name}" (${field.type}): ${value.problem}`);
          }
          row[field.name] = value;
        }
        yield row;
      }
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

  private async readDataFile(
    relativePath: string,
    columns: string[],
    signal: AbortSignal | undefined,
    fieldIds?: ReadonlyMap<string, number>,
  ): Promise<Array<Record<string, unknown>>> {
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

  /** Checks the options against the table; a write whose txn was already committed is answered here. */
  private async prepareWrite(
    options: DeltaWriteOptions,
  ): Promise<
    | { skipped: DeltaWriteResult }
    | { skipped?: undefined; state: TableState | undefined; schema: DeltaSchema; partitionColumns: string[]; targetRowsPerFile: number }
  > {
    const signal = options.abortSignal;
    if (!['append', 'overwrite', 'overwritePartitions'].includes(options.mode)) {
      throw new ValidationError('mode', `Delta write mode must be append, overwrite or overwritePartitions, got "${String(options.mode)}"`);
    }
    const transaction = options.transaction;
    if (transaction && (!transaction.appId || !Number.isSafeInteger(transaction.version) || transaction.version < 0)) {
      throw new ValidationError(
        'transaction',
        `transaction needs a non-empty appId and a non-negative integer version, got ${JSON.stringify(transaction)}`,
      );
    }
    const targetRowsPerFile = options.targetRowsPerFile ?? defaultTargetRowsPerFile;
    if (!Number.isSafeInteger(targetRowsPerFile) || targetRowsPerFile < 1) {
      throw new ValidationError('targetRowsPerFile', `targetRowsPerFile must be a positive integer, got ${targetRowsPerFile}`);
    }

    const state = options.readState ?? (await this.stateIfExists(signalOption(signal)));
    if (state) this.assertWritable(state);
    if (transaction && state && (state.appTransactions.get(transaction.appId) ?? -1) >= transaction.version) {
      return { skipped: { version: state.version, skipped: true, filesAdded: 0, filesRemoved: 0, rowsWritten: 0 } };
    }

    let schema: DeltaSchema;
    let partitionColumns: string[];
    if (state) {
      const metadata = state.metadata as MetadataAction;
      schema = fromSchemaString(this.path, metadata.schemaString);
      partitionColumns = [...metadata.partitionColumns];
      assertSameSchema(this.path, schema, options.schema);
      if (options.mode !== 'append' && metadata.configuration['delta.appendOnly'] === 'true') {
        throw new DeltaProtocolError(this.path, `table is append-only (delta.appendOnly=true); mode ${options.mode} refused`);
      }
    } else {
      schema = { fields: options.schema.fields.map((f) => ({ ...f })) };
      partitionColumns = [...(options.partitionBy ?? [])];
      assertValidSchema(this.path, schema, partitionColumns);
    }

    return { state, schema, partitionColumns, targetRowsPerFile };
  }

  /**
   * Opens a write whose Parquet files are encoded by the caller (see DeltaFileWriter): the same
   * validation, modes, idempotent txn and conflict handling as write(), for bulk writers that build
   * columns directly and encode them off the main thread.
   */
  async openWriter(options: DeltaWriteOptions): Promise<DeltaFileWriter> {
    const signal = options.abortSignal;
    const prepared = await this.prepareWrite(options);
    if (prepared.skipped) {
      const result = prepared.skipped;
      return { skipped: true, dataFields: [], addFile: async () => undefined, commit: async () => result, abort: async () => undefined };
    }
    const { state, schema, partitionColumns } = prepared;
    const dataFields = schema.fields.filter((f) => !partitionColumns.includes(f.name));
    const files: WrittenFile[] = [];
    const touched = new Set<string>();
    let rowCount = 0;
    let open = true;
    // Once committed (or maybe committed), the files belong to the table: an abort then (a later
    // step of the caller failed) must leave them, or the log could point at missing files.
    let keepFiles = false;
    const abort = async (): Promise<void> => {
      open = false;
      if (keepFiles) return;
      await Promise.all(files.map((f) => this.lake.delete(f.lakePath).catch(() => undefined)));
    };
    return {
      skipped: false,
      dataFields,
      addFile: async (partitionValues, file) => {
        if (!open) throw new ValidationError('writer', `Delta writer for ${this.path} is already committed or aborted`);
        const values: Record<string, string | null> = {};
        for (const column of partitionColumns) {
          if (!(column in partitionValues))
            throw new ValidationError('partitionValues', `data file for ${this.path} lacks partition column "${column}"`);
          values[column] = partitionValues[column] ?? null;
        }
        const folder = partitionFolder(partitionColumns, values);
        const name = `part-${String(files.length).padStart(5, '0')}-${randomUUID()}.c000.snappy.parquet`;
        const relative = folder ? `${folder}/${name}` : name;
        const target = lakePath(this.path, relative);
        signal?.throwIfAborted();
        await this.lake.put(target, file.bytes, signalOption(signal));
        touched.add(partitionKey(partitionColumns, values));
        rowCount += file.stats.numRecords;
        files.push({
          lakePath: target,
          add: {
            path: encodeFilePath(relative),
            partitionValues: values,
            size: file.bytes.byteLength,
            modificationTime: Date.now(),
            dataChange: true,
            stats: JSON.stringify(file.stats),
          },
        });
      },
      commit: async () => {
        if (!open) throw new ValidationError('writer', `Delta writer for ${this.path} is already committed or aborted`);
        open = false;
        const allTouched = new Set(touched);
        for (const extra of options.partitions ?? []) {
          for (const column of partitionColumns) {
            if (!(column in extra)) throw new ValidationError('partitions', `partition ${JSON.stringify(extra)} lacks column "${column}"`);
          }
          allTouched.add(partitionKey(partitionColumns, extra));
        }
        try {
          const result = await this.commitWithRetry(state, schema, partitionColumns, { files, rowCount }, allTouched, options);
          keepFiles = !result.skipped;
          return result;
        } catch (err) {
          if (err instanceof DeltaCommitOutcomeUnknownError) keepFiles = true;
          else await Promise.all(files.map((f) => this.lake.delete(f.lakePath).catch(() => undefined)));
          throw err;
        }
      },
      abort,
    };
  }

  /**
   * Writes rows as new Parquet files and commits them (see DeltaWriteOptions for the modes).
   * Rows are validated against the table schema; a mismatch fails before anything is committed.
   */
  async write(rows: DeltaRow[] | AsyncIterable<DeltaRow>, options: DeltaWriteOptions): Promise<DeltaWriteResult> {
    const signal = options.abortSignal;
    const prepared = await this.prepareWrite(options);
    if (prepared.skipped) return prepared.skipped;
    const { state, schema, partitionColumns, targetRowsPerFile } = prepared;
    const written = await this.writeDataFiles(rows, schema, partitionColumns, targetRowsPerFile, signal);
    try {
      const touched = new Set(written.touched);
      for (const extra of options.partitions ?? []) {
        for (const column of partitionColumns) {
          if (!(column in extra)) throw new ValidationError('partitions', `partition ${JSON.stringify(extra)} lacks column "${column}"`);
        }
        touched.add(partitionKey(partitionColumns, extra));
      }
      return await this.commitWithRetry(state, schema, partitionColumns, written, touched, options);
    } catch (err) {
      // Nothing references these files unless a commit succeeded; remove them (best effort),
      // unless the commit may have landed.
      if (!(err instanceof DeltaCommitOutcomeUnknownError))
        await Promise.all(written.files.map((f) => this.lake.delete(f.lakePath).catch(() => undefined)));
      throw err;
    }
  }

  private async writeDataFiles(
    rows: DeltaRow[] | AsyncIterable<DeltaRow>,
    schema: DeltaSchema,
    partitionColumns: string[],
    targetRowsPerFile: number,
    signal: AbortSignal | undefined,
  ): Promise<{ files: WrittenFile[]; touched: string[]; rowCount: number }> {
    const validate = rowValidator(this.path, schema);
    const partitionFields = partitionColumns.map((c) => schema.fields.find((f) => f.name === c) as DeltaField);
    const dataFields = schema.fields.filter((f) => !partitionColumns.includes(f.name));
    // Rows are kept as columns per partition (physical values and stats built as they arrive).
    const buffers = new Map<string | null, { values: Record<string, string | null>; columns: ColumnBuffer }>();
    const single = partitionFields.length === 1 ? (partitionFields[0] as DeltaField) : undefined;
    const files: WrittenFile[] = [];
    const touched = new Set<string>();
    let buffered = 0;
    let rowCount = 0;

    const flush = async (key: string | null): Promise<void> => {
      const buffer = buffers.get(key);
      if (!buffer || buffer.columns.length === 0) return;
      buffers.delete(key);
      buffered -= buffer.columns.length;
      const folder = partitionFolder(partitionColumns, buffer.values);
      const name = `part-${String(files.length).padStart(5, '0')}-${randomUUID()}.c000.snappy.parquet`;
      const relative = folder ? `${folder}/${name}` : name;
      const stats = buffer.columns.stats();
      const bytes = encodeParquetColumns(dataFields, buffer.columns.columnData());
      const target = lakePath(this.path, relative);
      await this.lake.put(target, bytes, signalOption(signal));
      files.push({
        lakePath: target,
        add: {
          path: encodeFilePath(relative),
          partitionValues: buffer.values,
          size: bytes.byteLength,
          modificationTime: Date.now(),
          dataChange: true,
          stats: JSON.stringify(stats),
        },
      });
    };

    try {
      for await (const row of iterateRows(rows)) {
        validate(row, rowCount);
        rowCount++;
        // Group key: the partition value itself for one partition column (the common case), the
        // canonical partitionKey otherwise; partitionKey is computed once per partition.
        let lookup: string | null;
        if (single) {
          lookup = partitionValueString(single, row[single.name] ?? null);
        } else {
          const values: Record<string, string | null> = {};
          for (const field of partitionFields) values[field.name] = partitionValueString(field, row[field.name] ?? null);
          lookup = partitionKey(partitionColumns, values);
        }
        let buffer = buffers.get(lookup);
        if (!buffer) {
          const values: Record<string, string | null> = {};
          for (const field of partitionFields) values[field.name] = partitionValueString(field, row[field.name] ?? null);
          touched.add(partitionKey(partitionColumns, values));
          buffer = { values, columns: new ColumnBuffer(dataFields) };
          buffers.set(lookup, buffer);
        }
        buffer.columns.push(row);
        buffered++;
        if (buffer.columns.length >= targetRowsPerFile) {
          signal?.throwIfAborted();
          await flush(lookup);
        } else if (buffered >= 2 * targetRowsPerFile) {
          // Many small partitions in flight: write the biggest so memory stays bounded.
          let biggest = lookup;
          let size = 0;
          for (const [k, b] of buffers) if (b.columns.length > size) [biggest, size] = [k, b.columns.length];
          signal?.throwIfAborted();
          await flush(biggest);
        }
      }
      for (const key of [...buffers.keys()]) await flush(key);
    } catch (err) {
      await Promise.all(files.map((f) => this.lake.delete(f.lakePath).catch(() => undefined)));
      throw err;
    }
    return { files, touched: [...touched], rowCount };
  }

  private buildActions(
    state: TableState | undefined,
    schema: DeltaSchema,
    partitionColumns: string[],
    written: { files: WrittenFile[]; rowCount: number },
    touched: Set<string>,
    options: DeltaWriteOptions,
    commitId: string,
  ): { actions: DeltaAction[]; removed: number } {
    const now = Date.now();
    const actions: DeltaAction[] = [];
    const mode = options.mode;
    const dynamic = mode === 'overwritePartitions' && partitionColumns.length > 0;
    const removes: RemoveAction[] = [];
    if (state && mode !== 'append') {
      for (const add of state.files.values()) {
        if (dynamic && !touched.has(partitionKey(partitionColumns, add.partitionValues ?? {}))) continue;
        removes.push({
          path: add.path,
          deletionTimestamp: now,
          dataChange: true,
          extendedFileMetadata: true,
          partitionValues: add.partitionValues,
          size: add.size,
        });
      }
    }
    const operationParameters: Record<string, string> = {
      mode: mode === 'append' ? 'Append' : 'Overwrite',
      partitionBy: JSON.stringify(partitionColumns),
      ...(dynamic ? { partitionOverwriteMode: 'DYNAMIC' } : {}),
      ...(options.commitInfo ?? {}),
    };
    const bytes = written.files.reduce((sum, f) => sum + f.add.size, 0);
    actions.push({
      commitInfo: {
        timestamp: now,
        operation: state ? 'WRITE' : 'CREATE TABLE AS SELECT',
        operationParameters,
        ...(state ? { readVersion: state.version } : {}),
        isolationLevel: 'Serializable',
        isBlindAppend: mode === 'append',
        operationMetrics: {
          numFiles: String(written.files.length),
          numOutputRows: String(written.rowCount),
          numOutputBytes: String(bytes),
          ...(removes.length > 0 ? { numRemovedFiles: String(removes.length) } : {}),
        },
        engineInfo,
        txnId: commitId,
      },
    });
    if (!state) {
      actions.push({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } });
      actions.push({
        metaData: {
          id: randomUUID(),
          format: { provider: 'parquet', options: {} },
          schemaString: toSchemaString(schema),
          partitionColumns,
          configuration: {},
          createdTime: now,
        },
      });
    }
    if (options.transaction) {
      actions.push({ txn: { appId: options.transaction.appId, version: options.transaction.version, lastUpdated: now } });
    }
    for (const remove of removes) actions.push({ remove });
    for (const file of written.files) actions.push({ add: file.add });
    return { actions, removed: removes.length };
  }

  private async commitWithRetry(
    initialState: TableState | undefined,
    schema: DeltaSchema,
    partitionColumns: string[],
    written: { files: WrittenFile[]; rowCount: number },
    touched: Set<string>,
    options: DeltaWriteOptions,
  ): Promise<DeltaWriteResult> {
    const signal = options.abortSignal;
    // Every attempt of this write carries the same commitInfo.txnId, so a commit of ours whose
    // answer was lost (a retried request then finds the log file present) is recognised as ours.
    const commitId = randomUUID();
    let state = initialState;
    for (let attempt = 1; attempt <= maxCommitAttempts; attempt++) {
      signal?.throwIfAborted();
      const readVersion = state?.version ?? -1;
      const commitVersion = readVersion + 1;
      const { actions, removed } = this.buildActions(state, schema, partitionColumns, written, touched, options, commitId);
      const body = `${actions.map((a) => JSON.stringify(a)).join('\n')}\n`;
      const landed = async (version: number): Promise<DeltaWriteResult> => {
        if (version > 0 && version % checkpointInterval === 0) await this.tryCheckpoint(version, signal);
        return { version, skipped: false, filesAdded: written.files.length, filesRemoved: removed, rowsWritten: written.rowCount };
      };
      let committed: boolean;
      try {
        committed = await this.lake.putIfAbsent(
          lakePath(this.path, logFolder, commitFileName(commitVersion)),
          Buffer.from(body, 'utf8'),
          signalOption(signal),
        );
      } catch (err) {
        // No answer: the commit may have landed all the same. Look once; if it is not there
        // (or the look fails), its outcome stays unknown and the files are kept.
        const ours = await readCommit(this.lake, this.path, commitVersion).then(
          (a) => isOwnCommit(a, commitId),
          () => false,
        );
        if (ours) return landed(commitVersion);
        throw new DeltaCommitOutcomeUnknownError(this.path, commitVersion, { cause: err });
      }
      if (committed) return landed(commitVersion);

      // Someone else committed `commitVersion` first: look at what they did.
      const latest = await this.state(signalOption(signal));
      for (let v = commitVersion; v <= latest.version; v++) {
        const winner = await readCommit(this.lake, this.path, v, signal);
        if (isOwnCommit(winner, commitId)) return landed(v);
        const verdict = this.checkConflict(winner, state, schema, partitionColumns, touched, options);
        if (verdict.kind === 'already-applied') {
          await Promise.all(written.files.map((f) => this.lake.delete(f.lakePath).catch(() => undefined)));
          return { version: v, skipped: true, filesAdded: 0, filesRemoved: 0, rowsWritten: 0 };
        }
        if (verdict.kind === 'conflict') throw new DeltaConcurrentModificationError(this.path, v, verdict.reason);
      }
      this.assertWritable(latest);
      state = latest;
    }
    throw new DeltaConcurrentModificationError(
      this.path,
      (state?.version ?? -1) + 1,
      `gave up after ${maxCommitAttempts} attempts: other writers kept committing first`,
    );
  }

  /** none: no logical conflict (retry); already-applied: the same transaction won; conflict: why this write cannot land. */
  private checkConflict(
    winner: DeltaAction[],
    readState: TableState | undefined,
    schema: DeltaSchema,
    partitionColumns: string[],
    touched: Set<string>,
    options: DeltaWriteOptions,
  ): ConflictVerdict {
    const transaction = options.transaction;
    for (const action of winner) {
      if (transaction && action.txn && action.txn.appId === transaction.appId && action.txn.version >= transaction.version) {
        return { kind: 'already-applied' };
      }
    }
    for (const action of winner) {
      if (action.protocol && readState) return conflict('the protocol changed');
      if (action.metaData) {
        if (readState) return conflict('the table metadata (schema or partitioning) changed');
        // Both writers created the table: fine when the winner made the same table.
        const theirs = fromSchemaString(this.path, action.metaData.schemaString);
        try {
          assertSameSchema(this.path, theirs, schema);
        } catch (err) {
          return conflict(`the table was created concurrently with a different schema (${(err as Error).message})`);
        }
        if (JSON.stringify(action.metaData.partitionColumns) !== JSON.stringify(partitionColumns)) {
          return conflict(
            `the table was created concurrently partitioned by ${JSON.stringify(action.metaData.partitionColumns)}, not ${JSON.stringify(partitionColumns)}`,
          );
        }
      }
    }
    if (options.mode === 'append') return { kind: 'none' };
    const dynamic = options.mode === 'overwritePartitions' && partitionColumns.length > 0;
    for (const action of winner) {
      const file = action.add ?? action.remove;
      if (!file || !file.dataChange) continue;
      if (!dynamic)
        return conflict(`mode ${options.mode} replaces the whole table but another writer changed ${decodeFilePath(this.path, file.path)}`);
      const values = file.partitionValues;
      if (!values) return conflict(`another writer removed ${file.path} without partition values`);
      const key = partitionKey(partitionColumns, values);
      if (touched.has(key)) {
        return conflict(
          `another writer changed partition ${partitionFolder(partitionColumns, values)} that this overwritePartitions write replaces (file ${decodeFilePath(this.path, file.path)})`,
        );
      }
    }
    return { kind: 'none' };
  }

  private async tryCheckpoint(version: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      const state = await loadTableState(this.lake, this.path, { version, ...signalOption(signal) });
      await writeCheckpoint(this.lake, this.path, state, signalOption(signal));
    } catch {
      // A checkpoint only speeds up reads; the commit is already durable, so a failure here is not fatal.
    }
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

/** Whether a commit's actions are the ones a write with this commitInfo.txnId made. */
function isOwnCommit(actions: readonly DeltaAction[], commitId: string): boolean {
  return actions.some((a) => a.commitInfo?.txnId === commitId);
}
