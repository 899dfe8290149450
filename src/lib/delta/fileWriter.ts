/**
 * A write whose Parquet files the caller encodes (DeltaTable.openWriter, see DeltaFileWriter):
 * the files are stored as they come and committed together, with the same modes, idempotent txn
 * and conflict handling as a row write.
 */
import { DeltaCommitOutcomeUnknownError, ValidationError } from '../errors';
import { commitWithRetry } from './commit';
import { partitionKey } from './partitions';
import type { DeltaFileWriter, DeltaWriteOptions, DeltaWriteResult } from './types';
import {
  checkedPartitionValues,
  deleteUnreferenced,
  storeDataFile,
  touchedPartitions,
  type PreparedWrite,
  type WriteTarget,
  type WrittenFile,
} from './writtenFiles';

/** The writer of a write whose transaction already committed: it stores nothing and reports the skip. */
export function skippedFileWriter(result: DeltaWriteResult): DeltaFileWriter {
  return { skipped: true, dataFields: [], addFile: async () => undefined, commit: async () => result, abort: async () => undefined };
}

class BulkFileWriter implements DeltaFileWriter {
  readonly skipped = false;
  readonly dataFields;
  private readonly files: WrittenFile[] = [];
  private readonly touched = new Set<string>();
  private rowCount = 0;
  private open = true;
  // Once committed (or maybe committed), the files belong to the table: an abort then (a later
  // step of the caller failed) must leave them, or the log could point at missing files.
  private keepFiles = false;

  constructor(
    private readonly target: WriteTarget,
    private readonly prepared: PreparedWrite,
    private readonly options: DeltaWriteOptions,
  ) {
    this.dataFields = prepared.schema.fields.filter((f) => !prepared.partitionColumns.includes(f.name));
  }

  async addFile(partitionValues: Record<string, string | null>, file: { bytes: Uint8Array; stats: { numRecords: number } }): Promise<void> {
    this.assertOpen();
    const partitionColumns = this.prepared.partitionColumns;
    const values = checkedPartitionValues(partitionColumns, partitionValues, 'partitionValues', `data file for ${this.target.path}`);
    const signal = this.options.abortSignal;
    signal?.throwIfAborted();
    const stored = await storeDataFile(this.target, partitionColumns, values, this.files.length, file, signal);
    this.touched.add(partitionKey(partitionColumns, values));
    this.rowCount += file.stats.numRecords;
    this.files.push(stored);
  }

  async commit(): Promise<DeltaWriteResult> {
    this.assertOpen();
    this.open = false;
    const { state, schema, partitionColumns } = this.prepared;
    try {
      const touched = touchedPartitions(partitionColumns, this.touched, this.options.partitions, this.options.appendPartitions);
      const written = { files: this.files, rowCount: this.rowCount };
      const result = await commitWithRetry(this.target, state, { schema, partitionColumns, written, touched, options: this.options });
      this.keepFiles = !result.skipped;
      return result;
    } catch (err) {
      if (err instanceof DeltaCommitOutcomeUnknownError) this.keepFiles = true;
      else await deleteUnreferenced(this.target.lake, this.files);
      throw err;
    }
  }

  async abort(): Promise<void> {
    this.open = false;
    if (this.keepFiles) return;
    await deleteUnreferenced(this.target.lake, this.files);
  }

  private assertOpen(): void {
    if (!this.open) throw new ValidationError('writer', `Delta writer for ${this.target.path} is already committed or aborted`);
  }
}

export function openFileWriter(target: WriteTarget, prepared: PreparedWrite, options: DeltaWriteOptions): DeltaFileWriter {
  return new BulkFileWriter(target, prepared, options);
}
