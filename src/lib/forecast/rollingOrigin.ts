import { errorText } from '../errors';
import { checkPlausible } from './models/arima';
import { modelByName } from './models/registry';
import { mean } from './numeric';
import type { ModelContext, ModelOutput } from './types';

/** Backtest windows: each origin's forecast covers `horizon` steps. */
export interface WindowSet {
  horizon: number;
  origins: number[];
}

/** Rolling origins: `windows` consecutive, non-overlapping blocks of the horizon at the end. */
export function planWindows(n: number, horizon: number, windows: number, minTrain: number): WindowSet {
  let h = horizon;
  let w = windows;
  while (w > 0 && n - w * h < minTrain) w--;
  if (w === 0 && windows > 0) {
    // Too short for a full-horizon window: backtest a shorter one rather than none.
    h = Math.floor((n - minTrain) / 2);
    w = h >= 1 ? Math.min(windows, Math.floor((n - minTrain) / h)) : 0;
  }
  const origins: number[] = [];
  for (let k = w; k >= 1; k--) origins.push(n - k * h);
  return { horizon: h, origins };
}

export interface CandidateRun {
  name: string;
  /** Point forecast per window. */
  windows: number[][];
  final: number[] | null;
  /** The model's expected units from the full history when its point is not a mean (ModelOutput.mean). */
  finalMean: number[] | null;
  /** The same per backtest window (null where the point is the mean): what the mean's backtest is built from. */
  windowMeans?: Array<number[] | null>;
  params: Record<string, unknown>;
  score: number | null;
  error?: string;
}

/** A forecast of exactly `horizon` finite, non-negative values (0 where a model gave none). */
export function safePoint(point: readonly number[], horizon: number): number[] {
  return Array.from({ length: horizon }, (_, i) => {
    const v = point[i];
    return v !== undefined && Number.isFinite(v) ? Math.max(0, v) : 0;
  });
}

/** Lag-M in-sample mean absolute difference: the MASE scale (the mean level when it is 0). */
export function scaleOf(y: readonly number[], m: number): number {
  const lag = m > 1 && y.length > m ? m : 1;
  let s = 0;
  let c = 0;
  for (let t = lag; t < y.length; t++) {
    s += Math.abs((y[t] as number) - (y[t - lag] as number));
    c++;
  }
  const scale = c > 0 ? s / c : 0;
  if (scale > 0) return scale;
  const level = mean(y.map(Math.abs));
  return level > 0 ? level : 1;
}

/** One candidate: its forecast from the full history and from each backtest origin. */
function runCandidate(name: string, y: readonly number[], horizon: number, plan: WindowSet, context: ModelContext): CandidateRun {
  const model = modelByName(name);
  const n = y.length;
  const hb = plan.horizon;
  const run: CandidateRun = { name, windows: [], final: null, finalMean: null, params: {}, score: null };
  try {
    if (model.forecastOrigins) {
      const outs = model.forecastOrigins(y, [n, ...plan.origins], [horizon, ...plan.origins.map(() => hb)], context);
      outs.forEach((o, i) => checkPlausible(name, y.slice(0, i === 0 ? n : plan.origins[i - 1]), o.point));
      const full = outs[0] as ModelOutput;
      run.final = safePoint(full.point, horizon);
      run.finalMean = full.mean ? safePoint(full.mean, horizon) : null;
      run.params = full.params;
      run.windows = outs.slice(1).map((o) => safePoint(o.point, hb));
      run.windowMeans = outs.slice(1).map((o) => (o.mean ? safePoint(o.mean, hb) : null));
    } else {
      const out = model.forecast(y, horizon, context);
      checkPlausible(name, y, out.point);
      run.final = safePoint(out.point, horizon);
      run.finalMean = out.mean ? safePoint(out.mean, horizon) : null;
      run.params = out.params;
      run.windowMeans = [];
      for (const origin of plan.origins) {
        const trainContext: ModelContext = { ...context, censored: (context.censored ?? []).slice(0, origin) };
        const w = model.forecast(y.slice(0, origin), hb, trainContext);
        checkPlausible(name, y.slice(0, origin), w.point);
        run.windows.push(safePoint(w.point, hb));
        run.windowMeans.push(w.mean ? safePoint(w.mean, hb) : null);
      }
    }
  } catch (e) {
    run.error = errorText(e, 300);
    run.final = run.final && run.windows.length === plan.origins.length ? run.final : null;
  }
  return run;
}

/** Every candidate on the full history and the backtest origins; a failure is kept with its error. */
export function runCandidates(
  names: readonly string[],
  y: readonly number[],
  horizon: number,
  plan: WindowSet,
  context: ModelContext,
): CandidateRun[] {
  return names.map((name) => runCandidate(name, y, horizon, plan, context));
}

/** Absolute error of per-window forecasts against the actuals, censored actuals excluded. */
export function windowError(
  forecasts: readonly (readonly number[])[],
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
): { abs: number; count: number } {
  let abs = 0;
  let count = 0;
  plan.origins.forEach((origin, w) => {
    for (let h = 0; h < plan.horizon; h++) {
      if (censored[origin + h]) continue;
      abs += Math.abs((forecasts[w]![h] as number) - (y[origin + h] as number));
      count++;
    }
  });
  return { abs, count };
}

/** Σ forecast − Σ actual of per-window forecasts, censored actuals excluded (a fleet bias's numerator). */
export function windowSignedError(
  forecasts: readonly (readonly number[])[],
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
): number {
  if (forecasts.length !== plan.origins.length) return 0;
  let signed = 0;
  plan.origins.forEach((origin, w) => {
    for (let h = 0; h < plan.horizon; h++) {
      if (censored[origin + h]) continue;
      signed += (forecasts[w]![h] as number) - (y[origin + h] as number);
    }
  });
  return signed;
}

/** The backtest MASE of per-window forecasts (null when no actual is known). */
export function windowMase(
  forecasts: readonly (readonly number[])[],
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
  scale: number,
): number | null {
  const e = windowError(forecasts, y, censored, plan);
  return e.count > 0 ? e.abs / e.count / scale : null;
}

/** Scores every complete run (MASE over all windows) and returns them best first. */
export function rankRuns(
  runs: readonly CandidateRun[],
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
  scale: number,
): CandidateRun[] {
  const scored = runs.filter((r) => r.final && !r.error && r.windows.length === plan.origins.length);
  for (const r of scored) r.score = windowMase(r.windows, y, censored, plan, scale);
  return scored.filter((r) => r.score !== null).sort((a, b) => (a.score as number) - (b.score as number));
}
