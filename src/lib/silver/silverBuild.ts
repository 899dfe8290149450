/**
 * Bronze → Silver in two passes, so a million lines or ten cost the same memory:
 *  1. Scan: Bronze parts are validated, normalised and rule-classified on worker threads (piscina),
 *     and their lines spilled to local files by order month. Invalid records go to quarantine.
 *  2. Months, in order: each month's lines are de-duplicated (by line id and exact copy, against
 *     earlier Silver data of that month too), written to order_lines / cancellations as columns
 *     encoded on the workers, and netted against a window of the months a cancellation still
 *     reaches; a month leaving that window gets its daily demand rows.
 *
 * Incremental and idempotent: a run reads earlier Silver data only for the months its lines touch
 * (plus neighbours for cancellation netting and zero-fill), replaces those daily_demand month
 * partitions, and tags every commit with a Delta transaction `silver:<runId>:<table>`, so a
 * re-run of the same run id is skipped table by table and leaves the tables as they were.
 * A line's identity is its order month and line id: a re-delivered line carries its original
 * order time, so it lands in the same month as its first delivery.
 */
import { rmSync } from 'node:fs';
import * as os from 'node:os';
import type { DeltaFileWriter } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import { lakeTables } from '../lakeTables';
import { crashPoint } from '../testing/crashPoints';
import type { FieldBounds } from '../validation/fields';
import { affectedMonths, appendOnlyMonths, monthsToLoad, skuRanges, type AffectedMonths, type AppendOnlyMonths } from './affectedMonths';
import { confirmAppendOnly, confirmRedeliveries, storedCancellationReachesNewLines } from './appendOnlyCheck';
import type { BuildSilverOutput } from './buildSilverOutput';
import { monthBounds, OnHandIndex } from './dailyDemand';
import { DataFileQueue } from './dataFileQueue';
import { InventoryColumns } from './inventoryColumns';
import { checkInventoryRecord } from './inventoryRecord';
import { StockFigures } from './stockFigures';
import { writeInventorySnapshots } from './inventorySnapshots';
import { MonthByMonthPass, type MonthPassTotals, type MonthWriters } from './monthByMonth';
import type { ScanSummary } from './orderChunkScan';
import { commitProducts, readPriorProducts, type ProductsCommitResult } from './productsCommit';
import type { ProductRow } from './products';
import { QuarantineSink } from './quarantineSink';
import { rawText } from './rawText';
import { defaultRuleSet, type RuleSet } from './ruleSet';
import { runScanPass } from './scanPass';
import { assertScratchSpace, makeSpillDir, scratchErrorFrom } from './scratchSpace';
import { autoWorkerCount, availableMemoryBytes, SilverPool } from './silverPool';
import { bucketCount } from './skuBucket';
import { openSilverTables, readStartState, silverTxn, silverWriteOptions, type SilverStartState, type SilverTables } from './silverTables';

export interface SourceRecord {
  record: unknown;
  index: number;
  sourcePath: string;
}

export interface InventorySourceRecord extends SourceRecord {
  /** The landing file the record came from (defaults to sourcePath). */
  sourceFile?: string;
}

export interface SilverBuildOptions {
  runId: string;
  /** Bronze order parts (manifest paths, in order): scanned on worker threads. */
  orderParts?: readonly string[];
  /** Order records from anywhere else (tests, small sources): scanned in-process. */
  orders?: AsyncIterable<SourceRecord>;
  inventory?: AsyncIterable<InventorySourceRecord>;
  ruleSet?: RuleSet;
  /** Order lines expected (sizing; large inputs use worker threads unless `workers` says otherwise). */
  expectedLines?: number;
  /** Worker threads for scanning and Parquet encoding; 0 runs in-process. */
  workers?: number;
  /** Without `workers`: at most this many worker threads for a large build (the instance's cores; default: no cap). */
  maxWorkers?: number;
  /** Where the month spill files go (default: the OS temp folder); removed when the build ends. */
  scratchDir?: string;
  log?: (message: string) => void;
  progress?: (stage: string, done: number, total?: number) => void;
  abortSignal?: AbortSignal;
  /** Bounds of the field validators (DEMAND_MAX_* settings); the documented defaults when absent. */
  fieldBounds?: FieldBounds;
  /** Order lines of months prepared ahead in the month pass at most (default 400,000). */
  linesAhead?: number;
  /** Lines (this run's and stored) of one month the pass takes per SKU bucket at most (default 12,500). */
  linesPerBucket?: number;
}

