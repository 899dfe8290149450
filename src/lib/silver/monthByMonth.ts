/**
 * The Silver build's month-by-month pass on the main thread: months are de-duplicated and written
 * on the workers a few ahead (monthPass.ts); here their results are taken in month order, so
 * cancellations net against a window of the months they still reach, and a month leaving that
 * window gets its daily demand rows.
 */
import type { DeltaFileWriter } from '../delta/types';
import type { AffectedMonths, AppendOnlyMonths } from './affectedMonths';
import { monthBounds, monthOfDay, type DayRange, type OnHandIndex } from './dailyDemand';
import { dailyDemandTasks } from './dailyDemandTask';
import type { DataFileQueue } from './dataFileQueue';
import { DemandLines } from './demandLines';
import type { MonthResult } from './monthPass';
import { netCancellations, type CancellationRef } from './netting';
import { readPriorLineIds, readPriorMonth, type PriorMonth, type PriorMonthSource } from './priorMonth';
import { ProductCatalogue } from './products';
import type { QuarantineSink } from './quarantineSink';
import type { RuleSet } from './ruleSet';
import type { SilverPool } from './silverPool';
import { orderLinesFileRows } from './silverTables';
import { inBucket, type SkuBucket } from './skuBucket';

/** Data files encoding or being stored at once: enough that the main thread never waits on one. */
const filesInFlight = 8;
/**
 * Order lines of the months prepared ahead of the one being taken: each month's result (its demand
 * columns and encoded files) comes back whole to this thread, so months ahead are bounded by lines,
 * not only by count (five months of a large fleet held at once were most of the pass's memory).
 */
export const defaultLinesAhead = 400_000;

export interface MonthWriters {
  orderLines: DeltaFileWriter;
  cancellations: DeltaFileWriter;
  rejectedLines: DeltaFileWriter;
  dailyDemand: DeltaFileWriter;
}

export interface MonthPassContext extends PriorMonthSource {
  ranges: Map<string, DayRange>;
  ruleSet: RuleSet;
  pool: SilverPool;
  spillDir: string;
  writers: MonthWriters;
  files: DataFileQueue;
  affected: AffectedMonths;
  onHand: OnHandIndex;
  quarantine: QuarantineSink;
  progress?: (stage: string, done: number, total?: number) => void;
  /** Order lines (demand and cancellations) the scan spilled per month: sizes the months prepared ahead. */
  monthLines?: ReadonlyMap<string, number>;
  /** Lines of the months prepared ahead at most (default 400,000); one month ahead always. */
  linesAhead?: number;
  /** Affected months whose daily_demand only gains rows (appended; their stored lines are not read). */
  appendOnly?: AppendOnlyMonths;
}

/** What the pass kept, counted over all its months. */
export interface MonthPassTotals {
  kept: number;
  unitsKept: number;
  cancellations: number;
  returns: number;
  redelivered: number;
  /** Demand lines of affected months taken out of daily demand by a matched cancellation, and their units. */
  nettedLines: number;
  nettedUnits: number;
  dailyDemandRows: number;
}

const noPriorMonth: PriorMonth = {
  lines: new DemandLines(),
  cancellations: [],
  fingerprints: { idHi: new Uint32Array(0), idLo: new Uint32Array(0), dupHi: new Uint32Array(0), dupLo: new Uint32Array(0) },
};

interface PendingMonth {
  month: string;
  prior: Pick<PriorMonth, 'lines' | 'cancellations'>;
  result: Promise<MonthResult>;
}

export class MonthByMonthPass {
  readonly totals: MonthPassTotals = {
    kept: 0,
    unitsKept: 0,
    cancellations: 0,
    returns: 0,
    redelivered: 0,
    nettedLines: 0,
    nettedUnits: 0,
    dailyDemandRows: 0,
  };
  /** This run's lines summed per SKU (descriptions, totals, sale range). */
  readonly catalogue: ProductCatalogue;
  private window = new DemandLines();
  private windowMonths: string[] = [];
  private readonly skuOrder: string[];
  private readonly netting: RuleSet['document']['netting'];
  /** Append-only months: each SKU's days from its first new one (the rows a month gains), in SKU order. */
  private readonly appended: { ranges: Map<string, DayRange>; skuOrder: string[] };

  constructor(private readonly ctx: MonthPassContext) {
    this.catalogue = new ProductCatalogue(ctx.ruleSet.document.canonicalDescription.tieBreak);
    this.skuOrder = [...ctx.ranges.keys()].sort();
    this.netting = ctx.ruleSet.document.netting;
    const ranges = new Map<string, DayRange>();
    for (const [sku, from] of ctx.appendOnly?.appendFrom ?? []) {
      const range = ctx.ranges.get(sku);
      if (range && Math.max(range.first, from) <= range.last) ranges.set(sku, { first: Math.max(range.first, from), last: range.last });
    }
    this.appended = { ranges, skuOrder: [...ranges.keys()].sort() };
  }

