/**
 * The Gold write path of a forecast run: each forecastBatch stages its rows as data files of the
 * Gold tables (named by batch and content, put-if-absent) and records them in one small file per
 * batch; finalizeForecast then adds every batch's files in ONE commit per table and run. Batches
 * never race each other for a table's log, a retried batch finds its record and re-uses it (the
 * record is also what a retry returns, so the models do not run again), and files of an attempt
 * that no record names are never in the table and are deleted after the commit.
 */
import { openLakeTable, type DeltaTable, type StagedFiles } from '../lib/delta';
import { decodeFilePath } from '../lib/delta/log';
import { DemandError, LakeNotFoundError } from '../lib/errors';
import { lakePath, type LakeStore } from '../lib/lake/lakeStore';
import { lakeTables } from '../lib/lakeTables';
import type { LakeTableDef } from '../lib/delta/tableDef';
import type { DeltaRow, DeltaWriteResult } from '../lib/delta/types';
import type { ForecastBatchOutput } from '../contracts/messages';
import { batchIdOf } from '../contracts/skuBatches';
import type { PipelineServices } from '../lib/pipelineServices';
import { signalOf } from '../lib/pipelineServices';

/** The Gold tables a forecast batch writes, each committed once per run. */
export type GoldForecastTable = 'forecasts' | 'forecast_metrics' | 'model_params';
export const goldForecastTables: ReadonlyArray<LakeTableDef & { name: GoldForecastTable }> = [
  { ...lakeTables.forecasts, name: 'forecasts' },
  { ...lakeTables.forecast_metrics, name: 'forecast_metrics' },
  { ...lakeTables.model_params, name: 'model_params' },
];

/** What a batch's staged files were computed from: a record of other content is not re-used. */
export interface StagedBatchKey {
  dailyDemandVersion: number;
  endDate: string;
  policy: string;
}

/** A batch's record: written last by forecastBatch, read by its retries and by the run's commit. */
export interface StagedBatch {
  key: StagedBatchKey;
  /** What the batch activity returned (a retry returns it again). */
  output: ForecastBatchOutput;
  tables: Partial<Record<GoldForecastTable, StagedFiles>>;
}

/** A batch the plan made but whose record is not in the lake: the run cannot commit without it. */
export class StagedBatchMissingError extends DemandError {
  readonly runId: string;
  readonly batchId: string;
  constructor(runId: string, batchId: string) {
    super(
      'staged_batch_missing',
      `run ${runId}: batch ${batchId} has no staged Gold record (${stagedBatchPath(runId, batchId)}); forecast it again`,
    );
    this.runId = runId;
    this.batchId = batchId;
  }
}

/** A batch record in the lake that does not parse as one: its batch's rows would be left out of the run. */
export class StagedBatchUnreadableError extends DemandError {
  readonly path: string;
  constructor(runId: string, path: string) {
    super('staged_batch_unreadable', `run ${runId}: staged Gold record ${path} is not a readable batch record; forecast its batch again`);
    this.path = path;
  }
}

export function stagedBatchPath(runId: string, batchId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'staged', `${batchId}.json`);
}

function sameKey(a: StagedBatchKey, b: StagedBatchKey): boolean {
  return a.dailyDemandVersion === b.dailyDemandVersion && a.endDate === b.endDate && a.policy === b.policy;
}