export interface SilverBuildResult extends BuildSilverOutput {
  ruleSetVersion: string;
  /** Lines already in Silver (same orderLineId) delivered again: dropped silently. */
  redelivered: number;
  /** Order records quarantined (of orderLinesRead; inventory rows not counted) and the first example of each reason. */
  orderQuarantined: number;
  quarantineExamples: Record<string, { detail: string; raw: string }>;
  /** Demand lines taken out of daily demand by a matched cancellation, and their units. */
  nettedLines: number;
  nettedUnits: number;
}

/** From this many expected lines on, scanning and encoding go to worker threads. */
const parallelFromLines = 200_000;

/** What every step of one build shares: its options, tables and the state it read at the start. */
interface SilverRun {
  lake: LakeStore;
  options: SilverBuildOptions;
  runId: string;
  ruleSet: RuleSet;
  scratchRoot: string;
  tables: SilverTables;
  startState: SilverStartState;
  priorProducts: Map<string, ProductRow>;
  log: (message: string) => void;
  signal: { abortSignal?: AbortSignal };
}

/**
 * The scratch folder of a build and the worker threads of the pass now running (see `onFreshPool`),
 * released when it ends.
 */
interface Scratch {
  spillDir: string;
  /** Worker threads each pass starts (0: in-process). */
  workers: number;
}

interface InventoryOutcome {
  /** This run's snapshots, as columns, until the order pass has read them (affected months, stock index); then released. */
  newSnapshots: StockFigures | undefined;
  rows: number;
  version: number;
}

async function startRun(lake: LakeStore, options: SilverBuildOptions): Promise<SilverRun> {
  const signal = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  // Checked before anything is read or committed.
  const scratchRoot = options.scratchDir ?? os.tmpdir();
  assertScratchSpace(scratchRoot, options.expectedLines ?? 0);
  const tables = openSilverTables(lake);
  const startState = await readStartState(tables, signal);
  return {
    lake,
    options,
    runId: options.runId,
    ruleSet: options.ruleSet ?? defaultRuleSet(),
    scratchRoot,
    tables,
    startState,
    priorProducts: await readPriorProducts(tables, startState, options.abortSignal),
    log: options.log ?? (() => undefined),
    signal,
  };
}

/**
 * Worker threads: as asked, else for large inputs one per core (as memory allows, at most
 * `maxWorkers`) and in-process (0) below.
 */
export function silverWorkerCount(options: Pick<SilverBuildOptions, 'workers' | 'maxWorkers' | 'expectedLines'>): number {
  if (options.workers !== undefined) return Math.max(0, Math.floor(options.workers));
  if ((options.expectedLines ?? 0) < parallelFromLines) return 0;
  return autoWorkerCount(os.availableParallelism(), availableMemoryBytes(), options.maxWorkers);
}

function releaseScratch(scratch: Partial<Scratch>): void {
  if (scratch.spillDir) rmSync(scratch.spillDir, { recursive: true, force: true });
}

/**
 * Worker threads for one pass (the scan, the month pass), started for it and closed after it: a
 * worker's heap does not shrink between tasks, so the scan's two worker heaps (about 50 MB each at
 * 32,000 SKUs) stayed resident through the main thread's steps between the passes and into the
 * month pass, and idle workers sat beside the inventory commit. Starting a pool costs well under a
 * second; the peak it saved is in docs/sizing.md (issue 16, stop 32).
 */
async function onFreshPool<T>(run: SilverRun, workers: number, pass: (pool: SilverPool) => Promise<T>): Promise<T> {
  const pool = SilverPool.create({ workers, log: run.log });
  try {
    return await pass(pool);
  } finally {
    await pool.close();
  }
}

