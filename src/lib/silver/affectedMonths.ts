/**
 * Which daily_demand months a Silver build rewrites: the months its lines and cancellations fall
 * in, the months a SKU's range newly covers (zero-fill), the months netting reaches back into and
 * the months new stock figures change; only months some SKU is active in.
 */
import { monthBounds, monthOfDay, monthsBetween, type DayRange } from './dailyDemand';
import { dayNumber } from './orderRecord';
import type { ScanSummary } from './orderChunkScan';
import type { ProductRow } from './products';
import type { RuleSetDocument } from './ruleSet';
import type { StockFigure } from './stockFigures';

export interface AffectedMonths {
  /** Sorted. */
  months: string[];
  set: ReadonlySet<string>;
  last: string | undefined;
}

/** Each SKU's first and last sale day: the stored catalogue's widened by this run's lines. */
export function skuRanges(priorProducts: ReadonlyMap<string, ProductRow>): Map<string, DayRange> {
  const ranges = new Map<string, DayRange>();
  for (const [sku, p] of priorProducts) ranges.set(sku, { first: dayNumber(p.first_sale_date), last: dayNumber(p.last_sale_date) });
  return ranges;
}

/** Widens `ranges` by the scanned lines; the months a range newly covers go into `affected` (zero-fill). */
function widenRanges(ranges: Map<string, DayRange>, scanned: ScanSummary['skuRanges'], affected: Set<string>): void {
  const add = (first: number, last: number): void => monthsBetween(first, last).forEach((m) => affected.add(m));
  for (const [sku, [first, last]] of Object.entries(scanned)) {
    const prior = ranges.get(sku);
    const merged = prior ? { first: Math.min(prior.first, first), last: Math.max(prior.last, last) } : { first, last };
    ranges.set(sku, merged);
    if (!prior) add(merged.first, merged.last);
    else {
      if (merged.first < prior.first) add(merged.first, prior.first - 1);
      if (merged.last > prior.last) add(prior.last + 1, merged.last);
    }
  }
}

/** The months this run's lines and cancellations fall in. */
export function scannedMonths(scanned: ScanSummary): { lines: Set<string>; cancellations: Set<string> } {
  const lines = new Set<string>();
  const cancellations = new Set<string>();
  for (const [month, counts] of Object.entries(scanned.months)) {
    if (counts.demand > 0) lines.add(month);
    if (counts.cancellation > 0) cancellations.add(month);
  }
  return { lines, cancellations };
}

/**
 * A cancellation may net a line up to maxDaysBetween days earlier: those months change too.
 * So do they for a new line: a stored cancellation may now prefer it (the latest earlier
 * line), which frees the line it netted before, up to maxDaysBetween days earlier.
 */
function addNettingReach(months: Iterable<string>, netting: RuleSetDocument['netting'], affected: Set<string>): void {
  if (!netting.enabled) return;
  for (const m of months)
    monthsBetween(monthBounds(m).first - netting.maxDaysBetween, monthBounds(m).first).forEach((x) => affected.add(x));
}

/** New stock figures change on_hand (and stockout) from their day to the end of the SKU's range. */
function addStockChanges(snapshots: Iterable<StockFigure>, ranges: ReadonlyMap<string, DayRange>, affected: Set<string>): void {
  for (const snapshot of snapshots) {
    const range = ranges.get(snapshot.sku);
    const day = dayNumber(snapshot.snapshotDate);
    if (range && day <= range.last) monthsBetween(Math.max(day, range.first), range.last).forEach((m) => affected.add(m));
  }
}

/** Only months some SKU is active in (netting's previous month may lie before all sales). */
function withinActiveRange(affected: Iterable<string>, ranges: ReadonlyMap<string, DayRange>): string[] {
  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (const r of ranges.values()) {
    if (r.first < firstDay) firstDay = r.first;
    if (r.last > lastDay) lastDay = r.last;
  }
  return [...affected].filter((m) => Number.isFinite(firstDay) && m >= monthOfDay(firstDay) && m <= monthOfDay(lastDay)).sort();
}

