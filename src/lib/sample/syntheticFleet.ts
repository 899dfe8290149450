/**
 * A deterministic synthetic fleet: N SKUs with the demand profiles a retailer's catalogue has
 * (fast, slow, intermittent, seasonal, trending, launched, discontinued), optionally with level
 * shifts injected into a known subset. Same options → same demand, day by day, SKU by SKU, with
 * random access (each SKU-day draws from its own seed), so benches and tests can scale to 100k SKUs
 * without holding the fleet's rows.
 */
import type { OrderRecord } from '../ingest/orderRecord';
import { hashSeed, seededRandom } from './seededRandom';

export type DemandProfile = 'fast' | 'slow' | 'intermittent' | 'seasonal' | 'trending' | 'launched' | 'discontinued';

export const demandProfiles: readonly DemandProfile[] = ['fast', 'slow', 'intermittent', 'seasonal', 'trending', 'launched', 'discontinued'];

export interface SyntheticFleetOptions {
  skus: number;
  /** Days of history (default 730). */
  days?: number;
  /** Last day, YYYY-MM-DD (default 2011-12-09, where Online Retail ends). */
  endDate?: string;
  seed?: number;
  /** Share of SKUs whose level shifts by `shiftFactor` from `shiftDays` before the end (default none). */
  shiftShare?: number;
  shiftFactor?: number;
  shiftDays?: number;
}

export interface SyntheticSku {
  sku: string;
  profile: DemandProfile;
  /** Mean units a day before any shift, trend or season. */
  base: number;
  /** First and last day index with demand (0 = the first day of history). */
  activeFrom: number;
  activeTo: number;
  /** Level factor from `shiftFrom` on (1 = no shift). */
  shift: number;
  shiftFrom: number;
  /** Seasonal phase (days) or yearly trend slope, by profile. */
  phase: number;
  slope: number;
  /** Intermittent: chance of a demand day. */
  demandChance: number;
}

export interface SyntheticFleet {
  options: Required<SyntheticFleetOptions>;
  startDate: string;
  skus: SyntheticSku[];
}

const dayMs = 86_400_000;
/** Weekday pattern (Mon..Sun), mean 1: most shops sell less at the weekend. */
const weekday = [1.15, 1.1, 1.05, 1.05, 1.1, 0.85, 0.7];

/** SKU codes Silver treats as products (five digits first), unique up to 10M SKUs. */
export function syntheticSkuCode(index: number): string {
  return `${String(index).padStart(7, '0')}`;
}

function dateOf(startMs: number, day: number): string {
  return new Date(startMs + day * dayMs).toISOString().slice(0, 10);
}

export function syntheticFleet(options: SyntheticFleetOptions): SyntheticFleet {
  const o: Required<SyntheticFleetOptions> = {
    skus: options.skus,
    days: options.days ?? 730,
    endDate: options.endDate ?? '2011-12-09',
    seed: options.seed ?? 7,
    shiftShare: options.shiftShare ?? 0,
    shiftFactor: options.shiftFactor ?? 2.5,
    shiftDays: options.shiftDays ?? 21,
  };
  const startMs = Date.parse(`${o.endDate}T00:00:00Z`) - (o.days - 1) * dayMs;
  const skus: SyntheticSku[] = [];
  for (let i = 0; i < o.skus; i++) {
    const sku = syntheticSkuCode(i);
    const r = seededRandom(hashSeed(sku, o.seed));
    const profile = demandProfiles[Math.floor(r() * demandProfiles.length)] as DemandProfile;
    const fastish = profile === 'fast' || ((profile === 'launched' || profile === 'discontinued') && r() < 0.5);
    const base = fastish ? 15 + r() * 60 : profile === 'slow' ? 0.3 + r() * 2.7 : profile === 'intermittent' ? 2 + r() * 10 : 3 + r() * 25;
    const activeFrom = profile === 'launched' ? o.days - 60 - Math.floor(r() * 240) : 0;
    const activeTo = profile === 'discontinued' ? o.days - 1 - 120 - Math.floor(r() * 300) : o.days - 1;
    const shifted = profile !== 'discontinued' && r() < o.shiftShare;
    skus.push({
      sku,
      profile,
      base,
      activeFrom: Math.max(0, activeFrom),
      activeTo: Math.max(0, activeTo),
      shift: shifted ? o.shiftFactor : 1,
      shiftFrom: o.days - o.shiftDays,
      phase: Math.floor(r() * 365),
      slope: -0.3 + r() * 0.8,
      demandChance: 0.04 + r() * 0.12,
    });
  }
  return { options: o, startDate: dateOf(startMs, 0), skus };
}