/** Inventory snapshots: read into columns (each SKU, date and file text once), then one commit streamed row by row. */
async function commitInventory(run: SilverRun, quarantine: QuarantineSink): Promise<InventoryOutcome> {
  const { options, tables, runId } = run;
  const newSnapshots = new InventoryColumns();
  for await (const rec of options.inventory ?? []) {
    const checked = checkInventoryRecord(rec.record, rec.sourceFile ?? rec.sourcePath, options.fieldBounds);
    if (checked.ok) newSnapshots.add(checked.snapshot);
    else await quarantine.add('inventory', rec, `schema_invalid:${checked.field}`, checked.detail, rawText(rec.record));
  }
  if (newSnapshots.length === 0) return { newSnapshots: StockFigures.none, rows: 0, version: run.startState.inventory?.version ?? -1 };
  const written = await writeInventorySnapshots(tables.inventory, newSnapshots, {
    transaction: silverTxn(runId, 'inventory_snapshots'),
    runId,
    readState: run.startState.inventory,
    ...run.signal,
  });
  crashPoint('silver:committed');
  if (written.result.skipped) run.log(`silver: stock snapshots of run ${runId} already committed (a re-run): write skipped, none replaced`);
  else if (written.replaced > 0) run.log(`silver: ${written.replaced} stock snapshots replaced by later ones of the same SKU and day`);
  // Only the order pass's figures from here (SKU, day, on hand): the rest of the columns go before the scan.
  return { newSnapshots: newSnapshots.stockFigures(), rows: newSnapshots.length, version: written.result.version };
}

/**
 * The scratch folder is made first, so a folder that cannot be written fails the build before any
 * commit; then the inventory commit. A failure here still ends the quarantine stream and removes
 * what was made.
 */
async function prepareScratchAndInventory(
  run: SilverRun,
  quarantine: QuarantineSink,
): Promise<{ scratch: Scratch; inventory: InventoryOutcome }> {
  const made: Partial<Scratch> = {};
  try {
    made.spillDir = makeSpillDir(run.scratchRoot);
    const scratch: Scratch = { spillDir: made.spillDir, workers: silverWorkerCount(run.options) };
    return { scratch, inventory: await commitInventory(run, quarantine) };
  } catch (err) {
    await quarantine.abandon(err);
    releaseScratch(made);
    throw scratchErrorFrom(err, run.scratchRoot);
  }
}

/** Orders, first pass: Bronze scanned (in parallel) into month spill files; invalid records quarantined. */
async function scanOrders(run: SilverRun, scratch: Scratch, quarantine: QuarantineSink): Promise<ScanSummary> {
  const started = performance.now();
  // No threads started for a pass with no Bronze parts (the records then come in-process).
  const workers = (run.options.orderParts?.length ?? 0) > 0 ? scratch.workers : 0;
  const scanned = await onFreshPool(run, workers, (pool) => runScanPass(run.lake, run.options, run.ruleSet, pool, scratch.spillDir));
  const months = Object.keys(scanned.months).length;
  const ms = Math.round(performance.now() - started);
  run.log(`silver: scanned ${scanned.read} order records into ${months} months in ${ms} ms (${workers} workers)`);
  for (const bad of scanned.invalid) {
    await quarantine.add('orders', { index: bad.recordIndex, sourcePath: bad.sourcePath }, bad.reason, bad.detail, bad.raw);
  }
  return scanned;
}

/** Stock on hand: earlier snapshots up to the last affected month, plus this run's (added as read, no list of rows held). */
async function readOnHand(run: SilverRun, lastAffected: string | undefined, newSnapshots: StockFigures): Promise<OnHandIndex> {
  const index = OnHandIndex.builder();
  const state = run.startState.inventory;
  if (lastAffected !== undefined && state) {
    for await (const batch of run.tables.inventory.readColumns({
      state,
      partitionFilter: (pv) => (pv.snapshot_month ?? '') <= lastAffected,
      columns: ['sku', 'snapshot_date', 'on_hand'],
      ...run.signal,
    })) {
      const { sku, snapshot_date: dates, on_hand: onHand } = batch.columns;
      for (let i = 0; i < batch.length; i += 1) index.add(String(sku?.[i]), String(dates?.[i]), Number(onHand?.[i]));
    }
  }
  for (const snapshot of newSnapshots) index.add(snapshot.sku, snapshot.snapshotDate, snapshot.onHand);
  return index.build();
}