async function readRecord(lake: LakeStore, path: string, signal: { abortSignal?: AbortSignal }): Promise<StagedBatch | undefined> {
  try {
    return JSON.parse((await lake.read(path, signal)).toString('utf8')) as StagedBatch;
  } catch (err) {
    if (err instanceof LakeNotFoundError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** The first data file the record names that is not in the lake (lost or deleted since it was staged), else undefined. */
async function missingStagedFile(lake: LakeStore, record: StagedBatch, signal: { abortSignal?: AbortSignal }): Promise<string | undefined> {
  for (const def of goldForecastTables) {
    for (const add of record.tables?.[def.name]?.adds ?? []) {
      const file = lakePath(def.path, decodeFilePath(def.path, add.path));
      if (!(await lake.exists(file, signal))) return file;
    }
  }
  return undefined;
}

/**
 * The batch's record when it was made from the same content (key) and every file it names is
 * still there, else undefined: a record whose file was lost is staged again, not re-used (its
 * commit would refuse the missing file on every retry).
 */
export async function findStagedBatch(
  services: PipelineServices,
  runId: string,
  batchId: string,
  key: StagedBatchKey,
): Promise<StagedBatch | undefined> {
  const signal = signalOf(services);
  const record = await readRecord(services.lake, stagedBatchPath(runId, batchId), signal);
  if (!(record && record.key && sameKey(record.key, key) && record.output)) return undefined;
  const missing = await missingStagedFile(services.lake, record, signal);
  if (missing === undefined) return record;
  services.log(`batch ${batchId}: staged file ${missing} of run ${runId} is gone; staging the batch again`);
  return undefined;
}

/** Stages the batch's rows of each Gold table (files named by the batch: a repeat with the same rows stores nothing new). */
export async function stageBatchRows(
  services: PipelineServices,
  batchId: string,
  rows: Record<GoldForecastTable, DeltaRow[]>,
): Promise<Partial<Record<GoldForecastTable, StagedFiles>>> {
  const out: Partial<Record<GoldForecastTable, StagedFiles>> = {};
  for (const def of goldForecastTables) {
    const tableRows = rows[def.name] ?? [];
    if (tableRows.length === 0) continue;
    out[def.name] = await openLakeTable(services.lake, def).stage(tableRows, {
      schema: def.schema,
      partitionBy: def.partitionBy,
      stageId: batchId,
      ...signalOf(services),
    });
  }
  return out;
}

/**
 * Writes the batch's record (put-if-absent). When another attempt's record of the same content
 * is there already and every file it names exists, that one stands and is returned.
 */
export async function recordStagedBatch(
  services: PipelineServices,
  runId: string,
  batchId: string,
  record: StagedBatch,
): Promise<StagedBatch> {
  const path = stagedBatchPath(runId, batchId);
  const body = Buffer.from(JSON.stringify(record));
  if (await services.lake.putIfAbsent(path, body, signalOf(services))) return record;
  const existing = await readRecord(services.lake, path, signalOf(services));
  if (
    existing?.key &&
    sameKey(existing.key, record.key) &&
    existing.output &&
    !(await missingStagedFile(services.lake, existing, signalOf(services)))
  )
    return existing;
  // A record of other batch content (another plan of the run id), or one whose files are gone.
  await services.lake.put(path, body, signalOf(services));
  return record;
}

/** Transaction id of a run's one commit to a Gold table. */
function runTransaction(table: string, runId: string): { appId: string; version: number } {
  return { appId: `${table}:${runId}`, version: 1 };
}

/**
 * The run's batch records: batches 0 … batchCount − 1 of its plan, or (batchCount unknown: a
 * run finalized from outside an orchestration) every record of the run. A batch without a record
 * is an error, unless it committed its rows itself (a batch of an older version, by its own txn).
 */
async function runRecords(services: PipelineServices, runId: string, batchCount: number | undefined): Promise<StagedBatch[]> {
  const signal = signalOf(services);
  const records: StagedBatch[] = [];
  if (batchCount === undefined) {
    for await (const entry of services.lake.list(lakePath('runs', encodeURIComponent(runId), 'staged'), signal)) {
      if (!entry.path.endsWith('.json')) continue;
      const record = await readRecord(services.lake, entry.path, signal);
      // Skipping it would commit the run without that batch's rows.
      if (!record?.tables) throw new StagedBatchUnreadableError(runId, entry.path);
      records.push(record);
    }
    return records;
  }
  let legacy: ReadonlyMap<string, number> | undefined;
  for (let i = 0; i < batchCount; i++) {
    const batchId = batchIdOf(i);
    const record = await readRecord(services.lake, stagedBatchPath(runId, batchId), signal);
    if (record) {
      records.push(record);
      continue;
    }
    legacy ??= (await openLakeTable(services.lake, lakeTables.forecasts).stateIfExists(signal))?.appTransactions ?? new Map();
    if (!legacy.has(`${lakeTables.forecasts.name}:${runId}:${batchId}`)) throw new StagedBatchMissingError(runId, batchId);
  }
  return records;
}

/**
 * The run's Gold commit to a table was made already (its txn), from other staged files than the
 * run's records name now: a re-run of the run id on other content (e.g. a newer daily_demand).
 * The table keeps the earlier rows; committing the other tables would mix two runs' content.
 */
export class RunGoldCommittedError extends DemandError {
  readonly runId: string;
  readonly table: string;
  constructor(runId: string, table: string, notCommitted: string[]) {
    super(
      'run_gold_committed',
      `run ${runId}: Gold ${table} was committed by an earlier attempt of this run id from other content; ` +
        `${notCommitted.length} staged file(s) of this attempt are not in it (e.g. ${notCommitted[0]}). ` +
        `The table keeps the earlier rows: forecast under a new run id`,
    );
    this.runId = runId;
    this.table = table;
  }
}

/** Staged files that a table neither holds nor removed since (a compaction): not what its commit added. */
async function notCommittedFiles(table: DeltaTable, staged: readonly StagedFiles[], signal: { abortSignal?: AbortSignal }) {
  const state = await table.state(signal);
  const known = new Set([...state.files.values(), ...state.tombstones.values()].map((a) => decodeFilePath(table.path, a.path)));
  return staged.flatMap((s) => s.adds.map((a) => decodeFilePath(table.path, a.path))).filter((p) => !known.has(p));
}

/** What the run's Gold commit did, per table. */
export interface RunGoldCommit {
  tables: Partial<Record<GoldForecastTable, DeltaWriteResult>>;
  /** Staged files no record named (an attempt's before its retry), deleted after the commit. */
  orphansDeleted: number;
}

/**
 * Adds every staged file of the run to each Gold table in one commit (txn per table and run: a
 * retry or a re-run of the run finds it done), then deletes the run partition's files that no
 * commit took. Memory: one record per batch (file names and counts), never a row.
 */
export async function commitRunGold(services: PipelineServices, runId: string, batchCount: number | undefined): Promise<RunGoldCommit> {
  const records = await runRecords(services, runId, batchCount);
  const out: RunGoldCommit = { tables: {}, orphansDeleted: 0 };
  for (const def of goldForecastTables) {
    const staged = records.map((r) => r.tables[def.name]).filter((s): s is StagedFiles => s !== undefined && s.adds.length > 0);
    const table = openLakeTable(services.lake, def);
    if (staged.length > 0) {
      out.tables[def.name] = await table.commitStaged(staged, {
        schema: def.schema,
        partitionBy: def.partitionBy,
        // A lake from before a column was added (Gold forecasts' `expected`) gains it on this commit.
        schemaMode: 'merge',
        transaction: runTransaction(def.name, runId),
        commitInfo: { runId, batches: String(records.length) },
        ...signalOf(services),
      });
      if (out.tables[def.name]?.skipped) {
        const notCommitted = await notCommittedFiles(table, staged, signalOf(services));
        if (notCommitted.length > 0) throw new RunGoldCommittedError(runId, def.name, notCommitted);
      }
    }
    out.orphansDeleted += await table.deleteUncommitted({ run_id: runId }, signalOf(services));
  }
  return out;
}
