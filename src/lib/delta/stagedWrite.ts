/**
 * A write split in two (DeltaTable.stage, DeltaTable.commitStaged): many writers stage data files
 * side by side, with names fixed by their stage id and content (put-if-absent), and one commit
 * adds them all. No writer races another for the log, a repeated staging of the same rows finds
 * its files instead of writing new ones, and a staged file no commit added is never part of the
 * table (readers see only the log's adds; deleteUncommitted removes such files).
 */
import { DeltaProtocolError, ValidationError } from '../errors';
import { lakePath } from '../lake/lakeStore';
import { commitWithRetry } from './commit';
import { decodeFilePath, type AddAction } from './log';
import { partitionFolder, partitionKey } from './partitions';
import { prepareWrite } from './prepareWrite';
import { writeRowFiles } from './rowWriter';
import { assertValidSchema } from './schema';
import type { DeltaRow, DeltaSchema, DeltaWriteOptions, DeltaWriteResult } from './types';
import { signalOption, touchedPartitions, type WriteTarget, type WrittenFile } from './writtenFiles';
import { defaultTargetRowsPerFile } from './prepareWrite';

/** Data files staged for a later commit: the add actions the commit will write, and the layout they were written in. */
export interface StagedFiles {
  adds: AddAction[];
  rowCount: number;
  partitionColumns: string[];
}

export interface StageOptions {
  schema: DeltaSchema;
  partitionBy?: string[];
  /** Part of every staged file's name (letters, digits, '-', '_', '.'): e.g. the batch that staged them. */
  stageId: string;
  targetRowsPerFile?: number;
  abortSignal?: AbortSignal;
}

export type CommitStagedOptions = Pick<
  DeltaWriteOptions,
  'schema' | 'schemaMode' | 'partitionBy' | 'transaction' | 'commitInfo' | 'abortSignal'
>;

const stageIdPattern = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Validates and encodes the rows into data files of the table's folder, without a commit. The
 * layout is the caller's schema and partitioning (no log read): the commit checks it against the table.
 */
export async function stageRows(
  target: WriteTarget,
  rows: DeltaRow[] | AsyncIterable<DeltaRow>,
  options: StageOptions,
): Promise<StagedFiles> {
  if (!stageIdPattern.test(options.stageId))
    throw new ValidationError('stageId', `stage id must be 1-100 letters, digits, '-', '_' or '.', got "${options.stageId}"`);
  const schema = { fields: options.schema.fields.map((f) => ({ ...f })) };
  const partitionColumns = [...(options.partitionBy ?? [])];
  assertValidSchema(target.path, schema, partitionColumns);
  const targetRowsPerFile = options.targetRowsPerFile ?? defaultTargetRowsPerFile;
  const prepared = { state: undefined, schema, partitionColumns, targetRowsPerFile };
  const written = await writeRowFiles(target, rows, prepared, options.abortSignal, { kind: 'staged', stageId: options.stageId });
  return { adds: written.files.map((f) => f.add), rowCount: written.rowCount, partitionColumns };
}

/** The staged files as the commit references them, each checked present (a log must never point at a missing file). */
async function stagedFilesOf(
  target: WriteTarget,
  staged: readonly StagedFiles[],
  partitionColumns: readonly string[],
  signal?: AbortSignal,
) {
  const files: WrittenFile[] = [];
  for (const s of staged) {
    if (JSON.stringify(s.partitionColumns) !== JSON.stringify(partitionColumns)) {
      const detail = `staged files partitioned by ${JSON.stringify(s.partitionColumns)}, the table by ${JSON.stringify(partitionColumns)}`;
      throw new ValidationError('partitionBy', `Delta table ${target.path}: ${detail}`);
    }
    for (const add of s.adds) {
      const file = { add, lakePath: lakePath(target.path, decodeFilePath(target.path, add.path)) };
      if (!(await target.lake.exists(file.lakePath, signalOption(signal))))
        throw new DeltaProtocolError(target.path, `staged data file ${file.lakePath} is not in the lake; stage its rows again`);
      files.push(file);
    }
  }
  return files;
}

/**
 * Adds every staged file in one append commit (with its idempotent txn: a repeated commit is
 * skipped). A failed or skipped commit leaves the staged files where they are.
 */
export async function commitStaged(
  target: WriteTarget,
  staged: readonly StagedFiles[],
  options: CommitStagedOptions,
): Promise<DeltaWriteResult> {
  const writeOptions: DeltaWriteOptions = { ...options, mode: 'append' };
  const prepared = await prepareWrite(target, writeOptions);
  if (prepared.skipped) return prepared.skipped;
  const { state, schema, partitionColumns } = prepared;
  const files = await stagedFilesOf(target, staged, partitionColumns, options.abortSignal);
  const rowCount = staged.reduce((sum, s) => sum + s.rowCount, 0);
  const written = files.map((f) => partitionKey(partitionColumns, f.add.partitionValues ?? {}));
  const touched = touchedPartitions(partitionColumns, written, undefined);
  return commitWithRetry(target, state, {
    schema,
    partitionColumns,
    written: { files, rowCount, staged: true },
    touched,
    options: writeOptions,
  });
}

/**
 * Deletes the data files in one partition's folder that the latest version does not reference
 * (staged by an attempt whose files no commit took). Only for a partition no writer is staging
 * into any more, e.g. a run's own partition once its one commit is done. Returns how many it deleted.
 */
export async function deleteUncommitted(
  target: WriteTarget,
  partitionValues: Record<string, string | null>,
  options: { abortSignal?: AbortSignal } = {},
): Promise<number> {
  const state = await target.stateIfExists(signalOption(options.abortSignal));
  if (!state) return 0;
  const partitionColumns = state.metadata?.partitionColumns ?? [];
  const folder = partitionFolder(partitionColumns, partitionValues);
  if (partitionColumns.length === 0 || folder.length === 0) return 0; // never sweep a whole table's root
  const referenced = new Set([...state.files.values()].map((add) => lakePath(target.path, decodeFilePath(target.path, add.path))));
  let deleted = 0;
  for await (const entry of target.lake.list(lakePath(target.path, folder), { recursive: false, ...signalOption(options.abortSignal) })) {
    if (!entry.path.endsWith('.parquet') || referenced.has(entry.path)) continue;
    await target.lake.delete(entry.path, signalOption(options.abortSignal));
    deleted++;
  }
  return deleted;
}
