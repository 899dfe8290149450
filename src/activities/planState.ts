/**
 * What a whole-fleet plan leaves for the next one (planForecast): a per-SKU summary (first day, last
 * sale, latest on-hand day of each planned SKU; first day of each SKU it left out as inactive), the
 * planned SKUs' series in compact binary files, one per batch (a bucket of SKUs in sorted order), and
 * a pointer to the latest such plan. The next plan reads the summary, then of daily_demand only the
 * files added since (in months only appended to) and the months rewritten since, and takes every
 * other day from the series files, one bucket at a time: never the previous plan's JSON batches.
 */
import type { AddAction, DeltaTable, TableState } from '../lib/delta';
import { LakeNotFoundError } from '../lib/errors';
import { lakePath, type LakeStore } from '../lib/lake/lakeStore';

/** The summary's format; a state of another (an older plan's) is not used: the next plan reads in full. */
export const planStateFormat = 2;

/** A whole-fleet plan's summary (runs/<runId>/plan/state.json), column by column. */
export interface PlanState {
  format: typeof planStateFormat;
  runId: string;
  dailyDemandVersion: number;
  /** The data's last day (day number since the epoch). */
  endDay: number;
  batchCount: number;
  /** Planned SKUs in plan order (the batches' series, sorted), with day numbers of their first day, last sale and latest on-hand observation (−1: none). */
  planned: { skus: string[]; first: number[]; lastSale: number[]; lastOnHand: number[] };
  /** SKUs daily_demand had that the plan left out (inactive), with their first day number. */
  others: { skus: string[]; first: number[] };
}

/** One planned SKU's series as the series files keep it: only the days with units or a stockout (the rest are zeros). */
export interface SeriesState {
  sku: string;
  /** Day number of the series' first day. */
  first: number;
  /** Days in the series (first … the plan's last day). */
  length: number;
  /** Day number of the latest on-hand observation (−1: none) and its value. */
  lastOnHand: number;
  onHand: number | null;
  /** Day offsets from `first` of the kept days, their units and whether they were stockout days. */
  offsets: Int32Array;
  values: Float64Array;
  censored: Uint8Array;
}

const latestPlanPath = lakePath('runs', '_plans', 'latest.json');
const seriesMagic = 'PLANSER1';

export function planStatePath(runId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'plan', 'state.json');
}

/** The series file of one batch of a plan (runs/<runId>/plan/series/<batchId>.bin). */
export function seriesStatePath(runId: string, batchId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'plan', 'series', `${batchId}.bin`);
}

/** The base plan's series are missing, unreadable or disagree with its summary: the plan reads daily_demand in full. */
export class SeriesStateGoneError extends Error {
  constructor(
    readonly baseRunId: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'SeriesStateGoneError';
  }
}

/** A series file that is not one (decodeSeriesState). */
export class MalformedSeriesStateError extends Error {
  constructor(path: string, reason: string) {
    super(`series file ${path} ${reason}`);
    this.name = 'MalformedSeriesStateError';
  }
}

/**
 * Layout: magic (8 bytes), header length (uint32 LE), JSON header {skus, first, length, lastOnHand,
 * onHand, kept}, zero padding to 8 bytes, then all kept days' values (float64), offsets (int32) and
 * stockout flags (uint8), SKU after SKU. Same series → same bytes.
 */
export function encodeSeriesState(series: readonly SeriesState[]): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      skus: series.map((s) => s.sku),
      first: series.map((s) => s.first),
      length: series.map((s) => s.length),
      lastOnHand: series.map((s) => s.lastOnHand),
      onHand: series.map((s) => s.onHand),
      kept: series.map((s) => s.offsets.length),
    }),
    'utf8',
  );
  const kept = series.reduce((n, s) => n + s.offsets.length, 0);
  const start = Math.ceil((12 + header.length) / 8) * 8;
  const out = Buffer.alloc(start + kept * 13);
  out.write(seriesMagic, 0, 'latin1');
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  const values = new Float64Array(out.buffer, out.byteOffset + start, kept);
  const offsets = new Int32Array(out.buffer, out.byteOffset + start + kept * 8, kept);
  const censored = new Uint8Array(out.buffer, out.byteOffset + start + kept * 12, kept);
  let at = 0;
  for (const s of series) {
    values.set(s.values, at);
    offsets.set(s.offsets, at);
    censored.set(s.censored, at);
    at += s.offsets.length;
  }
  return out;
}

