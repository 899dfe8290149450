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
import { DeltaTable } from '../delta/deltaTable';
import type { DeltaFileWriter, DeltaRow, DeltaWriteOptions } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import { IncompleteSilverRunError } from '../errors';
import type { BuildSilverOutput } from './buildSilverOutput';
import type { ReasonCounts } from '../quality/reasonCounts';
import { lakeTables, type LakeTableDef } from '../lakeTables';
import { monthBounds, monthOfDay, monthsBetween, OnHandIndex, type DayRange } from './dailyDemand';
import { dailyDemandTasks } from './dailyDemandTask';
import { DemandLines } from './demandLines';
import { FingerprintSet } from './fingerprintSet';
import { checkInventoryRecord, type InventorySnapshot } from './inventoryRecord';
import { writeInventorySnapshots } from './inventorySnapshots';
import { netCancellations, type CancellationRef } from './netting';
import { duplicateKey } from './orderLineCleanser';
import type { MonthResult } from './monthPass';
import { dayNumber, type OrderLine } from './orderRecord';
import { DataFileQueue } from './dataFileQueue';
import { rawText } from './orderChunkScan';
import { runScanPass } from './scanPass';
import { ProductCatalogue, type ProductDescriptionRow, type ProductRow } from './products';
import { RowChannel } from './rowChannel';
import { assertScratchSpace, makeSpillDir, scratchErrorFrom } from './scratchSpace';
import { defaultRuleSet, type RuleSet } from './ruleSet';
import { SilverPool } from './silverPool';
import { crashPoint } from '../testing/crashPoints';
import type { FieldBounds } from '../validation/fields';

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
  /** Where the month spill files go (default: the OS temp folder); removed when the build ends. */
  scratchDir?: string;
  log?: (message: string) => void;
  progress?: (stage: string, done: number, total?: number) => void;
  abortSignal?: AbortSignal;
  /** Bounds of the field validators (DEMAND_MAX_* settings); the documented defaults when absent. */
  fieldBounds?: FieldBounds;
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

/** Rows per Parquet data file. */
const orderLinesFileRows = 50_000;
/** Data files encoding or being stored at once: enough that the main thread never waits on one. */
const filesInFlight = 8;
/** From this many expected lines on, scanning and encoding go to worker threads. */
const parallelFromLines = 200_000;

function txn(runId: string, table: string): { appId: string; version: number } {
  return { appId: `silver:${runId}:${table}`, version: 0 };
}

function lineFromRow(row: DeltaRow): OrderLine {
  const ts = new Date(String(row.order_ts)).toISOString();
  return {
    orderLineId: String(row.order_line_id),
    invoiceNo: String(row.invoice_no),
    sku: String(row.sku),
    description: (row.description as string | null) ?? null,
    quantity: Number(row.quantity),
    unitPrice: Number(row.unit_price),
    customerId: (row.customer_id as string | null) ?? null,
    country: (row.country as string | null) ?? null,
    orderTs: ts,
    orderDate: String(row.order_date),
  };
}

