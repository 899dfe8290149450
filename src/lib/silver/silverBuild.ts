/**
 * Bronze → Silver in one streamed pass: orders are validated and cleansed with the rule set,
 * demand lines are streamed into order_lines (one commit), cancellations and quarantined records
 * into their tables, and daily demand is recomputed for the affected months only.
 *
 * Incremental and idempotent: a run reads earlier Silver data only for the months its lines touch
 * (plus neighbours for cancellation netting and zero-fill), replaces those daily_demand month
 * partitions, and tags every commit with a Delta transaction `silver:<runId>:<table>`, so a
 * re-run of the same run id is skipped table by table and leaves the tables as they were.
 */
import { DeltaTable } from '../delta/deltaTable';
import type { DeltaRow } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import type { BuildSilverOutput, ReasonCounts } from '../pipeline/contracts';
import { lakeTables, type LakeTableDef } from '../pipeline/tables';
import { dailyDemandByMonth, monthBounds, monthOfDay, monthsBetween, OnHandIndex, type DayRange } from './dailyDemand';
import { DemandLines, lineRevenue } from './demandLines';
import { checkInventoryRecord, type InventorySnapshot } from './inventoryRecord';
import { netCancellations, type CancellationRef } from './netting';
import { OrderLineCleanser } from './orderLineCleanser';
import { dayNumber, type OrderLine } from './orderRecord';
import { ProductCatalogue, type ProductRow } from './products';
import { RowChannel } from './rowChannel';
import { defaultRuleSet, type RuleSet } from './ruleSet';

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
  orders: AsyncIterable<SourceRecord>;
  inventory?: AsyncIterable<InventorySourceRecord>;
  ruleSet?: RuleSet;
  /** Sizing hint for the de-duplication sets. */
  expectedLines?: number;
  log?: (message: string) => void;
  progress?: (stage: string, done: number, total?: number) => void;
  abortSignal?: AbortSignal;
}

export interface SilverBuildResult extends BuildSilverOutput {
  ruleSetVersion: string;
  /** Lines already in Silver (same orderLineId) delivered again: dropped silently. */
  redelivered: number;
  /** Demand lines taken out of daily demand by a matched cancellation, and their units. */
  nettedLines: number;
  nettedUnits: number;
}

const maxRawLength = 4000;
/** Rows per Parquet file; the Delta writer buffers up to twice this, so it bounds memory. */
const orderLinesFileRows = 50_000;

function txn(runId: string, table: string): { appId: string; version: number } {
  return { appId: `silver:${runId}:${table}`, version: 0 };
}

