import { addDays, differenceInCalendarDays, parseISO } from 'date-fns';
import { openLakeTable } from '../../delta';
import type { PipelineServices, PlanForecastInput, PlanForecastOutput } from '../contracts';
import { batchIdOf, skuBatchPath, type SkuBatch } from '../skuBatches';
import { lakeTables } from '../tables';

/** SKUs with no sale in this many days before the data's end are not forecast (discontinued). */
export const inactiveAfterDays = 365;

interface SkuSeries {
  byDate: Map<string, { units: number; stockout: boolean; onHand: number | null }>;
  first: string;
  last: string;
  lastSale: string | null;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Reads Silver daily_demand once (at the version the run produced), builds each SKU's daily series
 * up to the data's last day (days after a SKU's last sale are zeros, not gaps; stockout days are
 * marked censored), and writes SKU batches to the lake for the forecast fan-out.
 */
export async function planForecast(input: PlanForecastInput, services: PipelineServices): Promise<PlanForecastOutput> {
  const table = openLakeTable(services.lake, lakeTables.daily_demand);
  const version = input.dailyDemandVersion >= 0 ? input.dailyDemandVersion : await table.version();
  if (version < 0) return { skuCount: 0, dailyDemandVersion: version, inactiveSkus: 0, batchCount: 0, batchSize: input.batchSize };
  const wanted = input.skus ? new Set(input.skus) : undefined;

  const bySku = new Map<string, SkuSeries>();
  let endDate = '';
  for await (const row of table.read({ version, columns: ['sku', 'date', 'units', 'stockout', 'on_hand'] })) {
    const date = String(row['date']);
    if (date > endDate) endDate = date;
    const sku = String(row['sku']);
    if (wanted && !wanted.has(sku)) continue;
    let s = bySku.get(sku);
    if (!s) {
      s = { byDate: new Map(), first: date, last: date, lastSale: null };
      bySku.set(sku, s);
    }
    const units = Number(row['units'] ?? 0);
    s.byDate.set(date, { units, stockout: row['stockout'] === true, onHand: row['on_hand'] === null ? null : Number(row['on_hand']) });
    if (date < s.first) s.first = date;
    if (date > s.last) s.last = date;
    if (units > 0 && (s.lastSale === null || date > s.lastSale)) s.lastSale = date;
  }
  if (endDate === '') return { skuCount: 0, dailyDemandVersion: version, inactiveSkus: 0, batchCount: 0, batchSize: input.batchSize };

  const end = parseISO(endDate);
  const skus = [...bySku.keys()]
    .filter((sku) => {
      const s = bySku.get(sku) as SkuSeries;
      return s.lastSale !== null && differenceInCalendarDays(end, parseISO(s.lastSale)) <= inactiveAfterDays;
    })
    .sort();

  let batchCount = 0;
  for (let start = 0, index = 0; start < skus.length; start += input.batchSize, index++) {
    const batchId = batchIdOf(index);
    const batch: SkuBatch = { batchId, runId: input.runId, dailyDemandVersion: version, endDate, series: [] };
    for (const sku of skus.slice(start, start + input.batchSize)) {
      const s = bySku.get(sku) as SkuSeries;
      const first = parseISO(s.first);
      const days = differenceInCalendarDays(end, first) + 1;
      const values: number[] = new Array<number>(days);
      const censored: boolean[] = new Array<boolean>(days);
      let onHand: number | null = null;
      for (let d = 0; d < days; d++) {
        const day = s.byDate.get(isoDay(addDays(first, d)));
        values[d] = day?.units ?? 0;
        censored[d] = day?.stockout ?? false;
        if (day && day.onHand !== null) onHand = day.onHand;
      }
      batch.series.push({ sku, startDate: s.first, values, censored, onHand });
    }
    const path = skuBatchPath(input.runId, batchId);
    // Same plan → same bytes: a retried or replayed plan rewrites identical batches.
    await services.lake.put(path, Buffer.from(JSON.stringify(batch)));
    batchCount++;
  }
  services.log(`planned ${skus.length} SKUs in ${batchCount} batches from daily_demand v${version}`);
  return { skuCount: skus.length, dailyDemandVersion: version, inactiveSkus: bySku.size - skus.length, batchCount, batchSize: input.batchSize };
}