function count(counts: ReasonCounts, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Starts a streamed write; its outcome is settled so a failure reaches the producer, not the process. */
function streamedWrite(table: DeltaTable, def: LakeTableDef, channel: RowChannel, runId: string, abortSignal?: AbortSignal) {
  return table
    .write(channel, {
      schema: def.schema,
      partitionBy: def.partitionBy,
      mode: 'append',
      transaction: txn(runId, def.name),
      commitInfo: { runId },
      targetRowsPerFile: orderLinesFileRows,
      ...(abortSignal ? { abortSignal } : {}),
    })
    .then(
      (result) => {
        channel.detach();
        return { ok: true as const, result };
      },
      (error: unknown) => {
        channel.fail(error);
        return { ok: false as const, error };
      },
    );
}

function writeOptions(def: LakeTableDef, runId: string, mode: DeltaWriteOptions['mode'], abortSignal?: AbortSignal): DeltaWriteOptions {
  return {
    schema: def.schema,
    partitionBy: def.partitionBy,
    mode,
    transaction: txn(runId, def.name),
    commitInfo: { runId },
    targetRowsPerFile: orderLinesFileRows,
    ...(abortSignal ? { abortSignal } : {}),
  };
}

interface PendingMonth {
  month: string;
  priorLines: Array<{ line: OrderLine; revenue: number }>;
  priorCancellations: CancellationRef[];
  result: Promise<MonthResult>;
}

export async function buildSilverTables(lake: LakeStore, options: SilverBuildOptions): Promise<SilverBuildResult> {
  const { runId, abortSignal } = options;
  const log = options.log ?? (() => undefined);
  const ruleSet = options.ruleSet ?? defaultRuleSet();
  const signal = abortSignal ? { abortSignal } : {};
  // Checked before anything is read or committed.
  const scratchRoot = options.scratchDir ?? os.tmpdir();
  assertScratchSpace(scratchRoot, options.expectedLines ?? 0);

  const tables = {
    orderLines: DeltaTable.forPath(lake, lakeTables.order_lines.path),
    cancellations: DeltaTable.forPath(lake, lakeTables.cancellations.path),
    quarantine: DeltaTable.forPath(lake, lakeTables.quarantine.path),
    inventory: DeltaTable.forPath(lake, lakeTables.inventory_snapshots.path),
    products: DeltaTable.forPath(lake, lakeTables.products.path),
    productDescriptions: DeltaTable.forPath(lake, lakeTables.product_descriptions.path),
    dailyDemand: DeltaTable.forPath(lake, lakeTables.daily_demand.path),
  };
  // Earlier Silver data is read as of the versions at the start, so this run's own commits never
  // feed back into it; rows of this run id (from an interrupted attempt) are skipped too. Each log
  // is replayed once here and every read below reuses the state.
  const startState = {
    orderLines: await tables.orderLines.stateIfExists(signal),
    cancellations: await tables.cancellations.stateIfExists(signal),
    inventory: await tables.inventory.stateIfExists(signal),
    products: await tables.products.stateIfExists(signal),
    productDescriptions: await tables.productDescriptions.stateIfExists(signal),
  };
  const versionAtStart = (table: keyof typeof startState): number => startState[table]?.version ?? -1;

  const priorProducts = new Map<string, ProductRow>();
  if (startState.products) {
    for await (const row of tables.products.read({ state: startState.products, ...signal })) {
      priorProducts.set(String(row.sku), row as ProductRow);
    }
  }

  // A record quarantined once is not quarantined again when it comes again (an overlap window, a
  // batch a killed run ingested and the next run fetched anew): same source, reason and raw text.
  const quarantinedBefore = FingerprintSet.withCapacity(1024);
  const quarantineKey = (source: string, reason: string, raw: string): string => `${source}\u0001${reason}\u0001${raw}`;
  const quarantineState = await tables.quarantine.stateIfExists(signal);
  if (quarantineState) {
    for await (const row of tables.quarantine.read({ state: quarantineState, columns: ['run_id', 'source', 'reason', 'raw'], ...signal })) {
      if (row.run_id !== runId) quarantinedBefore.add(quarantineKey(String(row.source), String(row.reason), String(row.raw)));
    }
  }
  const quarantineReasons: ReasonCounts = {};
  const quarantineExamples: Record<string, { detail: string; raw: string }> = {};
  let orderQuarantined = 0;
  const quarantineChannel = new RowChannel();
  const quarantineWrite = streamedWrite(tables.quarantine, lakeTables.quarantine, quarantineChannel, runId, abortSignal);
  const quarantine = async (
    source: string,
    rec: Omit<SourceRecord, 'record'>,
    reason: string,
    detail: string,
    raw: string,
  ): Promise<void> => {
    if (!quarantinedBefore.add(quarantineKey(source, reason, raw))) return;
    count(quarantineReasons, reason);
    if (source === 'orders') orderQuarantined++;
    // One example per reason for the run's data-quality verdict (the table holds them all).
    quarantineExamples[reason] ??= { detail, raw: raw.length > 300 ? `${raw.slice(0, 300)}…` : raw };
    await quarantineChannel.push({
      run_id: runId,
      source,
      source_path: rec.sourcePath,
      record_index: rec.index,
      reason,
      detail,
      raw,
      rule_set_version: ruleSet.versionTag,
    });
  };

  // --- inventory snapshots (small: read whole, then one commit) ---
  const newSnapshots: InventorySnapshot[] = [];
  let inventoryVersion = versionAtStart('inventory');
  // The scratch folder and the workers of the orders pass are made first, so a folder that cannot
  // be written fails the build before any commit. A failure up to the orders pass still ends the
  // quarantine stream and removes what was made.
  const workers = options.workers ?? ((options.expectedLines ?? 0) >= parallelFromLines ? os.availableParallelism() : 0);
  let spillDir: string;
  let pool: SilverPool;
  let madeSpillDir: string | undefined;
  let madePool: SilverPool | undefined;
  try {
    spillDir = madeSpillDir = makeSpillDir(scratchRoot);
    pool = madePool = SilverPool.create({ workers });
    if (options.inventory) {
      for await (const rec of options.inventory) {
        const checked = checkInventoryRecord(rec.record, rec.sourceFile ?? rec.sourcePath, options.fieldBounds);
        if (checked.ok) newSnapshots.push(checked.snapshot);
        else await quarantine('inventory', rec, `schema_invalid:${checked.field}`, checked.detail, rawText(rec.record));
      }
    }
    if (newSnapshots.length > 0) {
      const written = await writeInventorySnapshots(tables.inventory, newSnapshots, {
        transaction: txn(runId, 'inventory_snapshots'),
        runId,
        readState: startState.inventory,
        ...signal,
      });
      inventoryVersion = written.result.version;
      crashPoint('silver:committed');
      if (written.replaced > 0) log(`silver: ${written.replaced} stock snapshots replaced by later ones of the same SKU and day`);
    }
  } catch (err) {
    quarantineChannel.fail(err);
    await quarantineWrite;
    await madePool?.close();
    if (madeSpillDir) rmSync(madeSpillDir, { recursive: true, force: true });
    throw scratchErrorFrom(err, scratchRoot);
  }

  // --- orders, first pass: scan Bronze (in parallel) into month spill files ---
  const openWriters: DeltaFileWriter[] = [];
  const catalogue = new ProductCatalogue(ruleSet.document.canonicalDescription.tieBreak);
  let files: DataFileQueue | undefined;
  try {
    const scanStarted = performance.now();
    const scanned = await runScanPass(lake, options, ruleSet, pool, spillDir);
    log(
      `silver: scanned ${scanned.read} order records into ${Object.keys(scanned.months).length} months in ${Math.round(performance.now() - scanStarted)} ms (${pool.workers} workers)`,
    );
    for (const bad of scanned.invalid) {
      await quarantine('orders', { index: bad.recordIndex, sourcePath: bad.sourcePath }, bad.reason, bad.detail, bad.raw);
    }
    const read = scanned.read;
    const newLineMonths = new Set<string>();
    const newCancellationMonths = new Set<string>();
    for (const [month, counts] of Object.entries(scanned.months)) {
      if (counts.demand > 0) newLineMonths.add(month);
      if (counts.cancellation > 0) newCancellationMonths.add(month);
    }

    // --- SKU ranges: earlier products plus this run's lines ---
    const ranges = new Map<string, DayRange>();
    for (const [sku, p] of priorProducts) ranges.set(sku, { first: dayNumber(p.first_sale_date), last: dayNumber(p.last_sale_date) });
    const affected = new Set<string>([...newLineMonths, ...newCancellationMonths]);
    for (const [sku, [first, last]] of Object.entries(scanned.skuRanges)) {
      const prior = ranges.get(sku);
      const merged = prior ? { first: Math.min(prior.first, first), last: Math.max(prior.last, last) } : { first, last };
      ranges.set(sku, merged);
      // Zero-fill: months the SKU's range newly covers get rows they did not have.
      if (!prior) monthsBetween(merged.first, merged.last).forEach((m) => affected.add(m));
      else {
        if (merged.first < prior.first) monthsBetween(merged.first, prior.first - 1).forEach((m) => affected.add(m));
        if (merged.last > prior.last) monthsBetween(prior.last + 1, merged.last).forEach((m) => affected.add(m));
      }
    }
    const netting = ruleSet.document.netting;
    // A cancellation may net a line up to maxDaysBetween days earlier: those months change too.
    // So do they for a new line: a stored cancellation may now prefer it (the latest earlier
    // line), which frees the line it netted before, up to maxDaysBetween days earlier.
    if (netting.enabled) {
      for (const m of [...newCancellationMonths, ...newLineMonths])
        monthsBetween(monthBounds(m).first - netting.maxDaysBetween, monthBounds(m).first).forEach((x) => affected.add(x));
    }
    // New stock figures change on_hand (and stockout) from their day to the end of the SKU's range.
    for (const snapshot of newSnapshots) {
      const range = ranges.get(snapshot.sku);
      const day = dayNumber(snapshot.snapshotDate);
      if (range && day <= range.last) monthsBetween(Math.max(day, range.first), range.last).forEach((m) => affected.add(m));
    }
    // Only months some SKU is active in (netting's previous month may lie before all sales).
    let firstDay = Infinity;
    let lastDay = -Infinity;
    for (const r of ranges.values()) {
      if (r.first < firstDay) firstDay = r.first;
      if (r.last > lastDay) lastDay = r.last;
    }
    const affectedMonths = [...affected]
      .filter((m) => Number.isFinite(firstDay) && m >= monthOfDay(firstDay) && m <= monthOfDay(lastDay))
      .sort();
    const affectedSet = new Set(affectedMonths);
    const lastAffected = affectedMonths[affectedMonths.length - 1];

    // --- stock on hand: earlier snapshots up to the last affected month, plus this run's ---
    const snapshots: Array<{ sku: string; snapshotDate: string; onHand: number }> = [];
    if (lastAffected !== undefined && startState.inventory) {
      for await (const row of tables.inventory.read({
        state: startState.inventory,
        partitionFilter: (pv) => (pv.snapshot_month ?? '') <= lastAffected,
        columns: ['sku', 'snapshot_date', 'on_hand'],
        ...signal,
      })) {
        snapshots.push({ sku: String(row.sku), snapshotDate: String(row.snapshot_date), onHand: Number(row.on_hand) });
      }
    }
    for (const snapshot of newSnapshots) snapshots.push(snapshot);
    const onHand = OnHandIndex.fromSnapshots(snapshots);
    snapshots.length = 0;

    // --- orders, second pass: month by month, with a window of the months netting still reaches ---
    const writers = {
      orderLines: await tables.orderLines.openWriter(writeOptions(lakeTables.order_lines, runId, 'append', abortSignal)),
      cancellations: await tables.cancellations.openWriter(writeOptions(lakeTables.cancellations, runId, 'append', abortSignal)),
      dailyDemand: await tables.dailyDemand.openWriter({
        ...writeOptions(lakeTables.daily_demand, runId, 'overwritePartitions', abortSignal),
        partitions: affectedMonths.map((month) => ({ month })),
        commitInfo: { runId, months: `${affectedMonths[0] ?? '-'}..${lastAffected ?? '-'}` },
      }),
    };
    openWriters.push(writers.orderLines, writers.cancellations, writers.dailyDemand);
    files = new DataFileQueue();
    const quarantineDuplicates = ruleSet.document.duplicates.policy === 'quarantine';
    const skuOrder = [...ranges.keys()].sort();
    let window = new DemandLines();
    let windowMonths: string[] = [];
    let kept = 0;
    let unitsKept = 0;
    let cancellations = 0;
    let returns = 0;
    let redelivered = 0;
    let nettedLines = 0;
    let nettedUnits = 0;
    let dailyDemandRows = 0;

    const finalize = (upTo: number): void => {
      // Months whose lines no later cancellation can reach any more: write their daily demand.
      const done = windowMonths.filter((m) => monthBounds(m).last < upTo);
      if (done.length === 0) return;
      const fields = [...writers.dailyDemand.dataFields];
      for (const month of done) {
        if (!affectedSet.has(month) || writers.dailyDemand.skipped) continue;
        // A month's SKU-days in tasks of bounded size: a worker never holds the whole fleet's month.
        for (const { task, rows } of dailyDemandTasks(window, month, { skuOrder, ranges, onHand, fields, fileRows: orderLinesFileRows })) {
          dailyDemandRows += rows;
          (files as DataFileQueue).add(writers.dailyDemand, { month }, pool.dailyDemand(task));
        }
      }
      windowMonths = windowMonths.filter((m) => !done.includes(m));
      window = window.retainFrom(windowMonths.length > 0 ? monthBounds(windowMonths[0] as string).first : upTo);
    };

    const loadMonths = new Set<string>([...affectedMonths, ...Object.keys(scanned.months)]);
    // Cancellations of the month after an affected month may net its lines.
    if (netting.enabled) for (const m of affectedMonths) loadMonths.add(monthOfDay(monthBounds(m).last + 1));
    const reach = netting.enabled ? netting.maxDaysBetween : -1;
    // Months are de-duplicated and written on the workers, a few ahead; netting and daily demand
    // take their results in month order.
    const prepareMonth = async (month: string): Promise<PendingMonth> => {
      const priorLines: Array<{ line: OrderLine; revenue: number }> = [];
      const priorCancellations: CancellationRef[] = [];
      const fingerprints: number[][] = [[], [], [], []];
      const remember = (line: OrderLine): void => {
        const id = FingerprintSet.fingerprintOf(line.orderLineId);
        const dup = FingerprintSet.fingerprintOf(duplicateKey(line));
        fingerprints[0]?.push(id.hi);
        fingerprints[1]?.push(id.lo);
        fingerprints[2]?.push(dup.hi);
        fingerprints[3]?.push(dup.lo);
      };
      // Lines stored by earlier runs (rows of this run id come from an interrupted attempt: skipped).
      const filter = { partitionFilter: (pv: Record<string, string | null>) => pv.order_month === month, ...signal };
      if (startState.orderLines) {
        for await (const row of tables.orderLines.read({ state: startState.orderLines, ...filter })) {
          if (row.run_id === runId) continue;
          const line = lineFromRow(row);
          // Every stored line lies in its SKU's catalogue range, unless the run that stored it
          // stopped before its products commit.
          const range = ranges.get(line.sku);
          const day = dayNumber(line.orderDate);
          if (!range || day < range.first || day > range.last) {
            throw new IncompleteSilverRunError(
              String(row.run_id),
              `order_lines holds its line ${line.orderLineId} (SKU ${line.sku}, ${line.orderDate}) outside what products lists for that SKU`,
            );
          }
          remember(line);
          priorLines.push({ line, revenue: Number(row.revenue) });
        }
      }
      if (startState.cancellations) {
        for await (const row of tables.cancellations.read({ state: startState.cancellations, ...filter })) {
          if (row.run_id === runId) continue;
          const line = lineFromRow(row);
          remember(line);
          priorCancellations.push({
            sku: line.sku,
            customerId: line.customerId,
            quantity: -line.quantity,
            ts: Date.parse(line.orderTs) / 1000,
          });
        }
      }
      const [idHi, idLo, dupHi, dupLo] = fingerprints.map((f) => Uint32Array.from(f)) as [
        Uint32Array,
        Uint32Array,
        Uint32Array,
        Uint32Array,
      ];
      const result = pool.month({
        month,
        spillDir,
        runId,
        prior: { idHi, idLo, dupHi, dupLo },
        duplicates: { quarantine: quarantineDuplicates, reason: ruleSet.document.duplicates.reason },
        tieBreak: ruleSet.document.canonicalDescription.tieBreak,
        orderLineFields: writers.orderLines.skipped ? null : [...writers.orderLines.dataFields],
        cancellationFields: writers.cancellations.skipped ? null : [...writers.cancellations.dataFields],
        fileRows: orderLinesFileRows,
      });
      result.catch(() => undefined);
      return { month, priorLines, priorCancellations, result };
    };

    const months = [...loadMonths].sort();
    // Enough months queued that no worker waits while this thread nets and aggregates one.
    const monthsAhead = 2 * pool.workers + 1;
    const ahead: PendingMonth[] = [];
    let prepared = 0;
    let previous: string | undefined;
    while (prepared < months.length || ahead.length > 0) {
      while (prepared < months.length && ahead.length < monthsAhead) ahead.push(await prepareMonth(months[prepared++] as string));
      const pending = ahead.shift() as PendingMonth;
      const month = pending.month;
      abortSignal?.throwIfAborted();
      const bounds = monthBounds(month);
      if (previous !== undefined && monthOfDay(monthBounds(previous).last + 1) !== month) finalize(Infinity);
      previous = month;
      windowMonths.push(month);
      for (const { line, revenue } of pending.priorLines) window.addLine(line, revenue);
      const r = await pending.result;
      window.appendColumns(r.demand);
      kept += r.kept;
      unitsKept += r.unitsKept;
      cancellations += r.cancellations;
      returns += r.returns;
      redelivered += r.redelivered;
      for (const bad of r.quarantine) {
        await quarantine('orders', { index: bad.recordIndex, sourcePath: bad.sourcePath }, bad.reason, bad.detail, bad.raw);
      }
      catalogue.merge(r.catalogue);
      files.add(writers.orderLines, { order_month: month }, Promise.resolve(r.orderLineFiles));
      files.add(writers.cancellations, { order_month: month }, Promise.resolve(r.cancellationFiles));
      options.progress?.('silver:months', prepared - ahead.length, months.length);

      const monthCancellations = pending.priorCancellations;
      for (let c = 0; c < r.cancelled.sku.length; c += 1) {
        monthCancellations.push({
          sku: r.cancelled.sku[c] as string,
          customerId: r.cancelled.customerId[c] ?? null,
          quantity: r.cancelled.quantity[c] as number,
          ts: r.cancelled.ts[c] as number,
        });
      }
      if (netting.enabled && monthCancellations.length > 0) {
        const netted = netCancellations(window, monthCancellations, { maxDaysBetween: netting.maxDaysBetween });
        for (const i of netted.nettedLines) {
          if (affectedSet.has(monthOfDay(window.day[i] as number))) {
            nettedLines += 1;
            nettedUnits += window.quantity[i] as number;
          }
        }
      }
      // Lines no cancellation of a later month can reach are final.
      finalize(bounds.last + 1 - reach);
      await files.drainTo(filesInFlight);
    }
    finalize(Infinity);
    await files.drainTo(0);

    quarantineChannel.close();
    const tableVersions: Record<string, number> = {};
    const committedLines = await writers.orderLines.commit();
    tableVersions.order_lines = committedLines.version;
    crashPoint('silver:committed');
    tableVersions.cancellations = (await writers.cancellations.commit()).version;
    crashPoint('silver:committed');
    const quarantineOutcome = await quarantineWrite;
    if (!quarantineOutcome.ok) throw quarantineOutcome.error;
    tableVersions.quarantine = quarantineOutcome.result.version;
    crashPoint('silver:committed');
    tableVersions.inventory_snapshots = inventoryVersion;
    log(
      `silver: read ${read} order records, kept ${kept}, cancellations ${cancellations}, redelivered ${redelivered}, quarantined ${JSON.stringify(quarantineReasons)}`,
    );
    if (affectedMonths.length > 0) {
      const written = await writers.dailyDemand.commit();
      tableVersions.daily_demand = written.version;
      crashPoint('silver:committed');
      if (written.skipped) dailyDemandRows = 0;
    } else {
      await writers.dailyDemand.abort();
      tableVersions.daily_demand = await tables.dailyDemand.version(signal);
    }
    // --- products: the stored catalogue plus this run's lines; untouched months are not re-read ---
    let skuCount = priorProducts.size;
    if (catalogue.skus().length > 0) {
      const tieBreak = ruleSet.document.canonicalDescription.tieBreak;
      let stored: ProductCatalogue;
      // This run's descriptions are already in the table when an earlier attempt stored them but
      // stopped before `products`: its totals are added again, its description counts not.
      let descriptionsCounted = false;
      if (startState.productDescriptions) {
        const descriptions: ProductDescriptionRow[] = [];
        for await (const row of tables.productDescriptions.read({ state: startState.productDescriptions, ...signal }))
          descriptions.push(row as ProductDescriptionRow);
        stored = ProductCatalogue.fromTables(priorProducts.values(), descriptions, tieBreak);
        const descriptionsTxn = txn(runId, 'product_descriptions');
        descriptionsCounted = (startState.productDescriptions.appTransactions.get(descriptionsTxn.appId) ?? -1) >= descriptionsTxn.version;
      } else {
        // No description counts yet (a lake written before they were kept): rebuilt once from
        // every stored line.
        stored = new ProductCatalogue(tieBreak);
        if (startState.orderLines) {
          for await (const row of tables.orderLines.read({
            state: startState.orderLines,
            columns: ['sku', 'description', 'quantity', 'order_date', 'order_ts', 'run_id'],
            ...signal,
          })) {
            if (row.run_id === runId) continue;
            stored.add({
              sku: String(row.sku),
              description: (row.description as string | null) ?? null,
              quantity: Number(row.quantity),
              orderDate: String(row.order_date),
              orderTs: new Date(String(row.order_ts)).toISOString(),
            });
          }
        }
      }
      stored.merge(catalogue.entries(), { descriptions: !descriptionsCounted });
      // Descriptions first: a stop between the two commits is what `descriptionsCounted` mends.
      // Both are overwritten from what was read at the start: another run's catalogue committed
      // since then is a conflict, not something to replace.
      const describedAs = await tables.productDescriptions.write(stored.descriptionRows(), {
        ...writeOptions(lakeTables.product_descriptions, runId, 'overwrite', abortSignal),
        ...(startState.productDescriptions ? { readState: startState.productDescriptions } : {}),
      });
      tableVersions.product_descriptions = describedAs.version;
      crashPoint('silver:committed');
      const written = await tables.products.write(
        stored.skus().map((sku) => stored.row(sku) as ProductRow),
        {
          ...writeOptions(lakeTables.products, runId, 'overwrite', abortSignal),
          ...(startState.products ? { readState: startState.products } : {}),
        },
      );
      tableVersions.products = written.version;
      crashPoint('silver:committed');
      skuCount = stored.skus().length;
    } else {
      tableVersions.products = versionAtStart('products');
      tableVersions.product_descriptions = versionAtStart('productDescriptions');
    }

    const quarantined = Object.values(quarantineReasons).reduce((a, b) => a + b, 0);
    return {
      orderLinesRead: read,
      orderLinesKept: kept,
      unitsKept,
      cancellations,
      returns,
      quarantined,
      quarantineReasons,
      inventoryRows: newSnapshots.length,
      skus: skuCount,
      dailyDemandRows,
      affectedFrom: affectedMonths.length > 0 ? `${affectedMonths[0]}-01` : null,
      affectedTo: lastAffected !== undefined ? new Date(monthBounds(lastAffected).last * 86_400_000).toISOString().slice(0, 10) : null,
      tableVersions,
      ruleSetVersion: ruleSet.versionTag,
      orderQuarantined,
      quarantineExamples,
      redelivered,
      nettedLines,
      nettedUnits,
    };
  } catch (err) {
    await files?.settle();
    await Promise.all(openWriters.map((w) => w.abort()));
    quarantineChannel.fail(err);
    await quarantineWrite;
    throw scratchErrorFrom(err, scratchRoot);
  } finally {
    await pool.close();
    rmSync(spillDir, { recursive: true, force: true });
  }
}