/**
 * The append-only months (see affectedMonths.appendOnlyMonths), confirmed against daily_demand; with
 * netting all of the affected months or none, and none when a stored cancellation may now net a new line.
 */
async function decideAppendOnly(
  run: SilverRun,
  affected: AffectedMonths,
  candidates: AppendOnlyMonths,
  redeliveries: (candidates: AppendOnlyMonths) => Promise<AppendOnlyMonths>,
): Promise<AppendOnlyMonths> {
  const confirmed = await confirmAppendOnly(run.tables.dailyDemand, await redeliveries(candidates), run.signal);
  if (!run.ruleSet.document.netting.enabled) return confirmed;
  const none = { months: new Set<string>(), appendFrom: new Map<string, number>() };
  if (confirmed.months.size < affected.months.length) return none;
  const reached = await storedCancellationReachesNewLines(run.tables.cancellations, run.startState.cancellations, confirmed, run.signal);
  return reached ? none : confirmed;
}

/** Lines the pass takes for its largest month: this run's, plus the stored ones of a month it rewrites. */
function largestMonth(run: SilverRun, months: readonly string[], scanned: ScanSummary, appendOnly: AppendOnlyMonths): number {
  const stored = new Map<string, number>();
  for (const state of [run.startState.orderLines, run.startState.cancellations]) {
    for (const add of state?.files.values() ?? []) {
      const month = add.partitionValues?.order_month ?? '';
      stored.set(month, (stored.get(month) ?? 0) + recordsOf(add.stats ?? undefined));
    }
  }
  let largest = 0;
  for (const month of months) {
    const c = scanned.months[month];
    const own = c ? c.demand + c.cancellation + c.rejected : 0;
    largest = Math.max(largest, own + (appendOnly.months.has(month) ? 0 : (stored.get(month) ?? 0)));
  }
  return largest;
}

/** A data file's row count from its add.stats (0 when it has none). */
function recordsOf(stats: string | undefined): number {
  try {
    const n = stats ? (JSON.parse(stats) as { numRecords?: unknown }).numRecords : undefined;
    return typeof n === 'number' ? n : 0;
  } catch {
    return 0;
  }
}

/** The writers of the month-by-month pass; each is listed in `opened` as soon as it is open, for the abort on failure. */
async function openMonthWriters(
  run: SilverRun,
  affected: AffectedMonths,
  appendOnly: AppendOnlyMonths,
  opened: DeltaFileWriter[],
): Promise<MonthWriters> {
  const { tables, runId } = run;
  const abortSignal = run.options.abortSignal;
  const open = async (writer: Promise<DeltaFileWriter>): Promise<DeltaFileWriter> => {
    const w = await writer;
    opened.push(w);
    return w;
  };
  const orderLines = await open(tables.orderLines.openWriter(silverWriteOptions(lakeTables.order_lines, runId, 'append', abortSignal)));
  const cancellations = await open(
    tables.cancellations.openWriter(silverWriteOptions(lakeTables.cancellations, runId, 'append', abortSignal)),
  );
  const rejectedLines = await open(
    tables.rejectedLines.openWriter(silverWriteOptions(lakeTables.rejected_lines, runId, 'append', abortSignal)),
  );
  const dailyDemand = await open(
    tables.dailyDemand.openWriter({
      ...silverWriteOptions(lakeTables.daily_demand, runId, 'overwritePartitions', abortSignal),
      partitions: affected.months.filter((month) => !appendOnly.months.has(month)).map((month) => ({ month })),
      appendPartitions: [...appendOnly.months].map((month) => ({ month })),
      commitInfo: {
        runId,
        months: `${affected.months[0] ?? '-'}..${affected.last ?? '-'}`,
        ...(appendOnly.months.size > 0 ? { appendedMonths: [...appendOnly.months].sort().join(',') } : {}),
      },
    }),
  );
  return { orderLines, cancellations, rejectedLines, dailyDemand };
}

