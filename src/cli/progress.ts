import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** The stages a run reports, in order, with the label shown to the user. */
export const runStages = [
  ['ingestOrders', 'Ingest orders (source → Bronze)'],
  ['ingestInventory', 'Ingest inventory (landing → Bronze)'],
  ['buildSilver', 'Cleanse, join, aggregate (Silver)'],
  ['planForecast', 'Plan SKU batches'],
  ['forecastBatch', 'Forecast SKU batches (Gold)'],
  ['finalizeForecast', 'Track run, register policy'],
  ['planInventory', 'Inventory actions'],
  ['publish', 'Publish (Gold, dashboard)'],
  ['checkDrift', 'Drift check'],
  ['publishDrift', 'Publish drift events'],
] as const;

export type StageName = (typeof runStages)[number][0];

export interface RunProgress {
  /** An activity started; `input` tells calls of one activity apart (progressStage). */
  scheduled(stage: string, input?: unknown): void;
  /** An activity finished; `result` is its output (the forecast counts SKUs from it). */
  completed(stage: string, result?: unknown, input?: unknown): void;
  /** An attempt failed; a retry schedules it again, so it leaves the stage's total. */
  failed(stage: string, input?: unknown): void;
  /** Progress reported from inside an activity (services.progress): a count, and a total when known. */
  report(signal: string, done: number, total?: number): void;
  stop(): void;
}

/**
 * Where in-activity signals show: which stage's line, and what unit they count. An additive
 * signal carries what was just done (parallel batches each report their own), the others a running count.
 */
const signals: Record<string, { stage: StageName; unit: string; additive?: boolean }> = {
  'forecast:skus': { stage: 'forecastBatch', unit: 'SKUs', additive: true },
  'ingest-orders': { stage: 'ingestOrders', unit: 'lines' },
  'ingest-orders:pages': { stage: 'ingestOrders', unit: 'pages' },
  'silver:orders': { stage: 'buildSilver', unit: 'order records scanned' },
  'silver:months': { stage: 'buildSilver', unit: 'months' },
};

interface Counter {
  done: number;
  total: number | undefined;
  startedAtInMs: number;
}

/** What a stage has counted so far, per unit. */
class StageCounts {
  readonly counters = new Map<string, Counter>();
  /** Rates count from the stage's first signal: a unit reported late still shares the stage's clock. */
  private startedAtInMs: number | undefined;

  /** The first unit with a known total (SKUs of the plan, Silver months): what a bar should fill by. */
  measured(): { done: number; total: number } | undefined {
    for (const c of this.counters.values())
      if (c.total !== undefined && c.total > 0) return { done: Math.min(c.done, c.total), total: c.total };
    return undefined;
  }

  set(unit: string, done: number, total: number | undefined, nowInMs: number): void {
    this.startedAtInMs ??= nowInMs;
    const c = this.counters.get(unit) ?? { done: 0, total: undefined, startedAtInMs: this.startedAtInMs };
    c.done = done;
    if (total !== undefined) c.total = total;
    this.counters.set(unit, c);
  }

  /** Adds to a unit's total (a second forecast run in the same orchestration plans more SKUs). */
  addTotal(unit: string, n: number, nowInMs: number): void {
    const c = this.counters.get(unit);
    this.set(unit, c?.done ?? 0, (c?.total ?? 0) + n, nowInMs);
  }

  add(unit: string, n: number, nowInMs: number): void {
    const c = this.counters.get(unit);
    this.set(unit, (c?.done ?? 0) + n, c?.total, nowInMs);
  }

