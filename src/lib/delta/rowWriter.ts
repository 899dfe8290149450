/**
 * Data files of a row write (DeltaTable.write): rows are validated, kept as columns per partition
 * (physical values and stats built as they arrive) and written as Parquet files of about
 * targetRowsPerFile rows, with memory bounded when many small partitions are in flight.
 */
import { ColumnBuffer } from './columnBuffer';
import { encodeParquetColumns } from './parquet';
import { partitionKey } from './partitions';
import { partitionValueString, rowValidator } from './schema';
import type { DeltaField, DeltaRow } from './types';
import {
  deleteUnreferenced,
  storeDataFile,
  type DataFileNaming,
  type PreparedWrite,
  type WriteTarget,
  type WrittenFile,
} from './writtenFiles';

interface PartitionBuffer {
  values: Record<string, string | null>;
  columns: ColumnBuffer;
}

async function* iterateRows(rows: DeltaRow[] | AsyncIterable<DeltaRow>): AsyncIterable<DeltaRow> {
  if (Array.isArray(rows)) yield* rows;
  else yield* rows;
}

/** Buffers rows by partition and stores a file whenever one is full. */
class PartitionedRowFiles {
  readonly files: WrittenFile[] = [];
  readonly touched = new Set<string>();
  rowCount = 0;
  private readonly buffers = new Map<string | null, PartitionBuffer>();
  private readonly partitionFields: DeltaField[];
  private readonly dataFields: DeltaField[];
  private readonly single: DeltaField | undefined;
  private readonly validate: (row: DeltaRow, index: number) => void;
  private buffered = 0;

  constructor(
    private readonly target: WriteTarget,
    private readonly prepared: PreparedWrite,
    private readonly signal: AbortSignal | undefined,
    private readonly naming: DataFileNaming | undefined,
  ) {
    const { schema, partitionColumns } = prepared;
    this.validate = rowValidator(target.path, schema);
    this.partitionFields = partitionColumns.map((c) => schema.fields.find((f) => f.name === c) as DeltaField);
    this.dataFields = schema.fields.filter((f) => !partitionColumns.includes(f.name));
    this.single = this.partitionFields.length === 1 ? this.partitionFields[0] : undefined;
  }

  async push(row: DeltaRow): Promise<void> {
    this.validate(row, this.rowCount);
    this.rowCount++;
    const lookup = this.lookupOf(row);
    const buffer = this.buffers.get(lookup) ?? this.openBuffer(lookup, row);
    buffer.columns.push(row);
    this.buffered++;
    const target = this.prepared.targetRowsPerFile;
    if (buffer.columns.length >= target) {
      this.signal?.throwIfAborted();
      await this.flush(lookup);
    } else if (this.buffered >= 2 * target) {
      // Many small partitions in flight: write the biggest so memory stays bounded.
      this.signal?.throwIfAborted();
      await this.flush(this.biggest(lookup));
    }
  }

  async flushAll(): Promise<void> {
    for (const key of [...this.buffers.keys()]) await this.flush(key);
  }

  /**
   * Group key: the partition value itself for one partition column (the common case), the
   * canonical partitionKey otherwise; partitionKey is computed once per partition.
   */
  private lookupOf(row: DeltaRow): string | null {
    if (this.single) return partitionValueString(this.single, row[this.single.name] ?? null);
    return partitionKey(this.prepared.partitionColumns, this.partitionValuesOf(row));
  }

  private partitionValuesOf(row: DeltaRow): Record<string, string | null> {
    const values: Record<string, string | null> = {};
    for (const field of this.partitionFields) values[field.name] = partitionValueString(field, row[field.name] ?? null);
    return values;
  }

  private openBuffer(lookup: string | null, row: DeltaRow): PartitionBuffer {
    const values = this.partitionValuesOf(row);
    this.touched.add(partitionKey(this.prepared.partitionColumns, values));
    const buffer = { values, columns: new ColumnBuffer(this.dataFields) };
    this.buffers.set(lookup, buffer);
    return buffer;
  }

  private biggest(fallback: string | null): string | null {
    let biggest = fallback;
    let size = 0;
    for (const [k, b] of this.buffers) if (b.columns.length > size) [biggest, size] = [k, b.columns.length];
    return biggest;
  }

  private async flush(key: string | null): Promise<void> {
    const buffer = this.buffers.get(key);
    if (!buffer || buffer.columns.length === 0) return;
    this.buffers.delete(key);
    this.buffered -= buffer.columns.length;
    const stats = buffer.columns.stats();
    const bytes = encodeParquetColumns(this.dataFields, buffer.columns.columnData());
    const partitionColumns = this.prepared.partitionColumns;
    const file = { bytes, stats };
    this.files.push(await storeDataFile(this.target, partitionColumns, buffer.values, this.files.length, file, this.signal, this.naming));
  }
}

/**
 * Writes the rows as data files; on failure the files stored so far are removed (random names),
 * or left for the next attempt to find (staged names).
 */
export async function writeRowFiles(
  target: WriteTarget,
  rows: DeltaRow[] | AsyncIterable<DeltaRow>,
  prepared: PreparedWrite,
  signal: AbortSignal | undefined,
  naming?: DataFileNaming,
): Promise<{ files: WrittenFile[]; touched: string[]; rowCount: number }> {
  const out = new PartitionedRowFiles(target, prepared, signal, naming);
  try {
    for await (const row of iterateRows(rows)) await out.push(row);
    await out.flushAll();
  } catch (err) {
    if (naming?.kind !== 'staged') await deleteUnreferenced(target.lake, out.files);
    throw err;
  }
  return { files: out.files, touched: [...out.touched], rowCount: out.rowCount };
}
