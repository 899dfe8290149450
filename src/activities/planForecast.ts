import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLakeTable } from '../lib/delta';
import type { PlanForecastInput, PlanForecastOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { batchIdOf, skuBatchPath, type SkuBatch } from '../contracts/skuBatches';
import { lakeTables } from '../lib/lakeTables';
import { loadWarmStartBook, warmStartFor, warmStartSourceRuns, type IndexedRun, type WarmStartBook } from '../lib/runs/warmStartRecords';
import { forecastRunsTableName } from '../lib/runs/forecastRunIndex';
import { partialRunTriggers } from '../lib/runs/triggerKind';
import { signalOf } from '../lib/pipelineServices';

/** SKUs with no sale in this many days before the data's end are not forecast (discontinued). */
export const inactiveAfterDays = 365;

/** Rows buffered in memory before they are spilled to the batches' scratch files. */
export const defaultSpillRows = 200_000;
/** A spilled row: SKU's index in its batch, day index from the SKU's first day, units, stockout, on hand (NaN = null). */
const fieldsPerRow = 5;

const dayMs = 86_400_000;
const dayNumber = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / dayMs);
const isoOfDayNumber = (n: number): string => new Date(n * dayMs).toISOString().slice(0, 10);

interface SkuSpan {
  first: number;
  lastSale: number | null;
}

/**
 * Reads Silver daily_demand (at the version the run produced) and writes SKU batches to the lake
 * for the forecast fan-out: each SKU's daily series up to the data's last day (days after a SKU's
 * last sale are zeros, not gaps; stockout days are marked censored).
 *
 * Memory stays bounded in the fleet's size: a first pass keeps two numbers per SKU (first day,
 * last sale) to choose the active SKUs and their batches; a second pass spills each row, as five
 * numbers, to its batch's scratch file (DEMAND_SCRATCH_DIR or the OS temp folder) every
 * 200,000 rows; then each batch is built from its file alone. Only one batch's series are in
 * memory at a time.
 */