  /** "1,200/3,757 SKUs, 14.2/s, about 3m 12s left · 42 pages". */
  text(nowInMs: number): string {
    return [...this.counters.entries()]
      .map(([unit, c]) => {
        const seconds = (nowInMs - c.startedAtInMs) / 1000;
        const rate = seconds >= 1 && c.done > 0 ? c.done / seconds : undefined;
        // A retried attempt may report again what its failed attempt reported: never above the total.
        const shown = c.total !== undefined ? Math.min(c.done, c.total) : c.done;
        let out = c.total !== undefined ? `${n(shown)}/${n(c.total)} ${unit}` : `${n(shown)} ${unit}`;
        if (rate !== undefined) out += `, ${rate >= 10 ? n(Math.round(rate)) : rate.toFixed(1)}/s`;
        if (rate !== undefined && c.total !== undefined && shown < c.total) out += `, about ${duration((c.total - c.done) / rate)} left`;
        return out;
      })
      .join(' · ');
  }
}

const n = (v: number): string => v.toLocaleString('en-GB');

function duration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The progress line an activity call counts on. The drift check's publish (only drift_events)
 * gets its own line: counted with the batch publish it read "Publish (Gold, dashboard) (2)".
 */
export function progressStage(stage: string, input?: unknown): string {
  const tables = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)['tables'] : undefined;
  if (stage === 'publish' && Array.isArray(tables) && tables.length === 1 && tables[0] === 'drift_events') return 'publishDrift';
  return stage;
}