/** Poisson draw (Knuth below 30, a rounded normal above). */
function poisson(mean: number, r: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = r(); p > limit; p *= r()) k++;
  return k;
}

/** Units sold of one SKU on day `day` (0-based): deterministic. */
export function syntheticUnits(fleet: SyntheticFleet, s: SyntheticSku, day: number): number {
  if (day < s.activeFrom || day > s.activeTo) return 0;
  const r = seededRandom(hashSeed(`${s.sku}:${day}`, fleet.options.seed));
  const dow = (new Date(Date.parse(`${fleet.startDate}T00:00:00Z`) + day * dayMs).getUTCDay() + 6) % 7;
  const level = s.base * (day >= s.shiftFrom ? s.shift : 1);
  switch (s.profile) {
    case 'intermittent':
      return r() < s.demandChance * (day >= s.shiftFrom ? s.shift : 1) ? 1 + poisson(s.base - 1, r) : 0;
    case 'seasonal':
      return poisson(level * weekday[dow]! * (1 + 0.6 * Math.sin((2 * Math.PI * (day + s.phase)) / 365)), r);
    case 'trending':
      return poisson(Math.max(0.1, level * (1 + (s.slope * day) / 365)) * weekday[dow]!, r);
    default:
      return poisson(level * weekday[dow]!, r);
  }
}

/** The fleet's daily demand, day by day (days without a sale are left out, as in Silver). */
export function* syntheticDemandDays(fleet: SyntheticFleet, fromDay = 0): Generator<{ sku: string; date: string; units: number }> {
  const startMs = Date.parse(`${fleet.startDate}T00:00:00Z`);
  for (let day = fromDay; day < fleet.options.days; day++) {
    const date = dateOf(startMs, day);
    for (const s of fleet.skus) {
      const units = syntheticUnits(fleet, s, day);
      if (units > 0) yield { sku: s.sku, date, units };
    }
  }
}

/** The first day index on or after `since` (`YYYY-MM-DD…`; null: the first day). */
function dayOnOrAfter(fleet: SyntheticFleet, since: string | null | undefined): number {
  if (!since) return 0;
  const days = Math.floor((Date.parse(`${since.slice(0, 10)}T00:00:00Z`) - Date.parse(`${fleet.startDate}T00:00:00Z`)) / dayMs);
  return Number.isFinite(days) ? Math.max(0, days) : 0;
}

/**
 * The fleet as an order stream in the orders API's order (InvoiceDate, orderLineId): one invoice
 * line per SKU and day with a sale, priced per SKU. With `since`, it starts at that day (each day's
 * units depend on the day alone), so a request for one new day does not regenerate the history.
 */
export async function* syntheticOrders(fleet: SyntheticFleet, start: { since?: string | null } = {}): AsyncIterable<OrderRecord> {
  const byIndex = new Map(fleet.skus.map((s, i) => [s.sku, i]));
  for (const d of syntheticDemandDays(fleet, dayOnOrAfter(fleet, start.since))) {
    const i = byIndex.get(d.sku) as number;
    const invoice = `${d.date.replace(/-/g, '').slice(2)}${String(i).padStart(7, '0')}`;
    yield {
      orderLineId: `${invoice}-0001`,
      InvoiceNo: invoice,
      StockCode: d.sku,
      Description: `SYNTHETIC ${fleet.skus[i]!.profile.toUpperCase()} ${d.sku}`,
      Quantity: d.units,
      InvoiceDate: `${d.date} 10:00:00`,
      UnitPrice: 1 + (i % 50) / 10,
      CustomerID: `${10000 + (i % 5000)}.0`,
      Country: 'United Kingdom',
    };
  }
}
