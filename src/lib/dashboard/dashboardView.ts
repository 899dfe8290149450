/**
 * What a split dashboard was built from, kept in its parts folder (`view.json`, never loaded by
 * the page) so the next publish reads only what changed: the runs shown, the lake tables' Delta
 * versions, the page's head, and per Gold table the SKUs that had a current row.
 *
 * - Nothing but drift_events changed (the drift check's re-publish): the head is re-rendered with
 *   the new drift events and the page keeps the same part files; no Gold or Silver row is read.
 * - New runs were added in front of the runs shown before, and per table they hold every SKU that
 *   had a row before: each SKU's current row is then in a new run, so only the new runs'
 *   partitions are read (Delta partition pruning). Otherwise every run shown is read, as before.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { openLakeTable } from '../delta';
import type { LakeStore } from '../lake/lakeStore';
import { lakeTables, type LakeTableName } from '../lakeTables';
import type { DashboardHead } from './dashboardParts';
import type { DashboardScope } from './dashboardData';

export const viewFileName = 'view.json';
const viewFormat = 3;

/** The run-partitioned Gold tables a SKU's current row is picked from. */
export const currentViewTables = ['forecasts', 'forecast_metrics', 'inventory_actions'] as const;
export type CurrentViewTable = (typeof currentViewTables)[number];

/** Tables whose change means the series or the summary must be rebuilt (drift_events only changes the head). */
const builtFrom: LakeTableName[] = [
  'forecasts',
  'forecast_metrics',
  'inventory_actions',
  'daily_demand',
  'products',
  'quarantine',
  'cancellations',
];

export interface DashboardView {
  format: number;
  lake: string;
  historyDays: number;
  runs: string[];
  quarantineRun: string | null;
  firstMonth: string;
  /** Delta version per table (-1: no table) when the dashboard was built. */
  versions: Record<string, number>;
  head: DashboardHead;
  /** Content hash (sha1) per series chunk file, for compare-before-write by the next build. */
  parts: Record<string, string>;
}

/** A view read back, with the SKUs of each table that had a current row (read when needed: one list per table file). */
export interface PreviousView {
  view: DashboardView;
  partsDirName: string;
  skus(table: CurrentViewTable): Promise<string[]>;
}

const skuListName = (table: CurrentViewTable) => `view-${table}.json`;

/** Writes a table's SKUs with a current row beside the view (for the next publish's coverage check). */
export async function writeSkuList(partsDir: string, table: CurrentViewTable, skus: readonly string[]): Promise<void> {
  await fs.writeFile(path.join(partsDir, skuListName(table)), JSON.stringify(skus), 'utf8');
}

/** The Delta versions of the tables a dashboard is built from (log listings only, no replay). */
export async function builtFromVersions(lake: LakeStore, signal: { abortSignal?: AbortSignal }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of builtFrom) out[name] = await openLakeTable(lake, lakeTables[name]).version(signal);
  return out;
}

/** The parts folder the page at `target` points at (its `"partsDir"`), if it is a split page. */
async function partsDirOfPage(target: string): Promise<string | undefined> {
  let html: string;
  try {
    html = await fs.readFile(target, 'utf8');
  } catch {
    return undefined;
  }
  // The payload ends with partsDir; a string inside the head cannot hold an unescaped quote.
  const match = /,"partsDir":"([^"\\/]+)"\}<\/script>/.exec(html);
  // A copy, not a slice: a sliced string would keep the whole page alive for as long as the view is held.
  return match?.[1] === undefined ? undefined : Buffer.from(match[1], 'utf8').toString('utf8');
}

/** The view of the split page at `target`, when it was built from the same lake; else undefined (a full build follows). */
export async function previousView(target: string, lake: LakeStore): Promise<PreviousView | undefined> {
  const partsDirName = await partsDirOfPage(target);
  if (partsDirName === undefined) return undefined;
  const dir = path.join(path.dirname(target), partsDirName);
  try {
    const view = JSON.parse(await fs.readFile(path.join(dir, viewFileName), 'utf8')) as DashboardView;
    if (view.format !== viewFormat || view.lake !== lake.location) return undefined;
    const skus = async (table: CurrentViewTable) => JSON.parse(await fs.readFile(path.join(dir, skuListName(table)), 'utf8')) as string[];
    return { view, partsDirName, skus };
  } catch {
    return undefined; // no view (an older dashboard) or an unreadable one: build in full
  }
}

/** True when only drift_events can differ from what the view was built from: same runs, same tables. */
export function onlyDriftChanged(
  view: DashboardView,
  scope: DashboardScope,
  versions: Record<string, number>,
  historyDays: number,
): boolean {
  return (
    view.historyDays === historyDays &&
    view.firstMonth === scope.firstMonth &&
    view.quarantineRun === (scope.quarantineRun ?? null) &&
    sameList(view.runs, scope.runs) &&
    builtFrom.every((name) => view.versions[name] === versions[name])
  );
}

/**
 * The runs shown now that the view did not show, when they all come before the view's runs (newer)
 * and nothing else is new; undefined otherwise (then every run is read).
 */
export function newRunsSince(view: DashboardView, scope: DashboardScope): Set<string> | undefined {
  const before = new Set(view.runs);
  const added = scope.runs.filter((run) => !before.has(run));
  if (added.length === 0) return undefined;
  const firstOld = scope.runs.findIndex((run) => before.has(run));
  if (firstOld !== -1 && scope.runs.slice(firstOld).some((run) => !before.has(run))) return undefined;
  return new Set(added);
}

/** True when every SKU with a row before is among `now` (then no older run can hold a current row). */
export function coversAll(previous: readonly string[], now: { has(sku: string): boolean }): boolean {
  return previous.every((sku) => now.has(sku));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Writes the view into the parts folder (atomically: a reader sees the old view or the new one). */
export async function writeView(partsDir: string, view: DashboardView): Promise<void> {
  const file = path.join(partsDir, viewFileName);
  await fs.writeFile(`${file}.tmp`, JSON.stringify(view), 'utf8');
  await fs.rename(`${file}.tmp`, file);
}

export { viewFormat };