  private isAppendOnly(month: string): boolean {
    return this.ctx.appendOnly?.months.has(month) ?? false;
  }

  /** Most lines of months prepared ahead at once (for the tests that keep it bounded). */
  peakLinesAhead = 0;
  /** Most spilled lines one month task decoded (its bucket's spill shards; for the tests that keep it bounded). */
  peakLinesDecoded = 0;
  /** Most demand lines the netting window held at once (about a bucket's share of the months a cancellation reaches). */
  peakWindowLines = 0;

  /** The SKU bucket being run (undefined: one bucket, every SKU). */
  private bucket: SkuBucket | undefined;
  /** The SKUs of the bucket being run, in order: all, and those of append-only months. */
  private bucketSkus: { all: string[]; appended: string[] } = { all: [], appended: [] };

  /**
   * Runs the months (sorted) in order, once per SKU bucket (`buckets`, default 1): a bucket's lines,
   * cancellations and daily demand are its SKUs' alone, so each run holds about 1/buckets of a month.
   */
  async run(months: readonly string[], buckets = 1): Promise<void> {
    for (let index = 0; index < buckets; index += 1) {
      this.bucket = buckets > 1 ? { index, count: buckets } : undefined;
      const bucket = this.bucket;
      this.bucketSkus = {
        all: this.skuOrder.filter((s) => inBucket(s, bucket)),
        appended: this.appended.skuOrder.filter((s) => inBucket(s, bucket)),
      };
      this.window = new DemandLines();
      this.windowMonths = [];
      await this.runBucket(months, buckets);
    }
    await this.ctx.files.drainTo(0);
  }

  /**
   * Runs the months (sorted) in order for the current bucket, with enough queued that no worker
   * waits while this thread nets and aggregates one, but never more than `linesAhead` lines of them
   * (at least one month).
   */
  private async runBucket(months: readonly string[], buckets: number): Promise<void> {
    const monthsAhead = 2 * this.ctx.pool.workers + 1;
    const linesAhead = this.ctx.linesAhead ?? defaultLinesAhead;
    const linesOf = (month: string) => Math.ceil((this.ctx.monthLines?.get(month) ?? 0) / buckets);
    const ahead: PendingMonth[] = [];
    let next = 0;
    let queuedLines = 0;
    let taken = 0;
    let previous: string | undefined;
    for (;;) {
      while (next < months.length && ahead.length < monthsAhead) {
        const month = months[next] as string;
        if (ahead.length > 0 && queuedLines + linesOf(month) > linesAhead) break;
        ahead.push(await this.prepare(month));
        queuedLines += linesOf(month);
        this.peakLinesAhead = Math.max(this.peakLinesAhead, queuedLines);
        next += 1;
      }
      const pending = ahead.shift();
      if (!pending) break;
      queuedLines -= linesOf(pending.month);
      this.ctx.abortSignal?.throwIfAborted();
      // A gap in the months: nothing of the months before can be netted any more.
      if (previous !== undefined && monthOfDay(monthBounds(previous).last + 1) !== pending.month) this.finalize(Infinity);
      previous = pending.month;
      taken += 1;
      await this.take(pending, taken, months.length);
    }
    this.finalize(Infinity);
  }

  /** Reads the month's earlier Silver data and starts its de-duplication and files on the pool. */
  private async prepare(month: string): Promise<PendingMonth> {
    const { ctx } = this;
    const { writers, ruleSet } = ctx;
    // An append-only month without lines of this run (zero-fill only) needs nothing stored.
    const prior = this.isAppendOnly(month)
      ? (ctx.monthLines?.has(month) ?? true)
        ? await readPriorLineIds(ctx, month, ctx.appendOnly?.redeliveredDays?.get(month))
        : noPriorMonth
      : await readPriorMonth(ctx, month, this.bucket);
    const result = ctx.pool.month({
      month,
      spillDir: ctx.spillDir,
      runId: ctx.runId,
      prior: prior.fingerprints,
      duplicates: { quarantine: ruleSet.document.duplicates.policy === 'quarantine', reason: ruleSet.document.duplicates.reason },
      tieBreak: ruleSet.document.canonicalDescription.tieBreak,
      orderLineFields: writers.orderLines.skipped ? null : [...writers.orderLines.dataFields],
      cancellationFields: writers.cancellations.skipped ? null : [...writers.cancellations.dataFields],
      rejectedLineFields: writers.rejectedLines.skipped ? null : [...writers.rejectedLines.dataFields],
      fileRows: orderLinesFileRows,
      ...(this.bucket ? { bucket: this.bucket } : {}),
    });
    result.catch(() => undefined);
    // The fingerprints went to the task (a copy on a worker); only the lines and cancellations are taken later.
    return { month, prior: { lines: prior.lines, cancellations: prior.cancellations }, result };
  }

