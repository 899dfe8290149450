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
  /** The SKU's index in order of first appearance (what the scratch rows carry). */
  id: number;
  first: number;
  lastSale: number | null;
}

/** Appends rows of five numbers to scratch files, one per key, every `spillRows` rows. */
class RowSpill {
  private readonly buffers = new Map<number | string, number[]>();
  private buffered = 0;
  constructor(
    private readonly fileOf: (key: number | string) => string,
    private readonly spillRows: number,
  ) {}

  async push(key: number | string, a: number, b: number, c: number, d: number, e: number): Promise<void> {
    const values = this.buffers.get(key) ?? [];
    values.push(a, b, c, d, e);
    this.buffers.set(key, values);
    if (++this.buffered >= this.spillRows) await this.flush();
  }

  async flush(): Promise<void> {
    for (const [key, values] of this.buffers) await fs.appendFile(this.fileOf(key), Buffer.from(new Float64Array(values).buffer));
    this.buffers.clear();
    this.buffered = 0;
  }
}

/** The rows of a scratch file, `chunkRows` at a time (a fresh, aligned buffer per read). */
async function* scratchRows(file: string, chunkRows: number): AsyncIterable<Float64Array> {
  const handle = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined; // nothing spilled
    throw err;
  });
  if (!handle) return;
  try {
    const bytesPerChunk = chunkRows * fieldsPerRow * 8;
    for (let position = 0; ;) {
      const chunk = new Float64Array(chunkRows * fieldsPerRow);
      const { bytesRead } = await handle.read(new Uint8Array(chunk.buffer), 0, bytesPerChunk, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield chunk.subarray(0, bytesRead / 8);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads Silver daily_demand (at the version the run produced) once and writes SKU batches to the
 * lake for the forecast fan-out: each SKU's daily series up to the data's last day (days after a
 * SKU's last sale are zeros, not gaps; stockout days are marked censored).
 *
 * Memory stays bounded in the fleet's size: the one pass over the table keeps three numbers per
 * SKU (its id, first day, last sale) and spills each row, as five numbers, to a scratch file
 * (DEMAND_SCRATCH_DIR or the OS temp folder) every 200,000 rows; once the active SKUs and their
 * batches are known, the scratch rows are sorted out to one file per batch, and each batch is
 * built from its file alone. Only one batch's series are in memory at a time.
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

  const scratch = await fs.mkdtemp(path.join(services.settings.DEMAND_SCRATCH_DIR ?? os.tmpdir(), 'plan-'));
  try {
    // The one pass: per SKU its first day and last sale, the data's last day, every row to scratch.
    const spans = new Map<string, SkuSpan>();
    let end = Number.NEGATIVE_INFINITY;
    const rowsFile = path.join(scratch, 'rows.f64');
    const allRows = new RowSpill(() => rowsFile, spillRows);
    for await (const row of table.read({ version, columns: ['sku', 'date', 'units', 'stockout', 'on_hand'], ...signal })) {
      const day = dayNumber(String(row['date']));
      if (day > end) end = day;
      const sku = String(row['sku']);
      if (wanted && !wanted.has(sku)) continue;
      let s = spans.get(sku);
      if (!s) spans.set(sku, (s = { id: spans.size, first: day, lastSale: null }));
      if (day < s.first) s.first = day;
      const units = Number(row['units'] ?? 0);
      if (units > 0 && (s.lastSale === null || day > s.lastSale)) s.lastSale = day;
      const onHand = row['on_hand'] === null || row['on_hand'] === undefined ? Number.NaN : Number(row['on_hand']);
      await allRows.push(0, s.id, day, units, row['stockout'] === true ? 1 : 0, onHand);
    }
    await allRows.flush();
    if (!Number.isFinite(end)) return empty;
    const skus = [...spans.keys()]
      .filter((sku) => {
        const lastSale = spans.get(sku)!.lastSale;
        return lastSale !== null && end - lastSale <= inactiveAfterDays;
      })
      .sort();
    // By SKU id: its slot in the plan (−1: not planned) and its first day.
    const slotOfId = new Int32Array(spans.size).fill(-1);
    const firstOfId = new Float64Array(spans.size);
    skus.forEach((sku, slot) => {
      const s = spans.get(sku)!;
      slotOfId[s.id] = slot;
      firstOfId[s.id] = s.first;
    });
    const batchCount = Math.ceil(skus.length / input.batchSize);
    const endDate = isoOfDayNumber(end);
    const planned = new Set(skus);
    const book = input.skus ? undefined : await warmStartBookFor(input.runId, services, (sku) => planned.has(sku));

    // The scratch rows of planned SKUs to their batch's file, as (index in batch, day from the SKU's first, units, stockout, on hand).
    const byBatch = new RowSpill((batch) => path.join(scratch, `${batch}.f64`), spillRows);
    for await (const chunk of scratchRows(rowsFile, spillRows)) {
      for (let k = 0; k < chunk.length; k += fieldsPerRow) {
        const id = chunk[k]!;
        const slot = slotOfId[id]!;
        if (slot < 0) continue;
        const d = chunk[k + 1]! - firstOfId[id]!;
        await byBatch.push(Math.floor(slot / input.batchSize), slot % input.batchSize, d, chunk[k + 2]!, chunk[k + 3]!, chunk[k + 4]!);
      }
    }
    await byBatch.flush();
    await fs.rm(rowsFile, { force: true });

    let warmSkus = 0;
    for (let b = 0; b < batchCount; b++) {
      const members = skus.slice(b * input.batchSize, (b + 1) * input.batchSize);
      const batch = await batchOf(input.runId, b, members, spans, end, version, path.join(scratch, `${b}.f64`));
      for (const series of batch.series) {
        const warmStart = book && warmStartFor(book, series.sku, endDate, services.settings.DEMAND_FULL_SELECTION_EVERY_DAYS);
        if (!warmStart) continue;
        series.warmStart = warmStart;
        warmSkus++;
      }
      // Same plan → same bytes: a retried or replayed plan rewrites identical batches.
      await services.lake.put(skuBatchPath(input.runId, batch.batchId), Buffer.from(JSON.stringify(batch)), signal);
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
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** One batch built from its scratch file: each member's series from its first day to the data's last. */
async function batchOf(
  runId: string,
  index: number,
  members: readonly string[],
  spans: ReadonlyMap<string, SkuSpan>,
  end: number,
  version: number,
  file: string,
): Promise<SkuBatch> {
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
  for await (const rows of scratchRows(file, defaultSpillRows)) {
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
  }
  return {
    batchId: batchIdOf(index),
    runId,
    dailyDemandVersion: version,
    endDate: isoOfDayNumber(end),
    series: series.map(({ sku, startDate, values, censored, onHand }) => ({ sku, startDate, values, censored, onHand })),
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
