/**
 * The data files of one write, as the prepare phase names, places and (on failure) removes them:
 * one place for the part-file name, the partition check and the best-effort delete that the row
 * writer, the bulk file writer and the commit share.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ValidationError } from '../errors';
import { lakePath, type LakeStore } from '../lake/lakeStore';
import { encodeFilePath, type AddAction, type TableState } from './log';
import { partitionFolder, partitionKey } from './partitions';
import type { DeltaSchema } from './types';

/** A data file stored by this write, and the add action that will reference it. */
export interface WrittenFile {
  add: AddAction;
  lakePath: string;
}

/** What a write stored and will commit. */
export interface WrittenFiles {
  files: WrittenFile[];
  rowCount: number;
  /**
   * Staged files (DeltaTable.stage): they outlive a failed or skipped commit, because a retry
   * commits the same files again; nothing here deletes them.
   */
  staged?: boolean;
}

/**
 * How a write names its data files: a random part-file name (the default), or a staged name
 * fixed by the stage id and the file's content, stored put-if-absent, so a repeated staging
 * of the same rows finds its file instead of writing a second one.
 */
export type DataFileNaming = { kind: 'random' } | { kind: 'staged'; stageId: string };

const randomNaming: DataFileNaming = { kind: 'random' };

/** The table a write goes to: DeltaTable is one. */
export interface WriteTarget {
  readonly lake: LakeStore;
  /** Lake path of the table root. */
  readonly path: string;
  /** The latest replayed log state (checked readable). */
  state(options?: { abortSignal?: AbortSignal }): Promise<TableState>;
  /** The latest state, or undefined when there is no table at the path. */
  stateIfExists(options?: { abortSignal?: AbortSignal }): Promise<TableState | undefined>;
}

/** What the prepare phase found: the state the write reads, and the schema and partitioning it writes. */
export interface PreparedWrite {
  state: TableState | undefined;
  schema: DeltaSchema;
  partitionColumns: string[];
  targetRowsPerFile: number;
}

export function signalOption(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

/** The values of every partition column, each one required (`what` names the caller in the error). */
export function checkedPartitionValues(
  partitionColumns: readonly string[],
  values: Record<string, string | null | undefined>,
  field: 'partitionValues' | 'partitions',
  what: string,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const column of partitionColumns) {
    if (!(column in values)) throw new ValidationError(field, `${what} lacks partition column "${column}"`);
    out[column] = values[column] ?? null;
  }
  return out;
}

/**
 * The partitions a write replaces: those it wrote files to plus the ones named in `partitions`
 * (overwritePartitions), less those named in `appendPartitions` (only added to).
 */
export function touchedPartitions(
  partitionColumns: readonly string[],
  written: Iterable<string>,
  extra: ReadonlyArray<Record<string, string | null>> | undefined,
  appendOnly?: ReadonlyArray<Record<string, string | null>>,
): Set<string> {
  const touched = new Set(written);
  for (const values of extra ?? []) {
    checkedPartitionValues(partitionColumns, values, 'partitions', `partition ${JSON.stringify(values)}`);
    touched.add(partitionKey(partitionColumns, values));
  }
  for (const values of appendOnly ?? []) {
    const key = partitionKey(
      partitionColumns,
      checkedPartitionValues(partitionColumns, values, 'partitions', `partition ${JSON.stringify(values)}`),
    );
    touched.delete(key);
  }
  return touched;
}

/** Where the `index`-th data file of a write goes: a Spark-style part-file name in its partition folder. */
export function dataFilePlace(
  tablePath: string,
  partitionColumns: readonly string[],
  values: Record<string, string | null>,
  index: number,
  naming: DataFileNaming = randomNaming,
  bytes?: Uint8Array,
): { relative: string; lakePath: string } {
  const folder = partitionFolder(partitionColumns, values);
  const unique = naming.kind === 'staged' ? `${naming.stageId}-${contentHash(bytes ?? new Uint8Array())}` : randomUUID();
  const name = `part-${String(index).padStart(5, '0')}-${unique}.c000.snappy.parquet`;
  const relative = folder ? `${folder}/${name}` : name;
  return { relative, lakePath: lakePath(tablePath, relative) };
}

/** Stores one encoded data file and returns what the commit will reference. */
export async function storeDataFile(
  target: WriteTarget,
  partitionColumns: readonly string[],
  values: Record<string, string | null>,
  index: number,
  file: { bytes: Uint8Array; stats: unknown },
  signal: AbortSignal | undefined,
  naming: DataFileNaming = randomNaming,
): Promise<WrittenFile> {
  const place = dataFilePlace(target.path, partitionColumns, values, index, naming, file.bytes);
  // A staged name is its content: a file already there holds these very bytes.
  if (naming.kind === 'staged') await target.lake.putIfAbsent(place.lakePath, file.bytes, signalOption(signal));
  else await target.lake.put(place.lakePath, file.bytes, signalOption(signal));
  return {
    lakePath: place.lakePath,
    add: {
      path: encodeFilePath(place.relative),
      partitionValues: values,
      size: file.bytes.byteLength,
      modificationTime: Date.now(),
      dataChange: true,
      stats: JSON.stringify(file.stats),
    },
  };
}

/** 32 hex digits of the SHA-256 of a file's bytes: its staged name. */
function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** Removes data files nothing references (best effort: a file left behind is an orphan VACUUM removes). */
export async function deleteUnreferenced(lake: LakeStore, files: readonly WrittenFile[]): Promise<void> {
  await Promise.all(files.map((f) => lake.delete(f.lakePath).catch(() => undefined)));
}
