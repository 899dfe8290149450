/**
 * Conflict check of a commit that lost its version to another writer (delta-rs: ConflictChecker):
 * reads the winning commit and says whether ours may retry on top of it, was already applied by
 * it (same idempotent transaction), or conflicts with it, and why (a typed DeltaCommitConflict).
 */
import type { DeltaCommitConflict } from '../errors';
import { decodeFilePath, type DeltaAction, type MetadataAction, type TableState } from './log';
import { partitionFolder, partitionKey } from './partitions';
import { assertSameSchema, fromSchemaString } from './schema';
import { replacesPartitionsOnly, type CommitPlan } from './commitActions';
import { isSameEvolution } from './schemaEvolution';

/** What a winning concurrent commit means for ours. */
export type CommitCheck =
  /** No logical conflict: retry on the next version. */
  | { kind: 'retry' }
  /** The winner carried our transaction (appId at our version or later): our write is a no-op. */
  | { kind: 'alreadyApplied'; appId: string; version: number }
  /** Ours cannot land on top of the winner. */
  | { kind: 'conflict'; conflict: DeltaCommitConflict };

const retry: CommitCheck = { kind: 'retry' };
const conflict = (c: DeltaCommitConflict): CommitCheck => ({ kind: 'conflict', conflict: c });

function alreadyApplied(winner: readonly DeltaAction[], plan: CommitPlan): CommitCheck | undefined {
  const transaction = plan.options.transaction;
  if (!transaction) return undefined;
  const applied = winner.some((a) => a.txn && a.txn.appId === transaction.appId && a.txn.version >= transaction.version);
  return applied ? { kind: 'alreadyApplied', appId: transaction.appId, version: transaction.version } : undefined;
}

/** Both writers created the table: fine when the winner made the same table. */
function concurrentCreation(tablePath: string, metaData: MetadataAction, plan: CommitPlan): CommitCheck | undefined {
  const theirs = fromSchemaString(tablePath, metaData.schemaString);
  try {
    assertSameSchema(tablePath, theirs, plan.schema);
  } catch (err) {
    const detail = `the table was created concurrently with a different schema (${(err as Error).message})`;
    return conflict({ kind: 'metadataChanged', detail });
  }
  if (JSON.stringify(metaData.partitionColumns) !== JSON.stringify(plan.partitionColumns)) {
    const detail = `the table was created concurrently partitioned by ${JSON.stringify(metaData.partitionColumns)}, not ${JSON.stringify(plan.partitionColumns)}`;
    return conflict({ kind: 'metadataChanged', detail });
  }
  return undefined;
}

function protocolOrMetadataChange(
  tablePath: string,
  winner: readonly DeltaAction[],
  readState: TableState | undefined,
  plan: CommitPlan,
): CommitCheck | undefined {
  for (const action of winner) {
    if (action.protocol && readState) return conflict({ kind: 'protocolChanged', detail: 'the protocol changed' });
    if (!action.metaData) continue;
    if (readState) {
      // Two writers adding the same column(s): ours retries without a metaData of its own.
      const read = readState.metadata as MetadataAction;
      if (isSameEvolution(tablePath, action.metaData, read, plan.schema)) continue;
      return conflict({ kind: 'metadataChanged', detail: 'the table metadata (schema or partitioning) changed' });
    }
    const created = concurrentCreation(tablePath, action.metaData, plan);
    if (created) return created;
  }
  return undefined;
}

/** An overwrite reads what it replaces: a winner's add there is a concurrent append, its remove a concurrent delete of read files. */
function dataChangeInScope(tablePath: string, winner: readonly DeltaAction[], plan: CommitPlan): CommitCheck | undefined {
  const dynamic = replacesPartitionsOnly(plan);
  for (const action of winner) {
    const file = action.add ?? action.remove;
    if (!file || !file.dataChange) continue;
    const kind = action.add ? 'concurrentAppend' : 'concurrentDeleteRead';
    const path = decodeFilePath(tablePath, file.path);
    if (!dynamic) {
      return conflict({
        kind,
        file: path,
        detail: `mode ${plan.options.mode} replaces the whole table but another writer changed ${path}`,
      });
    }
    const values = file.partitionValues;
    if (!values) return conflict({ kind, file: path, detail: `another writer removed ${file.path} without partition values` });
    if (!plan.touched.has(partitionKey(plan.partitionColumns, values))) continue;
    const partition = partitionFolder(plan.partitionColumns, values);
    const detail = `another writer changed partition ${partition} that this overwritePartitions write replaces (file ${path})`;
    return conflict({ kind, file: path, partition, detail });
  }
  return undefined;
}

/** What the winning commit `winner` means for ours, planned on top of `readState`. */
export function checkConflict(
  tablePath: string,
  winner: readonly DeltaAction[],
  readState: TableState | undefined,
  plan: CommitPlan,
): CommitCheck {
  const applied = alreadyApplied(winner, plan);
  if (applied) return applied;
  const changed = protocolOrMetadataChange(tablePath, winner, readState, plan);
  if (changed) return changed;
  // A blind append reads nothing, so another writer's data changes cannot conflict with it.
  if (plan.options.mode === 'append') return retry;
  return dataChangeInScope(tablePath, winner, plan) ?? retry;
}