/** Commits order_lines, cancellations, quarantine and daily_demand, in that order; the table versions and daily demand rows written. */
async function commitOrderTables(
  run: SilverRun,
  writers: MonthWriters,
  quarantine: QuarantineSink,
  affected: AffectedMonths,
  totals: MonthPassTotals & { read: number },
): Promise<{ tableVersions: Record<string, number>; dailyDemandRows: number }> {
  quarantine.close();
  const tableVersions: Record<string, number> = {};
  tableVersions.order_lines = (await writers.orderLines.commit()).version;
  crashPoint('silver:committed');
  tableVersions.cancellations = (await writers.cancellations.commit()).version;
  crashPoint('silver:committed');
  // Not in tableVersions (the lineage of a forecast): only later Silver builds read it.
  await writers.rejectedLines.commit();
  crashPoint('silver:committed');
  tableVersions.quarantine = await quarantine.committed();
  crashPoint('silver:committed');
  run.log(
    `silver: read ${totals.read} order records, kept ${totals.kept}, cancellations ${totals.cancellations}, redelivered ${totals.redelivered}, quarantined ${JSON.stringify(quarantine.reasons)}`,
  );
  let dailyDemandRows = totals.dailyDemandRows;
  if (affected.months.length > 0) {
    const written = await writers.dailyDemand.commit();
    tableVersions.daily_demand = written.version;
    crashPoint('silver:committed');
    if (written.skipped) dailyDemandRows = 0;
  } else {
    await writers.dailyDemand.abort();
    tableVersions.daily_demand = await run.tables.dailyDemand.version(run.signal);
  }
  return { tableVersions, dailyDemandRows };
}

function resultOf(
  run: SilverRun,
  parts: {
    read: number;
    totals: MonthPassTotals;
    quarantine: QuarantineSink;
    inventory: InventoryOutcome;
    affected: AffectedMonths;
    tableVersions: Record<string, number>;
    dailyDemandRows: number;
    products: ProductsCommitResult;
  },
): SilverBuildResult {
  const { totals, quarantine, affected, products } = parts;
  const last = affected.last;
  return {
    orderLinesRead: parts.read,
    orderLinesKept: totals.kept,
    unitsKept: totals.unitsKept,
    cancellations: totals.cancellations,
    returns: totals.returns,
    quarantined: quarantine.total,
    quarantineReasons: quarantine.reasons,
    inventoryRows: parts.inventory.rows,
    skus: products.skus,
    dailyDemandRows: parts.dailyDemandRows,
    affectedFrom: affected.months.length > 0 ? `${affected.months[0]}-01` : null,
    affectedTo: last !== undefined ? new Date(monthBounds(last).last * 86_400_000).toISOString().slice(0, 10) : null,
    tableVersions: {
      ...parts.tableVersions,
      inventory_snapshots: parts.inventory.version,
      products: products.products,
      product_descriptions: products.productDescriptions,
    },
    ruleSetVersion: run.ruleSet.versionTag,
    orderQuarantined: quarantine.orderQuarantined,
    quarantineExamples: quarantine.examples,
    redelivered: totals.redelivered,
    nettedLines: totals.nettedLines,
    nettedUnits: totals.nettedUnits,
  };
}

