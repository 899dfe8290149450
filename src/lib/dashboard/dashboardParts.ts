/**
 * Splits a run's dashboard data into what the page needs at once and what it loads on demand, so
 * the page stays fast at any fleet size: the head (run summary, top-N tables, aggregates) is small
 * and fixed; the catalogue (one short row per SKU, for search) loads next; per-SKU series come in
 * chunks, loaded when a SKU of the chunk is shown.
 */
import type { DashboardData, DashboardSku } from './dashboardData';

/** How urgent an inventory action is (lower first); SKUs with no action come last. */
export const actionUrgency: Record<string, number> = { reorder_now: 0, watch: 1, no_stock_data: 2, ok: 3 };
const noAction = 4;

/** SKUs per series chunk (about 2 KB of series each). */
export const defaultChunkSize = 100;
/** Rows per action kind in the head's action table. */
export const actionsShownPerKind = 200;

export interface DashboardActionRow {
  sku: string;
  description: string | null;
  action: string;
  onHand: number | null;
  daysOfCover: number | null;
  stockoutDate: string | null;
  safetyStock: number;
  reorderPoint: number;
  orderQty: number;
}

export interface DashboardHead extends Omit<DashboardData, 'skus'> {
  /** The SKU the page opens on: the most urgent one that has something to draw. */
  firstSku: string | null;
  actionRows: DashboardActionRow[];
  chunkSize: number;
  chunks: number;
}

/** Columnar (one array per field) to keep 100k rows small; index i is one SKU, in urgency order. */
export interface DashboardCatalogue {
  sku: string[];
  description: Array<string | null>;
  action: Array<string | null>;
  model: Array<string | null>;
}

export interface DashboardParts {
  head: DashboardHead;
  catalogue: DashboardCatalogue;
  /** chunks[i] holds catalogue entries [i × chunkSize, (i + 1) × chunkSize). */
  chunks: DashboardSku[][];
}

const recentDays = 28;

/** Units sold in the last four weeks of the window: among equally urgent SKUs the big sellers come first. */
export function recentUnits(s: DashboardSku): number {
  let total = 0;
  for (const u of s.units.slice(-recentDays)) total += u ?? 0;
  return total;
}

/** The fields the urgency order reads (a whole DashboardSku, or the streamed writer's summary of one). */
type UrgencyKey = Pick<DashboardSku, 'sku' | 'action'> & { recent: number };

/** A SKU's action urgency (lower first) as byUrgency ranks it. */
export function urgencyOf(action: { action: string } | null): number {
  return action ? (actionUrgency[action.action] ?? noAction - 0.5) : noAction;
}

/** A SKU's days of cover as byUrgency ranks it (none: last). */
export function coverOf(action: { daysOfCover: number | null } | null): number {
  return action?.daysOfCover ?? Infinity;
}

/** The sort keys of one SKU, flat (the streamed writer keeps them in typed arrays, not objects). */
export interface UrgencySortKey {
  urgency: number;
  cover: number;
  recent: number;
  sku: string;
}

export function byUrgencyKey(a: UrgencySortKey, b: UrgencySortKey): number {
  return a.urgency - b.urgency || a.cover - b.cover || b.recent - a.recent || a.sku.localeCompare(b.sku);
}

export function byUrgency(a: UrgencyKey, b: UrgencyKey): number {
  return byUrgencyKey(
    { urgency: urgencyOf(a.action), cover: coverOf(a.action), recent: a.recent, sku: a.sku },
    { urgency: urgencyOf(b.action), cover: coverOf(b.action), recent: b.recent, sku: b.sku },
  );
}

/** The head's action table, fed SKUs in urgency order: at most actionsShownPerKind of each action are kept. */
export class TopActionRows {
  private readonly perKind = new Map<string, number>();
  readonly rows: DashboardActionRow[] = [];

  add(s: Pick<DashboardSku, 'sku' | 'description' | 'action'>): void {
    if (!s.action) return;
    const n = this.perKind.get(s.action.action) ?? 0;
    if (n >= actionsShownPerKind) return;
    this.perKind.set(s.action.action, n + 1);
    this.rows.push({ sku: s.sku, description: s.description, ...s.action });
  }
}

/** The head's action table: SKUs in urgency order, at most actionsShownPerKind of each action. */
export function topActionRows(ordered: Iterable<Pick<DashboardSku, 'sku' | 'description' | 'action'>>): DashboardActionRow[] {
  const top = new TopActionRows();
  for (const s of ordered) top.add(s);
  return top.rows;
}

/** A SKU whose chart has something on it: a sale in the window or a forecast above zero. */
export function hasSomethingToDraw(s: DashboardSku): boolean {
  return s.point.some((p) => p > 0) || s.units.some((u) => u !== null && u > 0);
}

export function splitDashboard(data: DashboardData, options: { chunkSize?: number } = {}): DashboardParts {
  const chunkSize = options.chunkSize ?? defaultChunkSize;
  const ordered: DashboardSku[] = data.skus
    .map((s) => Object.assign({}, s, { recent: recentUnits(s) }))
    .sort(byUrgency)
    .map(({ recent: _recent, ...s }) => s);
  const chunks: DashboardSku[][] = [];
  for (let i = 0; i < ordered.length; i += chunkSize) chunks.push(ordered.slice(i, i + chunkSize));
  const actionRows = topActionRows(ordered);
  const { skus: _all, ...rest } = data;
  const first = ordered.find(hasSomethingToDraw) ?? ordered[0];
  return {
    head: { ...rest, firstSku: first?.sku ?? null, actionRows, chunkSize, chunks: chunks.length },
    catalogue: {
      sku: ordered.map((s) => s.sku),
      description: ordered.map((s) => s.description),
      action: ordered.map((s) => s.action?.action ?? null),
      model: ordered.map((s) => s.model),
    },
    chunks,
  };
}