interface SeriesHeader {
  skus: string[];
  first: number[];
  length: number[];
  lastOnHand: number[];
  onHand: Array<number | null>;
  kept: number[];
}

/** The series of one series file, in its order (views on one aligned copy of the bytes). */
export function decodeSeriesState(path: string, bytes: Buffer): SeriesState[] {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== seriesMagic)
    throw new MalformedSeriesStateError(path, 'is not a series file');
  const headerLength = bytes.readUInt32LE(8);
  let header: SeriesHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as SeriesHeader;
  } catch {
    throw new MalformedSeriesStateError(path, 'has an unreadable header');
  }
  const kept = header.kept.reduce((n, k) => n + k, 0);
  const start = Math.ceil((12 + headerLength) / 8) * 8;
  if (bytes.length !== start + kept * 13) throw new MalformedSeriesStateError(path, `has ${bytes.length} bytes, not ${start + kept * 13}`);
  // A fresh ArrayBuffer: a Buffer may sit at an offset in a pool, unaligned for Float64Array.
  const body = bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length);
  const values = new Float64Array(body, 0, kept);
  const offsets = new Int32Array(body, kept * 8, kept);
  const censored = new Uint8Array(body, kept * 12, kept);
  const out: SeriesState[] = [];
  let at = 0;
  header.skus.forEach((sku, i) => {
    const n = header.kept[i]!;
    out.push({
      sku,
      first: header.first[i]!,
      length: header.length[i]!,
      lastOnHand: header.lastOnHand[i]!,
      onHand: header.onHand[i] ?? null,
      offsets: offsets.subarray(at, at + n),
      values: values.subarray(at, at + n),
      censored: censored.subarray(at, at + n),
    });
    at += n;
  });
  return out;
}

/**
 * The base plan's series in plan order (sorted by SKU), one series file in memory at a time:
 * `seek(sku)` for SKUs asked in ascending order returns the SKU's series or undefined.
 */
export class SeriesStateCursor {
  private file = -1;
  private series: SeriesState[] = [];
  private at = 0;

  constructor(
    private readonly lake: LakeStore,
    private readonly base: PlanState,
    private readonly batchIdOf: (index: number) => string,
    private readonly signal: { abortSignal?: AbortSignal },
  ) {}

  async seek(sku: string): Promise<SeriesState | undefined> {
    for (;;) {
      while (this.at < this.series.length && this.series[this.at]!.sku < sku) this.at++;
      const here = this.series[this.at];
      if (here) return here.sku === sku ? here : undefined;
      if (this.file + 1 >= this.base.batchCount) return undefined;
      this.series = await this.load(++this.file);
      this.at = 0;
    }
  }

  private async load(index: number): Promise<SeriesState[]> {
    const path = seriesStatePath(this.base.runId, this.batchIdOf(index));
    try {
      return decodeSeriesState(path, await this.lake.read(path, this.signal));
    } catch (err) {
      // The base run's folder cleaned up (or lost, or damaged): its series are gone, the table still has them.
      if (err instanceof LakeNotFoundError)
        throw new SeriesStateGoneError(this.runId, `the base plan's series file ${path} is not in the lake`);
      if (err instanceof MalformedSeriesStateError) throw new SeriesStateGoneError(this.runId, err.message);
      throw err;
    }
  }

  get runId(): string {
    return this.base.runId;
  }
}

