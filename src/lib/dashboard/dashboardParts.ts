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

export function byUrgency(a: UrgencyKey, b: UrgencyKey): number {
  const ua = a.action ? (actionUrgency[a.action.action] ?? noAction - 0.5) : noAction;
  const ub = b.action ? (actionUrgency[b.action.action] ?? noAction - 0.5) : noAction;
  const cover = (s: UrgencyKey) => s.action?.daysOfCover ?? Infinity;
  return ua - ub || cover(a) - cover(b) || b.recent - a.recent || a.sku.localeCompare(b.sku);
}

/** A SKU whose chart has something on it: a sale in the window or a forecast above zero. */
/** The head's action table: SKUs in urgency order, at most actionsShownPerKind of each action. */
export function topActionRows(ordered: Iterable<Pick<DashboardSku, 'sku' | 'description' | 'action'>>): DashboardActionRow[] {
  const perKind = new Map<string, number>();
  const rows: DashboardActionRow[] = [];
  for (const s of ordered) {
    if (!s.action) continue;
    const n = perKind.get(s.action.action) ?? 0;
    if (n >= actionsShownPerKind) continue;
    perKind.set(s.action.action, n + 1);
    rows.push({ sku: s.sku, description: s.description, ...s.action });
  }
  return rows;
}

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