/** Orders, both passes, then the commits: what runs once the scratch folder and the inventory commit are done. */
async function buildOrderTables(
  run: SilverRun,
  scratch: Scratch,
  quarantine: QuarantineSink,
  inventory: InventoryOutcome,
  cleanup: { files: DataFileQueue; writers: DeltaFileWriter[] },
): Promise<SilverBuildResult> {
  const scanned = await scanOrders(run, scratch, quarantine);
  const priorRanges = skuRanges(run.priorProducts);
  const ranges = skuRanges(run.priorProducts);
  const netting = run.ruleSet.document.netting;
  let newSnapshots = inventory.newSnapshots ?? StockFigures.none;
  // Released before the month pass: a first build's snapshots are the fleet's whole stock history.
  inventory.newSnapshots = undefined;
  const affected = affectedMonths(scanned, ranges, newSnapshots, netting);
  const onHand = await readOnHand(run, affected.last, newSnapshots);
  const appendOnly = await decideAppendOnly(
    run,
    affected,
    appendOnlyMonths(affected, priorRanges, scanned, newSnapshots, netting),
    (candidates) => confirmRedeliveries(run, scratch.spillDir, candidates, priorRanges, netting.enabled, Object.keys(scanned.months)),
  );
  newSnapshots = StockFigures.none;
  // Merged into `ranges` by now: each SKU's scanned range is not held twice through the month pass.
  scanned.skuRanges = {};
  if (appendOnly.months.size > 0)
    run.log(`silver: daily_demand months ${[...appendOnly.months].sort().join(', ')} only gain rows: appended, their stored files kept`);
  const writers = await openMonthWriters(run, affected, appendOnly, cleanup.writers);
  // Every affected month append-only: no stored lines are netted again, so the months after are not read.
  const load = monthsToLoad(affected, scanned, netting).filter(
    (m) => appendOnly.months.size < affected.months.length || affected.set.has(m) || m in scanned.months,
  );
  const largest = largestMonth(run, load, scanned, appendOnly);
  const buckets = bucketCount(largest, run.options.linesPerBucket);
  if (buckets > 1) run.log(`silver: month pass in ${buckets} SKU buckets (largest month ${largest} lines)`);
  const pass = await onFreshPool(run, load.length > 0 ? scratch.workers : 0, async (pool) => {
    const monthPass = new MonthByMonthPass({
      tables: run.tables,
      startState: run.startState,
      runId: run.runId,
      ranges,
      ruleSet: run.ruleSet,
      pool,
      spillDir: scratch.spillDir,
      writers,
      files: cleanup.files,
      affected,
      onHand,
      quarantine,
      monthLines: new Map(Object.entries(scanned.months).map(([month, c]) => [month, c.demand + c.cancellation])),
      appendOnly,
      ...(run.options.linesAhead !== undefined ? { linesAhead: run.options.linesAhead } : {}),
      ...(run.options.progress ? { progress: run.options.progress } : {}),
      ...run.signal,
    });
    await monthPass.run(load, buckets);
    return monthPass;
  });
  // The spill files are done with (the month pass's workers are closed): removed before the commits.
  releaseScratch(scratch);
  run.log(`silver: month pass held at most ${pass.peakLinesAhead} order lines of months prepared ahead`);
  run.log(`silver: a month task decoded at most ${pass.peakLinesDecoded} spilled lines`);
  run.log(`silver: the netting window held at most ${pass.peakWindowLines} demand lines`);
  const totals = { ...pass.totals, read: scanned.read };
  const { tableVersions, dailyDemandRows } = await commitOrderTables(run, writers, quarantine, affected, totals);
  const products = await commitProducts(
    {
      tables: run.tables,
      startState: run.startState,
      runId: run.runId,
      tieBreak: run.ruleSet.document.canonicalDescription.tieBreak,
      priorProducts: run.priorProducts,
      ...run.signal,
    },
    pass.catalogue,
  );
  return resultOf(run, { read: scanned.read, totals, quarantine, inventory, affected, tableVersions, dailyDemandRows, products });
}

export async function buildSilverTables(lake: LakeStore, options: SilverBuildOptions): Promise<SilverBuildResult> {
  const run = await startRun(lake, options);
  const quarantine = await QuarantineSink.open(run.tables.quarantine, run.runId, run.ruleSet, options.abortSignal);
  const { scratch, inventory } = await prepareScratchAndInventory(run, quarantine);
  const cleanup = { files: new DataFileQueue(), writers: [] as DeltaFileWriter[] };
  try {
    return await buildOrderTables(run, scratch, quarantine, inventory, cleanup);
  } catch (err) {
    await cleanup.files.settle();
    await Promise.all(cleanup.writers.map((w) => w.abort()));
    await quarantine.abandon(err);
    throw scratchErrorFrom(err, run.scratchRoot);
  } finally {
    releaseScratch(scratch);
  }
}
