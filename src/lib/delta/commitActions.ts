/**
 * The actions of one commit (delta-rs: the transaction's actions): commitInfo, protocol and
 * metadata for a new table, the idempotent txn, the removes an overwrite makes and the adds.
 */
import { randomUUID } from 'node:crypto';
import type { DeltaAction, RemoveAction, TableState } from './log';
import { partitionKey } from './partitions';
import { toSchemaString } from './schema';
import { schemaChangeFor } from './schemaEvolution';
import type { DeltaWriteOptions } from './types';
import type { PreparedWrite, WrittenFiles } from './writtenFiles';

const engineInfo = 'azure-demand-forecast-delta/0.1 (hyparquet-writer)';

/** What one commit attempt writes: the state it reads, what it stored, the partitions it replaces. */
export interface CommitPlan extends Pick<PreparedWrite, 'schema' | 'partitionColumns'> {
  written: WrittenFiles;
  touched: ReadonlySet<string>;
  options: DeltaWriteOptions;
}

/** True for an overwritePartitions write of a partitioned table: it replaces only the partitions it touches. */
export function replacesPartitionsOnly(plan: Pick<CommitPlan, 'partitionColumns' | 'options'>): boolean {
  return plan.options.mode === 'overwritePartitions' && plan.partitionColumns.length > 0;
}

function removesFor(state: TableState | undefined, plan: CommitPlan, now: number): RemoveAction[] {
  if (!state || plan.options.mode === 'append') return [];
  const dynamic = replacesPartitionsOnly(plan);
  const removes: RemoveAction[] = [];
  for (const add of state.files.values()) {
    if (dynamic && !plan.touched.has(partitionKey(plan.partitionColumns, add.partitionValues ?? {}))) continue;
    removes.push({
      path: add.path,
      deletionTimestamp: now,
      dataChange: true,
      extendedFileMetadata: true,
      partitionValues: add.partitionValues,
      size: add.size,
    });
  }
  return removes;
}

function commitInfoFor(state: TableState | undefined, plan: CommitPlan, removed: number, now: number, commitId: string): DeltaAction {
  const { options, written } = plan;
  const mode = options.mode;
  const operationParameters: Record<string, string> = {
    mode: mode === 'append' ? 'Append' : 'Overwrite',
    partitionBy: JSON.stringify(plan.partitionColumns),
    ...(replacesPartitionsOnly(plan) ? { partitionOverwriteMode: 'DYNAMIC' } : {}),
    ...(options.commitInfo ?? {}),
  };
  const bytes = written.files.reduce((sum, f) => sum + f.add.size, 0);
  return {
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
        ...(removed > 0 ? { numRemovedFiles: String(removed) } : {}),
      },
      engineInfo,
      txnId: commitId,
    },
  };
}

function tableCreationFor(plan: CommitPlan, now: number): DeltaAction[] {
  return [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: randomUUID(),
        format: { provider: 'parquet', options: {} },
        schemaString: toSchemaString(plan.schema),
        partitionColumns: plan.partitionColumns,
        configuration: {},
        createdTime: now,
      },
    },
  ];
}

/**
 * The actions of a commit on top of `state` (undefined: the commit creates the table); a write
 * that adds columns (schemaMode 'merge') carries the table's metaData with them appended.
 */
export function buildActions(
  state: TableState | undefined,
  plan: CommitPlan,
  commitId: string,
  tablePath: string,
): { actions: DeltaAction[]; removed: number } {
  const now = Date.now();
  const removes = removesFor(state, plan, now);
  const actions: DeltaAction[] = [commitInfoFor(state, plan, removes.length, now, commitId)];
  if (!state) actions.push(...tableCreationFor(plan, now));
  const schemaChange = state ? schemaChangeFor(tablePath, state, plan.schema) : undefined;
  if (schemaChange) actions.push({ metaData: schemaChange });
  const transaction = plan.options.transaction;
  if (transaction) actions.push({ txn: { appId: transaction.appId, version: transaction.version, lastUpdated: now } });
  for (const remove of removes) actions.push({ remove });
  for (const file of plan.written.files) actions.push({ add: file.add });
  return { actions, removed: removes.length };
}