async function readJson<T>(lake: LakeStore, path: string, signal: { abortSignal?: AbortSignal }): Promise<T | undefined> {
  try {
    return JSON.parse((await lake.read(path, signal)).toString('utf8')) as T;
  } catch (err) {
    if (err instanceof LakeNotFoundError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Writes the plan's summary, then points the next plan at it (after its batches and series files: the state names only what exists). */
export async function writePlanState(lake: LakeStore, state: PlanState, signal: { abortSignal?: AbortSignal }): Promise<void> {
  await lake.put(planStatePath(state.runId), Buffer.from(JSON.stringify(state)), signal);
  await lake.put(latestPlanPath, Buffer.from(JSON.stringify({ runId: state.runId, dailyDemandVersion: state.dailyDemandVersion })), signal);
}

/**
 * The latest whole-fleet plan's summary, when one exists and is readable; `stale` names a latest
 * plan whose summary is of another format (an older plan: read in full).
 */
export async function latestPlanState(
  lake: LakeStore,
  signal: { abortSignal?: AbortSignal },
): Promise<{ state?: PlanState; stale?: string } | undefined> {
  const pointer = await readJson<{ runId?: unknown }>(lake, latestPlanPath, signal);
  if (typeof pointer?.runId !== 'string') return undefined;
  const state = await readJson<Partial<PlanState>>(lake, planStatePath(pointer.runId), signal);
  const wellFormed =
    state?.format === planStateFormat &&
    typeof state.dailyDemandVersion === 'number' &&
    Array.isArray(state.planned?.skus) &&
    Array.isArray(state.others?.skus);
  return wellFormed ? { state: state as PlanState } : { stale: pointer.runId };
}

/** How daily_demand's month partitions changed between two versions (monthChanges). */
export interface MonthChanges {
  /** Months that lost a data file (rewritten or deleted from): none of the base plan's days of them stand. */
  rewritten: Set<string>;
  /** Months that only gained data files (a new day appended): the base plan's days of them stand, the added files hold the rest. */
  appended: Set<string>;
  /** The table at the later version restricted to the files to read: every file of a rewritten month, the added files of an appended one. */
  toRead: TableState;
  /** Data files in `toRead`. */
  files: number;
}

/**
 * The month partitions of daily_demand whose data files differ between two versions, split into
 * months only appended to and months rewritten. Undefined when that cannot be told from the log:
 * another partitioning or schema, a file without its month, a version no longer in the log.
 */
export async function monthChanges(
  table: DeltaTable,
  from: number,
  to: number,
  signal: { abortSignal?: AbortSignal },
): Promise<MonthChanges | undefined> {
  let before: TableState, after: TableState;
  try {
    [before, after] = [await table.state({ version: from, ...signal }), await table.state({ version: to, ...signal })];
  } catch (err) {
    if (signal.abortSignal?.aborted) throw err;
    return undefined;
  }
  const layout = (s: TableState) => JSON.stringify([s.metadata?.partitionColumns, s.metadata?.schemaString]);
  if (JSON.stringify(before.metadata?.partitionColumns) !== '["month"]' || layout(before) !== layout(after)) return undefined;
  const monthOf = (add: AddAction): string | undefined => {
    const month = add.partitionValues?.['month'];
    return typeof month === 'string' ? month : undefined;
  };
  const rewritten = new Set<string>();
  for (const [key, add] of before.files) {
    if (after.files.has(key)) continue;
    const month = monthOf(add);
    if (month === undefined) return undefined;
    rewritten.add(month);
  }
  const appended = new Set<string>();
  const added = new Map<string, AddAction>();
  for (const [key, add] of after.files) {
    const month = monthOf(add);
    if (month === undefined) return undefined;
    if (rewritten.has(month)) added.set(key, add);
    else if (!before.files.has(key)) {
      appended.add(month);
      added.set(key, add);
    }
  }
  return { rewritten, appended, toRead: { ...after, files: added }, files: added.size };
}