export async function planForecast(
  input: PlanForecastInput,
  services: PipelineServices,
  options: { spillRows?: number } = {},
): Promise<PlanForecastOutput> {
  const spillRows = options.spillRows ?? defaultSpillRows;
  const table = openLakeTable(services.lake, lakeTables.daily_demand);
  const version = input.dailyDemandVersion >= 0 ? input.dailyDemandVersion : await table.version();
  const empty: PlanForecastOutput = {
    skuCount: 0,
    dailyDemandVersion: version,
    inactiveSkus: 0,
    batchCount: 0,
    batchSize: input.batchSize,
  };
  if (version < 0) return empty;
  const wanted = input.skus ? new Set(input.skus) : undefined;
  const signal = signalOf(services);

  // Pass 1: per SKU its first day and last sale; the data's last day.
  const spans = new Map<string, SkuSpan>();
  let end = Number.NEGATIVE_INFINITY;
  for await (const row of table.read({ version, columns: ['sku', 'date', 'units'], ...signal })) {
    const day = dayNumber(String(row['date']));
    if (day > end) end = day;
    const sku = String(row['sku']);
    if (wanted && !wanted.has(sku)) continue;
    const s = spans.get(sku) ?? { first: day, lastSale: null };
    if (day < s.first) s.first = day;
    if (Number(row['units'] ?? 0) > 0 && (s.lastSale === null || day > s.lastSale)) s.lastSale = day;
    spans.set(sku, s);
  }
  if (!Number.isFinite(end)) return empty;
  const skus = [...spans.keys()]
    .filter((sku) => {
      const lastSale = spans.get(sku)!.lastSale;
      return lastSale !== null && end - lastSale <= inactiveAfterDays;
    })
    .sort();
  const slot = new Map(skus.map((sku, i) => [sku, i]));
  const batchCount = Math.ceil(skus.length / input.batchSize);
  const endDate = isoOfDayNumber(end);
  const book = input.skus ? undefined : await warmStartBookFor(input.runId, services, (sku) => slot.has(sku));
  let warmSkus = 0;

  const scratch = await fs.mkdtemp(path.join(services.settings.DEMAND_SCRATCH_DIR ?? os.tmpdir(), 'plan-'));
  try {
    // Pass 2: every row of an active SKU to its batch's scratch file.
    const buffers = new Map<number, number[]>();
    let buffered = 0;
    const spill = async (): Promise<void> => {
      for (const [batch, values] of buffers)
        await fs.appendFile(path.join(scratch, `${batch}.f64`), Buffer.from(new Float64Array(values).buffer));
      buffers.clear();
      buffered = 0;
    };
    for await (const row of table.read({ version, columns: ['sku', 'date', 'units', 'stockout', 'on_hand'], ...signal })) {
      const index = slot.get(String(row['sku']));
      if (index === undefined) continue;
      const batch = Math.floor(index / input.batchSize);
      const values = buffers.get(batch) ?? [];
      const s = spans.get(String(row['sku']))!;
      values.push(
        index % input.batchSize,
        dayNumber(String(row['date'])) - s.first,
        Number(row['units'] ?? 0),
        row['stockout'] === true ? 1 : 0,
        row['on_hand'] === null || row['on_hand'] === undefined ? Number.NaN : Number(row['on_hand']),
      );
      buffers.set(batch, values);
      if (++buffered >= spillRows) await spill();
    }
    await spill();

    for (let b = 0; b < batchCount; b++) {
      const batchId = batchIdOf(b);
      const members = skus.slice(b * input.batchSize, (b + 1) * input.batchSize);
      const series = members.map((sku) => {
        const days = end - spans.get(sku)!.first + 1;
        return {
          sku,
          startDate: isoOfDayNumber(spans.get(sku)!.first),
          values: new Array<number>(days).fill(0),
          censored: new Array<boolean>(days).fill(false),
          lastOnHandDay: -1,
          onHand: null as number | null,
        };
      });
      const bytes = await fs.readFile(path.join(scratch, `${b}.f64`));
      // A fresh ArrayBuffer: a small file's Buffer may sit at an offset in a pool, unaligned for Float64Array.
      const rows = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      for (let k = 0; k < rows.length; k += fieldsPerRow) {
        const s = series[rows[k]!]!;
        const d = rows[k + 1]!;
        s.values[d] = rows[k + 2]!;
        s.censored[d] = rows[k + 3]! === 1;
        // The latest on-hand observation of the series (rows arrive in any order).
        if (!Number.isNaN(rows[k + 4]!) && d > s.lastOnHandDay) {
          s.lastOnHandDay = d;
          s.onHand = rows[k + 4]!;
        }
      }
      const batch: SkuBatch = {
        batchId,
        runId: input.runId,
        dailyDemandVersion: version,
        endDate,
        series: series.map(({ sku, startDate, values, censored, onHand }) => {
          const warmStart = book && warmStartFor(book, sku, endDate, services.settings.DEMAND_FULL_SELECTION_EVERY_DAYS);
          if (warmStart) warmSkus++;
          return { sku, startDate, values, censored, onHand, ...(warmStart ? { warmStart } : {}) };
        }),
      };
      // Same plan → same bytes: a retried or replayed plan rewrites identical batches.
      await services.lake.put(skuBatchPath(input.runId, batchId), Buffer.from(JSON.stringify(batch)), signal);
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  services.log(
    `planned ${skus.length} SKUs in ${batchCount} batches from daily_demand v${version}` +
      (book?.sourceRuns.length ? `; ${warmSkus} may re-use their choice from run(s) ${book.sourceRuns.join(', ')} (warm start)` : ''),
  );
  return {
    skuCount: skus.length,
    dailyDemandVersion: version,
    inactiveSkus: spans.size - skus.length,
    batchCount,
    batchSize: input.batchSize,
  };
}

/**
 * The choices of the runs in effect, for a whole-fleet plan (re-forecasts of chosen SKUs always
 * select in full: drift or a user asked for them). Undefined when warm start is off.
 */
async function warmStartBookFor(
  runId: string,
  services: PipelineServices,
  wanted: (sku: string) => boolean,
): Promise<WarmStartBook | undefined> {
  if (services.settings.DEMAND_FULL_SELECTION_EVERY_DAYS <= 0) return undefined;
  const index: IndexedRun[] = [];
  for await (const row of (await services.entities.table(forecastRunsTableName)).list({ partitionKey: 'run' }))
    index.push({ runId: String(row['runId']), trigger: String(row['trigger']), startedAt: String(row['startedAt']) });
  const sources = await warmStartSourceRuns(services, runId, index, partialRunTriggers);
  return sources.length ? loadWarmStartBook(services, sources, wanted) : undefined;
}
