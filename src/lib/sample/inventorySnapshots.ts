import type { OrderRecord } from '../ingest/orderRecord';
import type { InventorySnapshotRow } from '../ingest/inventorySnapshot';
import type { LakeStore } from '../lake/lakeStore';
import { loadSampleOrders } from './sampleOrders';
import { hashSeed, seededRandom } from './seededRandom';

export interface SampleInventoryOptions {
  /** Orders to derive stock from (default: the bundled sample). */
  orders?: AsyncIterable<OrderRecord> | OrderRecord[];
  /** Landing folder (default landing/inventory, the DEMAND_INVENTORY_LANDING_PREFIX default). */
  landingPrefix?: string;
  seed?: number;
  /** Base supplier lead time; each SKU gets this −2..+3 days (default 7). */
  leadTimeDays?: number;
  /** Also drop one malformed file, to show rejection (default true). */
  includeMalformed?: boolean;
  abortSignal?: AbortSignal;
}

export interface SkuPolicy {
  sku: string;
  meanDailyDemand: number;
  leadTimeDays: number;
  reorderPoint: number;
  orderUpTo: number;
}

export interface SampleInventoryResult {
  files: string[];
  malformedFile: string | null;
  rows: number;
  policies: SkuPolicy[];
}

const dayMs = 86_400_000;
const reviewPeriodDays = 7;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Units sold of a product line that counts as demand; undefined for everything Silver quarantines. */
function saleUnits(r: OrderRecord): { sku: string; day: string; units: number } | undefined {
  if (typeof r.StockCode !== 'string' || typeof r.InvoiceNo !== 'string' || typeof r.Quantity !== 'number' || typeof r.UnitPrice !== 'number') return undefined;
  const sku = r.StockCode.trim().toUpperCase();
  if (!/^\d{5}/.test(sku) || /^[CA]/.test(r.InvoiceNo) || r.Quantity <= 0 || r.UnitPrice <= 0) return undefined;
  return { sku, day: String(r.InvoiceDate).slice(0, 10), units: r.Quantity };
}

/**
 * Weekly inventory snapshots for the sample, derived from the orders because the public data has
 * none. The replenishment policy, per SKU, is a periodic-review (s, S) policy:
 * - demand = units of sale lines (product code, not a C/A invoice, quantity > 0, price > 0);
 * - μ = mean daily demand over the order history; lead time L = base − 2..+3 days (seeded);
 * - s = ⌈μ·(L + 7)·k⌉ with safety factor k seeded in [1.2, 1.6]; S = s + ⌈μ·14⌉ (S > s);
 * - stock starts at S; each day arrivals come in, then demand is served up to stock on hand
 *   (demand beyond it is lost, so stock never goes negative);
 * - every Monday, if on hand + on order ≤ s, order S − (on hand + on order), arriving L days later;
 * - a snapshot (end of Monday) goes to landing as `inventory_<date>.csv` on even weeks and
 *   `inventory_<date>.ndjson` on odd weeks (same columns: snapshot_date, sku, on_hand, on_order).
 * Same orders and seed → same files.
 */
export async function writeSampleInventory(lake: LakeStore, options: SampleInventoryOptions = {}): Promise<SampleInventoryResult> {
  const seed = options.seed ?? 42;
  const landing = (options.landingPrefix ?? 'landing/inventory').replace(/\/+$/, '');
  const baseLead = options.leadTimeDays ?? 7;
  const ops = options.abortSignal ? { abortSignal: options.abortSignal } : {};

  const demand = new Map<string, Map<string, number>>();
  let first: string | undefined;
  let last: string | undefined;
  const orders = options.orders ?? loadSampleOrders(ops);
  for await (const r of orders as AsyncIterable<OrderRecord>) {
    const sale = saleUnits(r);
    if (!sale) continue;
    const perDay = demand.get(sale.sku) ?? new Map<string, number>();
    perDay.set(sale.day, (perDay.get(sale.day) ?? 0) + sale.units);
    demand.set(sale.sku, perDay);
    if (first === undefined || sale.day < first) first = sale.day;
    if (last === undefined || sale.day > last) last = sale.day;
  }
  if (first === undefined || last === undefined) return { files: [], malformedFile: null, rows: 0, policies: [] };
  const start = Date.parse(`${first}T00:00:00Z`);
  const end = Date.parse(`${last}T00:00:00Z`);
  const days = Math.round((end - start) / dayMs) + 1;

  const skus = [...demand.keys()].sort();
  const policies: SkuPolicy[] = skus.map((sku) => {
    const random = seededRandom(hashSeed(sku, seed));
    const total = [...(demand.get(sku)?.values() ?? [])].reduce((a, b) => a + b, 0);
    const mu = total / days;
    const leadTimeDays = Math.max(1, baseLead - 2 + Math.floor(random() * 6));
    const safety = 1.2 + random() * 0.4;
    const reorderPoint = Math.ceil(mu * (leadTimeDays + reviewPeriodDays) * safety);
    const orderUpTo = Math.max(reorderPoint + 1, reorderPoint + Math.ceil(mu * 2 * reviewPeriodDays));
    return { sku, meanDailyDemand: mu, leadTimeDays, reorderPoint, orderUpTo };
  });

  const state = policies.map((p) => ({ policy: p, onHand: p.orderUpTo, arrivals: new Map<number, number>() }));
  const files: string[] = [];
  let rows = 0;
  let week = 0;
  for (let d = 0; d < days; d++) {
    const ms = start + d * dayMs;
    const day = dayOf(ms);
    const isReviewDay = new Date(ms).getUTCDay() === 1;
    const snapshot: InventorySnapshotRow[] = [];
    for (const s of state) {
      s.onHand += s.arrivals.get(d) ?? 0;
      s.arrivals.delete(d);
      s.onHand = Math.max(0, s.onHand - (demand.get(s.policy.sku)?.get(day) ?? 0));
      if (!isReviewDay) continue;
      const onOrder = (): number => [...s.arrivals.values()].reduce((a, b) => a + b, 0);
      const position = s.onHand + onOrder();
      if (position <= s.policy.reorderPoint) {
        const due = d + s.policy.leadTimeDays;
        s.arrivals.set(due, (s.arrivals.get(due) ?? 0) + s.policy.orderUpTo - position);
      }
      snapshot.push({ snapshot_date: day, sku: s.policy.sku, on_hand: s.onHand, on_order: onOrder() });
    }
    if (!isReviewDay) continue;
    const asCsv = week % 2 === 0;
    const file = `${landing}/inventory_${day}.${asCsv ? 'csv' : 'ndjson'}`;
    const text = asCsv
      ? `snapshot_date,sku,on_hand,on_order\n${snapshot.map((r) => `${r.snapshot_date},${r.sku},${r.on_hand},${r.on_order}`).join('\n')}\n`
      : `${snapshot.map((r) => JSON.stringify(r)).join('\n')}\n`;
    await lake.put(file, Buffer.from(text, 'utf8'), ops);
    files.push(file);
    rows += snapshot.length;
    week++;
  }

  let malformedFile: string | null = null;
  if (options.includeMalformed ?? true) {
    // A partner export gone wrong: a units column with text and a short row.
    malformedFile = `${landing}/inventory_${last}_partner_b.csv`;
    const firstSku = skus[0] ?? '85123A';
    await lake.put(malformedFile, Buffer.from(`snapshot_date,sku,on_hand,on_order\n${last},${firstSku},n/a,0\n${last},${firstSku}\n`, 'utf8'), ops);
  }
  return { files, malformedFile, rows, policies };
}
