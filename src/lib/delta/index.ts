/**
 * The project's Delta Lake module: DeltaTable (read, time travel, write with append / overwrite /
 * overwritePartitions, idempotent txn, conflict checks, checkpoints) on any LakeStore.
 */
import type { LakeStore } from '../lake/lakeStore';
import type { LakeTableDef } from './tableDef';
import { DeltaTable } from './deltaTable';

export { mapRowsOrEmpty, readOrEmpty } from './readOrEmpty';
export { DeltaTable, checkpointInterval, defaultTargetRowsPerFile, maxCommitAttempts } from './deltaTable';
export { writeCheckpoint, encodeCheckpoint } from './checkpoint';
export { loadTableState, listLog, parseCommit, applyActions, emptyState, commitFileName, checkpointFileName } from './log';
export type { AddAction, RemoveAction, MetadataAction, ProtocolAction, TxnAction, DeltaAction, TableState } from './log';
export { toSchemaString, fromSchemaString } from './schema';
export { escapePartitionValue, partitionFolder, hiveDefaultPartition } from './partitions';
export { DeltaConcurrentModificationError, DeltaProtocolError, DeltaSchemaMismatchError, DeltaTableNotFoundError } from '../errors';
export type * from './types';
export type { StagedFiles, StageOptions, CommitStagedOptions } from './stagedWrite';

/** The DeltaTable of one of the project's lake tables (see src/lib/lakeTables.ts). */
export function openLakeTable(lake: LakeStore, def: LakeTableDef): DeltaTable {
  return DeltaTable.forPath(lake, def.path);
}
