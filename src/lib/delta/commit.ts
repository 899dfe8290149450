/**
 * Commit phase of a write (delta-rs: CommitBuilder / PreparedCommit): puts the next log version
 * if absent; on losing it, checks every winning commit for conflicts (conflictChecker.ts) and
 * retries on top of them, a bounded number of times. A commit whose answer was lost is
 * recognised by its txnId; one whose outcome stays unknown keeps its files.
 */
import { randomUUID } from 'node:crypto';
import { DeltaCommitOutcomeUnknownError, DeltaConcurrentModificationError } from '../errors';
import { lakePath } from '../lake/lakeStore';
import { writeCheckpoint } from './checkpoint';
import { buildActions, type CommitPlan } from './commitActions';
import { checkConflict } from './conflictChecker';
import { commitFileName, loadTableState, logFolder, readCommit, type DeltaAction, type TableState } from './log';
import { assertWritable, skippedWrite } from './prepareWrite';
import type { DeltaWriteResult } from './types';
import { deleteUnreferenced, signalOption, type WriteTarget } from './writtenFiles';

/** Commit attempts before a write gives up on a busy table. */
export const maxCommitAttempts = 10;
/** A Parquet checkpoint is written after every N-th version (Delta's default interval). */
export const checkpointInterval = 10;

/** Whether a commit's actions are the ones a write with this commitInfo.txnId made. */
function isOwnCommit(actions: readonly DeltaAction[], commitId: string): boolean {
  return actions.some((a) => a.commitInfo?.txnId === commitId);
}

async function tryCheckpoint(target: WriteTarget, version: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    const state = await loadTableState(target.lake, target.path, { version, ...signalOption(signal) });
    await writeCheckpoint(target.lake, target.path, state, signalOption(signal));
  } catch {
    // A checkpoint only speeds up reads; the commit is already durable, so a failure here is not fatal.
  }
}

/** One attempt's outcome: landed at a version, or lost the version to another writer. */
interface Attempt {
  landed: boolean;
  version: number;
  /** Files the attempt's commit removes (an overwrite's). */
  removed: number;
}

/** Puts one log version; a request without an answer is looked up once by our commitId. */
async function attemptCommit(target: WriteTarget, state: TableState | undefined, plan: CommitPlan, commitId: string): Promise<Attempt> {
  const signal = plan.options.abortSignal;
  const version = (state?.version ?? -1) + 1;
  const { actions, removed } = buildActions(state, plan, commitId, target.path);
  const body = Buffer.from(`${actions.map((a) => JSON.stringify(a)).join('\n')}\n`, 'utf8');
  try {
    const committed = await target.lake.putIfAbsent(lakePath(target.path, logFolder, commitFileName(version)), body, signalOption(signal));
    return { landed: committed, version, removed };
  } catch (err) {
    // No answer: the commit may have landed all the same. Look once; if it is not there
    // (or the look fails), its outcome stays unknown and the files are kept.
    const ours = await readCommit(target.lake, target.path, version).then(
      (a) => isOwnCommit(a, commitId),
      () => false,
    );
    if (ours) return { landed: true, version, removed };
    throw new DeltaCommitOutcomeUnknownError(target.path, version, { cause: err });
  }
}

/** After losing `lostVersion`: ours among the winners, already applied, a conflict (thrown), or the state to retry on. */
async function resolveLostVersion(
  target: WriteTarget,
  readState: TableState | undefined,
  plan: CommitPlan,
  commitId: string,
  lostVersion: number,
): Promise<{ done: DeltaWriteResult | { ownVersion: number } } | { retryOn: TableState }> {
  const signal = plan.options.abortSignal;
  const latest = await target.state(signalOption(signal));
  for (let v = lostVersion; v <= latest.version; v++) {
    const winner = await readCommit(target.lake, target.path, v, signal);
    if (isOwnCommit(winner, commitId)) return { done: { ownVersion: v } };
    const check = checkConflict(target.path, winner, readState, plan);
    if (check.kind === 'alreadyApplied') {
      // Staged files may be the very ones the winner committed (the same commit retried).
      if (!plan.written.staged) await deleteUnreferenced(target.lake, plan.written.files);
      return { done: skippedWrite(v) };
    }
    if (check.kind === 'conflict') throw new DeltaConcurrentModificationError(target.path, v, check.conflict);
  }
  assertWritable(target.path, latest);
  return { retryOn: latest };
}

/** Commits the plan on top of `initialState`, retrying over non-conflicting concurrent commits. */
export async function commitWithRetry(
  target: WriteTarget,
  initialState: TableState | undefined,
  plan: CommitPlan,
): Promise<DeltaWriteResult> {
  const signal = plan.options.abortSignal;
  // Every attempt of this write carries the same commitInfo.txnId, so a commit of ours whose
  // answer was lost (a retried request then finds the log file present) is recognised as ours.
  const commitId = randomUUID();
  const landed = async (version: number, removed: number): Promise<DeltaWriteResult> => {
    if (version > 0 && version % checkpointInterval === 0) await tryCheckpoint(target, version, signal);
    const written = plan.written;
    return { version, skipped: false, filesAdded: written.files.length, filesRemoved: removed, rowsWritten: written.rowCount };
  };
  let state = initialState;
  for (let attempt = 1; attempt <= maxCommitAttempts; attempt++) {
    signal?.throwIfAborted();
    const outcome = await attemptCommit(target, state, plan, commitId);
    if (outcome.landed) return landed(outcome.version, outcome.removed);
    const resolved = await resolveLostVersion(target, state, plan, commitId, outcome.version);
    if ('retryOn' in resolved) {
      state = resolved.retryOn;
      continue;
    }
    const done = resolved.done;
    if (!('ownVersion' in done)) return done;
    // Ours landed though its answer said otherwise (a retried request finding its own file).
    return landed(done.ownVersion, outcome.removed);
  }
  const version = (state?.version ?? -1) + 1;
  const detail = `gave up after ${maxCommitAttempts} attempts: other writers kept committing first`;
  throw new DeltaConcurrentModificationError(target.path, version, { kind: 'retriesExhausted', attempts: maxCommitAttempts, detail });
}