/** The months to rewrite; `ranges` (the stored catalogue's) is widened by the scanned lines on the way. */
export function affectedMonths(
  scanned: ScanSummary,
  ranges: Map<string, DayRange>,
  newSnapshots: Iterable<StockFigure>,
  netting: RuleSetDocument['netting'],
): AffectedMonths {
  const { lines, cancellations } = scannedMonths(scanned);
  const affected = new Set<string>([...lines, ...cancellations]);
  widenRanges(ranges, scanned.skuRanges, affected);
  addNettingReach([...cancellations, ...lines], netting, affected);
  addStockChanges(newSnapshots, ranges, affected);
  const months = withinActiveRange(affected, ranges);
  return { months, set: new Set(months), last: months[months.length - 1] };
}

/** Months the month-by-month pass reads: the affected ones, those with this run's lines, and (netting) each affected month's next. */
export function monthsToLoad(affected: AffectedMonths, scanned: ScanSummary, netting: RuleSetDocument['netting']): string[] {
  const load = new Set<string>([...affected.months, ...Object.keys(scanned.months)]);
  // Cancellations of the month after an affected month may net its lines.
  if (netting.enabled) for (const m of affected.months) load.add(monthOfDay(monthBounds(m).last + 1));
  return [...load].sort();
}

/**
 * Months of `affected` whose daily_demand only gains rows (a new day, or a SKU's range widened
 * forward): every existing row of the month keeps its value, so its files stay and the new rows are
 * appended. `appendFrom` holds, per SKU with new rows, the first day it gains (its stored last day
 * + 1, or its first day when it is new). A month is not append-only when a new stock figure changes
 * an existing row's on_hand, nor (checked line by line in appendOnlyCheck.ts) when a line on or
 * before its SKU's stored last day is not a re-delivery of a stored line (a late or corrected line
 * changes an existing row). With netting on, only a run whose every affected month is append-only
 * qualifies, with no cancellation but re-deliveries and no stored cancellation after a new line,
 * since a rewritten month's netting reads its neighbours in full.
 */
export interface AppendOnlyMonths {
  months: Set<string>;
  appendFrom: Map<string, number>;
  /** Per month, the days of this run's re-deliveries of stored lines (their stored lines are read in full). */
  redeliveredDays?: Map<string, DayRange>;
}

export function appendOnlyMonths(
  affected: AffectedMonths,
  prior: ReadonlyMap<string, DayRange>,
  scanned: ScanSummary,
  newSnapshots: Iterable<StockFigure>,
  netting: RuleSetDocument['netting'],
): AppendOnlyMonths {
  const appendFrom = new Map<string, number>();
  const none = { months: new Set<string>(), appendFrom };
  if (prior.size === 0) return none;
  // With netting, a cancellation of this run may net a stored line unless it is a re-delivery
  // (checked in appendOnlyCheck.ts, as are stored cancellations after a new line).
  const rewritten = new Set<string>();
  // A line on or before its SKU's stored last day changes a stored row unless it is a re-delivery
  // of a stored line (the ingest overlap): appendOnlyCheck.ts checks those lines one by one.
  for (const [sku, [first, last]] of Object.entries(scanned.skuRanges)) {
    const stored = prior.get(sku);
    if (!stored) appendFrom.set(sku, first);
    else if (last > stored.last) appendFrom.set(sku, stored.last + 1);
  }
  for (const snapshot of newSnapshots) {
    const stored = prior.get(snapshot.sku);
    const day = dayNumber(snapshot.snapshotDate);
    if (stored && day <= stored.last) monthsBetween(Math.max(day, stored.first), stored.last).forEach((m) => rewritten.add(m));
  }
  // With netting, a rewritten month needs its neighbours' stored lines and cancellations read in
  // full: then no month is append-only.
  if (netting.enabled && rewritten.size > 0) return none;
  return { months: new Set(affected.months.filter((m) => !rewritten.has(m))), appendFrom };
}
