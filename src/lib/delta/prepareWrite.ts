/**
 * Prepare phase of a write (delta-rs: the operation's builder): checks the options against the
 * table and decides the schema and partitioning; a write whose transaction already committed is
 * answered here, before any data file is written.
 */
import { DeltaProtocolError, ValidationError } from '../errors';
import type { MetadataAction, TableState } from './log';
import { assertSameSchema, assertValidSchema, fromSchemaString } from './schema';
import { mergedSchema } from './schemaEvolution';
import type { DeltaSchema, DeltaWriteOptions, DeltaWriteResult } from './types';
import { signalOption, type PreparedWrite, type WriteTarget } from './writtenFiles';

export const defaultTargetRowsPerFile = 250_000;

const writeModes: ReadonlyArray<DeltaWriteOptions['mode']> = ['append', 'overwrite', 'overwritePartitions'];

/** The result of a write that found its transaction already committed: nothing written. */
export function skippedWrite(version: number): DeltaWriteResult {
  return { version, skipped: true, filesAdded: 0, filesRemoved: 0, rowsWritten: 0 };
}

/** This module writes protocol writer version 2 at most. */
export function assertWritable(tablePath: string, state: TableState): void {
  const protocol = state.protocol;
  if (protocol && protocol.minWriterVersion > 2) {
    throw new DeltaProtocolError(tablePath, `needs writer version ${protocol.minWriterVersion}; this module writes version 2`);
  }
}

function assertValidOptions(options: DeltaWriteOptions): number {
  if (!writeModes.includes(options.mode)) {
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
  if (options.schemaMode !== undefined && options.schemaMode !== 'merge') {
    throw new ValidationError('schemaMode', `Delta schemaMode must be 'merge' or absent, got "${String(options.schemaMode)}"`);
  }
  return targetRowsPerFile;
}

/**
 * The schema and partitioning of an existing table (the write's schema must match, or with
 * schemaMode 'merge' add nullable columns to it), or of the one this write creates.
 */
function layoutFor(
  tablePath: string,
  state: TableState | undefined,
  options: DeltaWriteOptions,
): { schema: DeltaSchema; partitionColumns: string[] } {
  if (!state) {
    const schema = { fields: options.schema.fields.map((f) => ({ ...f })) };
    const partitionColumns = [...(options.partitionBy ?? [])];
    assertValidSchema(tablePath, schema, partitionColumns);
    return { schema, partitionColumns };
  }
  const metadata = state.metadata as MetadataAction;
  let schema: DeltaSchema;
  if (options.schemaMode === 'merge') schema = mergedSchema(tablePath, metadata, options.schema);
  else {
    schema = fromSchemaString(tablePath, metadata.schemaString);
    assertSameSchema(tablePath, schema, options.schema);
  }
  if (options.mode !== 'append' && metadata.configuration['delta.appendOnly'] === 'true') {
    throw new DeltaProtocolError(tablePath, `table is append-only (delta.appendOnly=true); mode ${options.mode} refused`);
  }
  return { schema, partitionColumns: [...metadata.partitionColumns] };
}

/** Checks the options against the table; a write whose txn was already committed is answered here. */
export async function prepareWrite(
  target: WriteTarget,
  options: DeltaWriteOptions,
): Promise<{ skipped: DeltaWriteResult } | ({ skipped?: undefined } & PreparedWrite)> {
  const targetRowsPerFile = assertValidOptions(options);
  const state = options.readState ?? (await target.stateIfExists(signalOption(options.abortSignal)));
  if (state) assertWritable(target.path, state);
  const transaction = options.transaction;
  if (transaction && state && (state.appTransactions.get(transaction.appId) ?? -1) >= transaction.version) {
    return { skipped: skippedWrite(state.version) };
  }
  return { state, ...layoutFor(target.path, state, options), targetRowsPerFile };
}