  /** Takes one month's result: its lines join the window, its files the queue, its cancellations net. */
  private async take(pending: PendingMonth, taken: number, total: number): Promise<void> {
    const { ctx } = this;
    const month = pending.month;
    this.windowMonths.push(month);
    this.window.appendLines(pending.prior.lines);
    const r = await pending.result;
    this.peakLinesDecoded = Math.max(this.peakLinesDecoded, r.linesDecoded);
    this.window.appendColumns(r.demand);
    this.peakWindowLines = Math.max(this.peakWindowLines, this.window.length);
    this.count(r);
    for (const bad of r.quarantine) {
      await ctx.quarantine.add('orders', { index: bad.recordIndex, sourcePath: bad.sourcePath }, bad.reason, bad.detail, bad.raw);
    }
    this.catalogue.merge(r.catalogue);
    ctx.files.add(ctx.writers.orderLines, { order_month: month }, Promise.resolve(r.orderLineFiles));
    ctx.files.add(ctx.writers.cancellations, { order_month: month }, Promise.resolve(r.cancellationFiles));
    ctx.files.add(ctx.writers.rejectedLines, { order_month: month }, Promise.resolve(r.rejectedLineFiles));
    ctx.progress?.('silver:months', taken, total);
    this.net(pending.prior.cancellations, r);
    // Lines no cancellation of a later month can reach are final.
    const reach = this.netting.enabled ? this.netting.maxDaysBetween : -1;
    this.finalize(monthBounds(month).last + 1 - reach);
    await ctx.files.drainTo(filesInFlight);
  }

  private count(r: MonthResult): void {
    const t = this.totals;
    t.kept += r.kept;
    t.unitsKept += r.unitsKept;
    t.cancellations += r.cancellations;
    t.returns += r.returns;
    t.redelivered += r.redelivered;
  }

  /** Nets the month's cancellations (earlier runs' and this run's) against the window. */
  private net(monthCancellations: CancellationRef[], r: MonthResult): void {
    const cancelled = r.cancelled;
    for (let c = 0; c < cancelled.sku.length; c += 1) {
      monthCancellations.push({
        sku: cancelled.sku[c] as string,
        customerId: cancelled.customerId[c] ?? null,
        quantity: cancelled.quantity[c] as number,
        ts: cancelled.ts[c] as number,
      });
    }
    if (!this.netting.enabled || monthCancellations.length === 0) return;
    const netted = netCancellations(this.window, monthCancellations, { maxDaysBetween: this.netting.maxDaysBetween });
    for (const i of netted.nettedLines) {
      if (this.ctx.affected.set.has(monthOfDay(this.window.day[i] as number))) {
        this.totals.nettedLines += 1;
        this.totals.nettedUnits += this.window.quantity[i] as number;
      }
    }
  }

  /** Months whose lines no later cancellation can reach any more (before day `upTo`): their daily demand is written. */
  private finalize(upTo: number): void {
    const { ctx } = this;
    const done = this.windowMonths.filter((m) => monthBounds(m).last < upTo);
    if (done.length === 0) return;
    const dailyDemand = ctx.writers.dailyDemand;
    const fields = [...dailyDemand.dataFields];
    for (const month of done) {
      if (!ctx.affected.set.has(month) || dailyDemand.skipped) continue;
      // An append-only month gets the rows of its new days only; its stored files stay.
      const { skuOrder, ranges } = this.isAppendOnly(month)
        ? { skuOrder: this.bucketSkus.appended, ranges: this.appended.ranges }
        : { skuOrder: this.bucketSkus.all, ranges: ctx.ranges };
      const options = { skuOrder, ranges, onHand: ctx.onHand, fields, fileRows: orderLinesFileRows };
      // A month's SKU-days in tasks of bounded size: a worker never holds the whole fleet's month.
      for (const { task, rows } of dailyDemandTasks(this.window, month, options)) {
        this.totals.dailyDemandRows += rows;
        ctx.files.add(dailyDemand, { month }, ctx.pool.dailyDemand(task));
      }
    }
    this.windowMonths = this.windowMonths.filter((m) => !done.includes(m));
    const first = this.windowMonths[0];
    this.window = this.window.retainFrom(first !== undefined ? monthBounds(first).first : upTo);
  }
}