function orderLineRow(line: OrderLine, runId: string): DeltaRow {
  return {
    order_line_id: line.orderLineId,
    invoice_no: line.invoiceNo,
    sku: line.sku,
    description: line.description,
    quantity: line.quantity,
    unit_price: line.unitPrice,
    revenue: lineRevenue(line.quantity, line.unitPrice),
    customer_id: line.customerId,
    country: line.country,
    order_ts: line.orderTs,
    order_date: line.orderDate,
    order_month: line.orderDate.slice(0, 7),
    run_id: runId,
  };
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

function rawText(record: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(record) ?? String(record);
  } catch {
    text = String(record);
  }
  return text.length > maxRawLength ? `${text.slice(0, maxRawLength)}…` : text;
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

export async function buildSilverTables(lake: LakeStore, options: SilverBuildOptions): Promise<SilverBuildResult> {
  const { runId, abortSignal } = options;
  const log = options.log ?? (() => undefined);
  const ruleSet = options.ruleSet ?? defaultRuleSet();
  const signal = abortSignal ? { abortSignal } : {};
  const tables = {
    orderLines: DeltaTable.forPath(lake, lakeTables.order_lines.path),
    cancellations: DeltaTable.forPath(lake, lakeTables.cancellations.path),
    quarantine: DeltaTable.forPath(lake, lakeTables.quarantine.path),
    inventory: DeltaTable.forPath(lake, lakeTables.inventory_snapshots.path),
    products: DeltaTable.forPath(lake, lakeTables.products.path),
    dailyDemand: DeltaTable.forPath(lake, lakeTables.daily_demand.path),
  };
  // Earlier Silver data is read as of the versions at the start, so this run's own commits never
  // feed back into it; rows of this run id (from an interrupted attempt) are skipped too.
  const start = {
    orderLines: await tables.orderLines.version(signal),
    cancellations: await tables.cancellations.version(signal),
    inventory: await tables.inventory.version(signal),
    products: await tables.products.version(signal),
  };

  const priorProducts = new Map<string, ProductRow>();
  if (start.products >= 0) {
    for await (const row of tables.products.read({ version: start.products, ...signal })) {
      priorProducts.set(String(row.sku), row as ProductRow);
    }
  }

  const quarantineReasons: ReasonCounts = {};
  const quarantineChannel = new RowChannel();
  const quarantineWrite = streamedWrite(tables.quarantine, lakeTables.quarantine, quarantineChannel, runId, abortSignal);
  const quarantine = async (source: string, rec: SourceRecord, reason: string, detail: string): Promise<void> => {
    count(quarantineReasons, reason);
    await quarantineChannel.push({
      run_id: runId,
      source,
      source_path: rec.sourcePath,
      record_index: rec.index,
      reason,
      detail,
      raw: rawText(rec.record),
      rule_set_version: ruleSet.versionTag,
    });
  };

  // --- inventory snapshots (small: read whole, then one commit) ---
  const newSnapshots: InventorySnapshot[] = [];
  if (options.inventory) {
    for await (const rec of options.inventory) {
      const checked = checkInventoryRecord(rec.record, rec.sourceFile ?? rec.sourcePath);
      if (checked.ok) newSnapshots.push(checked.snapshot);
      else await quarantine('inventory', rec, `schema_invalid:${checked.field}`, checked.detail);
    }
  }
  let inventoryVersion = start.inventory;
  if (newSnapshots.length > 0) {
    const written = await tables.inventory.write(
      newSnapshots.map((s) => ({
        snapshot_date: s.snapshotDate,
        sku: s.sku,
        on_hand: s.onHand,
        on_order: s.onOrder,
        source_file: s.sourceFile,
        snapshot_month: s.snapshotDate.slice(0, 7),
      })),
      {
        schema: lakeTables.inventory_snapshots.schema,
        partitionBy: lakeTables.inventory_snapshots.partitionBy,
        mode: 'append',
        transaction: txn(runId, 'inventory_snapshots'),
        commitInfo: { runId },
        ...signal,
      },
    );
    inventoryVersion = written.version;
  }

  // --- orders: one streamed pass ---
  const cleanser = new OrderLineCleanser(ruleSet, options.expectedLines ? { expectedLines: options.expectedLines } : {});
  const demand = new DemandLines();
  const catalogue = new ProductCatalogue(ruleSet.document.canonicalDescription.tieBreak);
  const cancellationRefs: CancellationRef[] = [];
  const newLineMonths = new Set<string>();
  const newCancellationMonths = new Set<string>();
  const loadedMonths = new Set<string>();
  const loadMonth = async (month: string): Promise<void> => {
    if (loadedMonths.has(month)) return;
    loadedMonths.add(month);
    const filter = { partitionFilter: (pv: Record<string, string | null>) => pv.order_month === month, ...signal };
    if (start.orderLines >= 0) {
      for await (const row of tables.orderLines.read({ version: start.orderLines, ...filter })) {
        if (row.run_id === runId) continue;
        const line = lineFromRow(row);
        cleanser.registerExisting(line);
        demand.addLine(line, Number(row.revenue));
      }
    }
    if (start.cancellations >= 0) {
      for await (const row of tables.cancellations.read({ version: start.cancellations, ...filter })) {
        if (row.run_id === runId) continue;
        const line = lineFromRow(row);
        cleanser.registerExisting(line);
        cancellationRefs.push({ sku: line.sku, customerId: line.customerId, quantity: -line.quantity, ts: Date.parse(line.orderTs) / 1000 });
      }
    }
  };

  const orderChannel = new RowChannel();
  const orderWrite = streamedWrite(tables.orderLines, lakeTables.order_lines, orderChannel, runId, abortSignal);
  const cancellationChannel = new RowChannel();
  const cancellationWrite = streamedWrite(tables.cancellations, lakeTables.cancellations, cancellationChannel, runId, abortSignal);

  let read = 0;
  let kept = 0;
  let unitsKept = 0;
  let cancellations = 0;
  let redelivered = 0;
  for await (const rec of options.orders) {
    read += 1;
    if ((read & 0xffff) === 0) {
      abortSignal?.throwIfAborted();
      options.progress?.('silver:orders', read);
    }
    const invoiceDate = (rec.record as { InvoiceDate?: unknown } | null)?.InvoiceDate;
    if (typeof invoiceDate === 'string' && /^\d{4}-\d{2}/.test(invoiceDate)) await loadMonth(invoiceDate.slice(0, 7));
    const verdict = cleanser.classify(rec.record);
    switch (verdict.kind) {
      case 'redelivered':
        redelivered += 1;
        break;
      case 'quarantine':
        await quarantine('orders', rec, verdict.reason, verdict.detail);
        break;
      case 'cancellation': {
        const line = verdict.line;
        cancellations += 1;
        newCancellationMonths.add(line.orderDate.slice(0, 7));
        cancellationRefs.push({ sku: line.sku, customerId: line.customerId, quantity: -line.quantity, ts: Date.parse(line.orderTs) / 1000 });
        await cancellationChannel.push(orderLineRow(line, runId));
        break;
      }
      case 'demand': {
        const line = verdict.line;
        kept += 1;
        unitsKept += line.quantity;
        newLineMonths.add(line.orderDate.slice(0, 7));
        const row = orderLineRow(line, runId);
        demand.addLine(line, row.revenue as number);
        catalogue.add(line);
        await orderChannel.push(row);
        break;
      }
    }
  }
  orderChannel.close();
  cancellationChannel.close();
  quarantineChannel.close();
  const writes = { order_lines: await orderWrite, cancellations: await cancellationWrite, quarantine: await quarantineWrite };
  const tableVersions: Record<string, number> = {};
  for (const [name, outcome] of Object.entries(writes)) {
    if (!outcome.ok) throw outcome.error;
    tableVersions[name] = outcome.result.version;
  }
  tableVersions.inventory_snapshots = inventoryVersion;
  log(`silver: read ${read} order records, kept ${kept}, cancellations ${cancellations}, redelivered ${redelivered}, quarantined ${JSON.stringify(quarantineReasons)}`);

  // --- SKU ranges: earlier products plus this run's lines ---
  const ranges = new Map<string, DayRange>();
  for (const [sku, p] of priorProducts) ranges.set(sku, { first: dayNumber(p.first_sale_date), last: dayNumber(p.last_sale_date) });
  const affected = new Set<string>([...newLineMonths, ...newCancellationMonths]);
  for (const sku of catalogue.skus()) {
    const added = catalogue.range(sku) as DayRange;
    const prior = ranges.get(sku);
    const merged = prior ? { first: Math.min(prior.first, added.first), last: Math.max(prior.last, added.last) } : added;
    ranges.set(sku, merged);
    // Zero-fill: months the SKU's range newly covers get rows they did not have.
    if (!prior) monthsBetween(merged.first, merged.last).forEach((m) => affected.add(m));
    else {
      if (merged.first < prior.first) monthsBetween(merged.first, prior.first - 1).forEach((m) => affected.add(m));
      if (merged.last > prior.last) monthsBetween(prior.last + 1, merged.last).forEach((m) => affected.add(m));
    }
  }
  // A cancellation may net a line of the previous month (maxDaysBetween <= 28).
  if (ruleSet.document.netting.enabled) {
    for (const m of newCancellationMonths) affected.add(monthOfDay(monthBounds(m).first - 1));
  }
  // New stock figures change on_hand (and stockout) from their day to the end of the SKU's range.
  for (const s of newSnapshots) {
    const range = ranges.get(s.sku);
    const day = dayNumber(s.snapshotDate);
    if (range && day <= range.last) monthsBetween(Math.max(day, range.first), range.last).forEach((m) => affected.add(m));
  }

  // --- netting context: lines and cancellations of each affected month and the month after ---
  for (const m of [...affected]) {
    await loadMonth(m);
    await loadMonth(monthOfDay(monthBounds(m).last + 1));
  }
  let nettedLines = 0;
  let nettedUnits = 0;
  if (ruleSet.document.netting.enabled) {
    const netted = netCancellations(demand, cancellationRefs, { maxDaysBetween: ruleSet.document.netting.maxDaysBetween });
    for (const i of netted.nettedLines) {
      if (affected.has(monthOfDay(demand.day[i] as number))) {
        nettedLines += 1;
        nettedUnits += demand.quantity[i] as number;
      }
    }
  }

  // --- stock on hand: earlier snapshots up to the last affected month, plus this run's ---
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
  const lastAffected = affectedMonths[affectedMonths.length - 1];
  const snapshots: Array<{ sku: string; snapshotDate: string; onHand: number }> = [];
  if (lastAffected !== undefined && start.inventory >= 0) {
    for await (const row of tables.inventory.read({
      version: start.inventory,
      partitionFilter: (pv) => (pv.snapshot_month ?? '') <= lastAffected,
      columns: ['sku', 'snapshot_date', 'on_hand'],
      ...signal,
    })) {
      snapshots.push({ sku: String(row.sku), snapshotDate: String(row.snapshot_date), onHand: Number(row.on_hand) });
    }
  }
  for (const s of newSnapshots) snapshots.push(s);
  const onHand = OnHandIndex.fromSnapshots(snapshots);
  snapshots.length = 0;

  // --- daily demand: replace exactly the affected month partitions (one commit) ---
  let dailyDemandRows = 0;
  if (affectedMonths.length > 0) {
    const rows = async function* (): AsyncIterable<DeltaRow> {
      for (const { rows: monthRows } of dailyDemandByMonth(demand, { months: affectedMonths, ranges, onHand })) {
        dailyDemandRows += monthRows.length;
        yield* monthRows;
      }
    };
    const written = await tables.dailyDemand.write(rows(), {
      schema: lakeTables.daily_demand.schema,
      partitionBy: lakeTables.daily_demand.partitionBy,
      mode: 'overwritePartitions',
      partitions: affectedMonths.map((month) => ({ month })),
      transaction: txn(runId, 'daily_demand'),
      commitInfo: { runId, months: `${affectedMonths[0]}..${lastAffected}` },
      targetRowsPerFile: orderLinesFileRows,
      ...signal,
    });
    tableVersions.daily_demand = written.version;
    if (written.skipped) dailyDemandRows = 0;
  } else {
    tableVersions.daily_demand = await tables.dailyDemand.version(signal);
  }

  // --- products: SKUs touched by this run are recomputed over all their lines ---
  const touched = catalogue.skus();
  if (touched.some((sku) => priorProducts.has(sku)) && start.orderLines >= 0) {
    const touchedSet = new Set(touched);
    for await (const row of tables.orderLines.read({
      version: start.orderLines,
      columns: ['sku', 'description', 'quantity', 'order_date', 'order_ts', 'run_id'],
      ...signal,
    })) {
      if (row.run_id === runId || !touchedSet.has(String(row.sku))) continue;
      catalogue.add({
        sku: String(row.sku),
        description: (row.description as string | null) ?? null,
        quantity: Number(row.quantity),
        orderDate: String(row.order_date),
        orderTs: new Date(String(row.order_ts)).toISOString(),
      });
    }
  }
  const products = new Map(priorProducts);
  for (const sku of touched) products.set(sku, catalogue.row(sku) as ProductRow);
  if (touched.length > 0) {
    const written = await tables.products.write(
      [...products.keys()].sort().map((sku) => products.get(sku) as ProductRow),
      {
        schema: lakeTables.products.schema,
        partitionBy: lakeTables.products.partitionBy,
        mode: 'overwrite',
        transaction: txn(runId, 'products'),
        commitInfo: { runId },
        ...signal,
      },
    );
    tableVersions.products = written.version;
  } else {
    tableVersions.products = start.products;
  }

  const quarantined = Object.values(quarantineReasons).reduce((a, b) => a + b, 0);
  return {
    orderLinesRead: read,
    orderLinesKept: kept,
    unitsKept,
    cancellations,
    quarantined,
    quarantineReasons,
    inventoryRows: newSnapshots.length,
    skus: products.size,
    dailyDemandRows,
    affectedFrom: affectedMonths.length > 0 ? `${affectedMonths[0]}-01` : null,
    affectedTo: lastAffected !== undefined ? new Date(monthBounds(lastAffected).last * 86_400_000).toISOString().slice(0, 10) : null,
    tableVersions,
    ruleSetVersion: ruleSet.versionTag,
    redelivered,
    nettedLines,
    nettedUnits,
  };
}