function numberField(value: unknown, key: string): number | undefined {
  const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * What a stage's bar shows: it fills by the stage's measured unit when one has a total (the bar
 * read "0% | 0/38" batches while 2,980 of 3,754 SKUs were done), else by activity calls.
 */
export function barState(
  calls: { done: number; total: number },
  counts: { measured(): { done: number; total: number } | undefined; text(nowInMs: number): string } | undefined,
  nowInMs: number,
  extra = '',
): { value: number; total: number; detail: string } {
  const measured = counts?.measured();
  const text = counts?.text(nowInMs) ?? '';
  const callsText = calls.total > 1 ? `${n(calls.done)}/${n(calls.total)} calls` : '';
  if (measured) return { value: measured.done, total: measured.total, detail: [text, callsText, extra].filter(Boolean).join(' · ') };
  return { value: calls.done, total: calls.total, detail: [`${n(calls.done)}/${n(calls.total)}`, text, extra].filter(Boolean).join(' · ') };
}

export interface RunProgressOptions {
  interactive: boolean;
  write: (line: string) => void;
  /** Plain mode: how often a line is printed for a stage still running (default 10 s). */
  intervalInMs?: number;
  now?: () => number;
}

/**
 * A progress bar per stage on a terminal, with counts, rates and time left inside the long stages
 * (order pages and lines, Silver months, SKUs forecast of the plan's total); plain lines otherwise
 * (CI logs, redirected output): one when a stage ends and, for a long stage, one every
 * `intervalInMs` with its counts. Bars count activity completions where nothing finer is known.
 */
export function createRunProgress(options: RunProgressOptions): RunProgress {
  const now = options.now ?? (() => Date.now());
  const interval = options.intervalInMs ?? 10_000;
  const totals = new Map<string, number>();
  const done = new Map<string, number>();
  /** Completions already reported in a stage's earlier rounds (the drift publish after the batch publish). */
  const reported = new Map<string, number>();
  const counts = new Map<string, StageCounts>();
  const lastLine = new Map<string, number>();
  /** Stages whose units come from additive signals (their results' counts would count them twice). */
  const streamed = new Set<string>();
  /** Failed attempts per stage (retried, or the run fails). */
  const retried = new Map<string, number>();
  const labelOf = (stage: string): string => runStages.find(([name]) => name === stage)?.[1] ?? stage;
  const countsOf = (stage: string): StageCounts => {
    let c = counts.get(stage);
    if (!c) counts.set(stage, (c = new StageCounts()));
    return c;
  };
  /** Feeds the counts a stage's result carries: the plan's SKU total, each batch's SKUs. */
  const absorb = (stage: string, result: unknown): void => {
    const t = now();
    if (stage === 'planForecast') {
      const skus = numberField(result, 'skuCount');
      if (skus !== undefined) countsOf('forecastBatch').addTotal('SKUs', skus, t); // the forecast's clock starts with its first plan
    } else if (stage === 'forecastBatch' && !streamed.has(stage)) {
      const skus = numberField(result, 'skus');
      if (skus !== undefined) countsOf('forecastBatch').add('SKUs', skus, t);
    }
  };

  /** Applies an in-activity signal; returns the stage it counts on. */
  const apply = (signal: string, value: number, total: number | undefined): string | undefined => {
    const s = signals[signal];
    if (!s) return undefined;
    if (s.additive) {
      streamed.add(s.stage);
      countsOf(s.stage).add(s.unit, value, now());
    } else countsOf(s.stage).set(s.unit, value, total, now());
    return s.stage;
  };
  /** A failed attempt leaves the total (its retry is scheduled anew). */
  const fail = (activity: string, input: unknown): string => {
    const stage = progressStage(activity, input);
    totals.set(stage, Math.max(0, (totals.get(stage) ?? 0) - 1));
    retried.set(stage, (retried.get(stage) ?? 0) + 1);
    return stage;
  };
  const retriedText = (stage: string): string => {
    const k = retried.get(stage) ?? 0;
    return k ? `${k} failed attempt${k === 1 ? '' : 's'} retried` : '';
  };
  const detailOf = (stage: string): string => [counts.get(stage)?.text(now()), retriedText(stage)].filter(Boolean).join(' · ');

  if (!options.interactive) {
    const maybeLine = (stage: string): void => {
      const t = now();
      const last = lastLine.get(stage);
      if (last === undefined) {
        lastLine.set(stage, t);
        return;
      }
      if (t - last < interval) return;
      lastLine.set(stage, t);
      options.write(`… ${labelOf(stage)}: ${detailOf(stage)}`);
    };
    return {
      scheduled: (activity, input) => {
        const stage = progressStage(activity, input);
        totals.set(stage, (totals.get(stage) ?? 0) + 1);
      },
      completed: (activity, result, input) => {
        const stage = progressStage(activity, input);
        absorb(stage, result);
        const k = (done.get(stage) ?? 0) + 1;
        done.set(stage, k);
        if (k === totals.get(stage)) {
          // A stage scheduled again later (publish after the drift check) reports its own round, not a running total.
          const round = k - (reported.get(stage) ?? 0);
          reported.set(stage, k);
          const text = detailOf(stage);
          options.write(`✔ ${labelOf(stage)}${round > 1 ? ` (${round})` : ''}${text ? `: ${text}` : ''}`);
          lastLine.delete(stage);
        } else if (counts.has(stage)) maybeLine(stage);
      },
      failed: (activity, input) => void fail(activity, input),
      report: (signal, value, total) => {
        const stage = apply(signal, value, total);
        if (stage) maybeLine(stage);
      },
      stop: () => undefined,
    };
  }

  const multibar = new MultiBar(
    {
      format: ' {bar} {percentage}% | {stage} | {detail}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 5,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  const barFor = (stage: string): SingleBar => {
    let bar = bars.get(stage);
    if (!bar) {
      bar = multibar.create(0, 0, { stage: labelOf(stage), detail: '' });
      bars.set(stage, bar);
    }
    return bar;
  };
  const refresh = (stage: string): void => {
    const state = barState({ done: done.get(stage) ?? 0, total: totals.get(stage) ?? 0 }, counts.get(stage), now(), retriedText(stage));
    const bar = barFor(stage);
    bar.setTotal(state.total);
    bar.update(state.value, { detail: state.detail });
  };
  return {
    scheduled: (activity, input) => {
      const stage = progressStage(activity, input);
      totals.set(stage, (totals.get(stage) ?? 0) + 1);
      refresh(stage);
    },
    completed: (activity, result, input) => {
      const stage = progressStage(activity, input);
      absorb(stage, result);
      done.set(stage, (done.get(stage) ?? 0) + 1);
      refresh(stage);
    },
    failed: (activity, input) => {
      refresh(fail(activity, input));
    },
    report: (signal, value, total) => {
      const stage = apply(signal, value, total);
      if (stage) refresh(stage);
    },
    stop: () => multibar.stop(),
  };
}
