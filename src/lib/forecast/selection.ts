import type { ForecastPair } from './conformal';
import { meanAdjustment } from './conformal';
import { modelByName } from './models/registry';
import { mean, median } from './numeric';
import { safePoint, windowMase, type CandidateRun, type WindowSet } from './rollingOrigin';
import type { CandidateScore, ModelContext, Segment } from './types';

/** How many of the best single models a combination averages. */
const comboSize = 3;
/** Relative backtest advantage a single model needs over a combination to be chosen. */
const comboMargin = 0.1;
/** The same for the median of all candidates on intermittent demand. */
const intermittentAllMargin = 0.15;

/** The forecast selection settled on: a model or a combination, with its backtest windows. */
export interface Choice {
  name: string;
  /** Its forecast per backtest window (empty when nothing was backtested). */
  windows: number[][];
  point: number[];
  params: Record<string, unknown>;
}

export function combine(forecasts: readonly (readonly number[])[], how: 'median' | 'mean'): number[] {
  const len = forecasts[0]?.length ?? 0;
  return Array.from({ length: len }, (_, i) => {
    const values = forecasts.map((f) => f[i] as number);
    return how === 'median' ? median(values) : mean(values);
  });
}

function choiceOf(run: CandidateRun): Choice {
  return { name: run.name, windows: run.windows, point: run.final as number[], params: run.params };
}

interface SelectionData {
  y: readonly number[];
  censored: readonly boolean[];
  plan: WindowSet;
  scale: number;
  segment: Segment;
}

/**
 * The best single model, unless a combination of the best few (or the median of all) scores
 * better by a margin. Backtest scores are noisy, combinations robust (M4): the margin is wider
 * for the median of all candidates on intermittent demand, where single backtests are noisiest.
 * Each combination tried is added to `candidates` with its score.
 */
function bestOfCombinations(ranked: readonly CandidateRun[], data: SelectionData, candidates: CandidateScore[]): Choice {
  const best = ranked[0] as CandidateRun;
  let chosen = choiceOf(best);
  const allMargin = data.segment === 'intermittent' ? intermittentAllMargin : comboMargin;
  let bestEffective = best.score as number;
  const combos: Array<{ how: 'median' | 'mean'; members: readonly CandidateRun[]; margin: number }> = [];
  const top = ranked.slice(0, comboSize);
  if (top.length >= 3) combos.push({ how: 'median', members: top, margin: comboMargin });
  if (top.length >= 2) combos.push({ how: 'mean', members: top, margin: comboMargin });
  if (ranked.length > comboSize) combos.push({ how: 'median', members: ranked, margin: allMargin });
  for (const { how, members, margin } of combos) {
    const windows = data.plan.origins.map((_, w) =>
      combine(
        members.map((r) => r.windows[w] as number[]),
        how,
      ),
    );
    const score = windowMase(windows, data.y, data.censored, data.plan, data.scale) ?? Infinity;
    const name = `${how}(${members.map((r) => r.name).join(',')})`;
    candidates.push({ model: name, score: Number.isFinite(score) ? score : null });
    if (score * (1 - margin) < bestEffective) {
      bestEffective = score * (1 - margin);
      chosen = {
        name,
        windows,
        point: combine(
          members.map((r) => r.final as number[]),
          how,
        ),
        params: Object.fromEntries(members.map((r) => [r.name, r.params])),
      };
    }
  }
  return chosen;
}

/** Nothing could be backtested: the first candidate that fits the full history, else seasonal naive or the mean. */
function unscoredChoice(
  runs: readonly CandidateRun[],
  y: readonly number[],
  horizon: number,
  context: ModelContext,
  reasons: string[],
): Choice {
  const fitted = runs.find((r) => r.final !== null);
  if (fitted) return { name: fitted.name, windows: [], point: fitted.final as number[], params: fitted.params };
  reasons.push('every candidate failed: seasonal naive / mean fallback');
  const fb = y.length >= context.season && context.season > 1 ? 'snaive' : 'mean';
  return { name: fb, windows: [], point: safePoint(modelByName(fb).forecast(y, horizon, context).point, horizon), params: {} };
}

/** Picks the forecast from the ranked backtest runs (see bestOfCombinations), or an unscored fallback. */
export function chooseForecast(
  ranked: readonly CandidateRun[],
  runs: readonly CandidateRun[],
  data: SelectionData,
  horizon: number,
  context: ModelContext,
  candidates: CandidateScore[],
  reasons: string[],
): Choice {
  if (ranked.length >= 2) return bestOfCombinations(ranked, data, candidates);
  if (ranked.length === 1) return choiceOf(ranked[0] as CandidateRun);
  if (data.plan.origins.length === 0) reasons.push('history too short to backtest: no selection, no backtest metrics');
  return unscoredChoice(runs, data.y, horizon, context, reasons);
}

/** Models whose forecast estimates a median (what absolute-error selection rewards), not a mean, and that give no mean of their own. */
const medianTypeModels = new Set(['smedian', 'zero']);

/** Models with a yearly term of their own: they do not borrow the fleet's year-ago movement. */
const yearlyModels = new Set(['prophet', 'autoarima_x', 'mstl']);

function hasYearlyTerm(run: CandidateRun): boolean {
  return yearlyModels.has(run.name) || Number(run.params['yearlyTerms']) > 0;
}

/** A run's expected units: its own mean (ModelOutput.mean), its point for a mean-type model, null for a median-type one; × the fleet's year-ago ratio unless it has a yearly term. */
function runMean(run: CandidateRun, yearly: number | null, weekly: readonly number[] | null): number[] | null {
  if (!run.final || run.error) return null;
  let own = run.finalMean ?? (medianTypeModels.has(run.name) ? null : run.final);
  if (own && yearly !== null && !hasYearlyTerm(run)) own = own.map((v) => v * yearly);
  return own && weekly ? shapedIfFlat(own, weekly) : own;
}

/** A flat level (Croston-type, SES) spread over the days of the week by `weekly`; any other forecast as it is. */
function shapedIfFlat(mean: readonly number[], weekly: readonly number[]): number[] {
  const lo = Math.min(...mean);
  const hi = Math.max(...mean);
  if (!(hi > 0) || hi - lo > 1e-9 * hi) return mean.slice();
  return mean.map((v, h) => v * (weekly[h] ?? 1));
}

/**
 * Expected units of the chosen forecast per backtest window, by the same rules as expectedUnits
 * applied to each window's fits (their own means, the window's weekday shape and fleet year-ago
 * ratio at that origin, and a backtest-error correction from the other windows only): the
 * forecasts the mean's backtest bias is measured on. Empty when the choice has no backtest windows.
 */
export function windowExpectedUnits(
  chosen: Pick<Choice, 'name' | 'windows'>,
  runs: readonly CandidateRun[],
  plan: { origins: readonly number[]; horizon: number },
  at: (origin: number, window: number) => { yearly: number | null; weekly: readonly number[] | null; calibration: readonly ForecastPair[] },
): number[][] {
  if (chosen.windows.length !== plan.origins.length) return [];
  return plan.origins.map((origin, w) => {
    const windowRuns = runs.map((r) => ({ ...r, final: r.windows[w] ?? null, finalMean: r.windowMeans?.[w] ?? null }));
    const { yearly, weekly, calibration } = at(origin, w);
    return expectedUnits(chosen.name, chosen.windows[w] as number[], windowRuns, calibration, plan.horizon, yearly, weekly);
  });
}

/**
 * Expected units per step. A mean-type forecast, or a combination of them, is its own mean; a
 * model that states its mean (the harmonic regression, whose point is a median on the log scale)
 * gives it, and a combination of such and mean-type models averages their means. With a
 * median-type member without a mean (a seasonal median), the mean is the average of every
 * candidate's mean (ETS, Theta, SBA, harmonic regression: least-squares or smoothing estimates of
 * the level); without any, the chosen forecast corrected by its backtest error. With a fleet
 * year-ago ratio (`yearly`), the means of models without a yearly term are scaled by it; with a
 * day-of-week shape (`weekly`), flat means are spread over the week by it.
 */
export function expectedUnits(
  chosen: string,
  point: readonly number[],
  runs: readonly CandidateRun[],
  calibration: readonly ForecastPair[],
  horizon: number,
  yearly: number | null = null,
  weekly: readonly number[] | null = null,
): number[] {
  const members = chosen.replace(/^(median|mean)\((.*)\)$/, '$2').split(',');
  const byName = new Map(runs.map((r) => [r.name, r]));
  const memberRuns = members.map((m) => byName.get(m));
  const flat = (v: readonly number[]): number[] => {
    const scaled =
      yearly === null
        ? v.slice()
        : safePoint(
            v.map((x) => x * yearly),
            horizon,
          );
    return weekly ? shapedIfFlat(scaled, weekly) : scaled;
  };
  // A fallback outside the candidates (seasonal naive, the mean) and mean-type choices are their own mean.
  if (memberRuns.some((r) => r === undefined) && !members.some((m) => medianTypeModels.has(m))) return flat(point);
  const plainMeanType = (r: CandidateRun | undefined): boolean => !!r && !r.finalMean && !medianTypeModels.has(r.name);
  if (memberRuns.every(plainMeanType) && (yearly === null || memberRuns.every((r) => r && !hasYearlyTerm(r)))) return flat(point);
  const memberMeans = memberRuns.map((r) => (r ? runMean(r, yearly, weekly) : null));
  if (memberMeans.every((m) => m !== null)) return safePoint(combine(memberMeans, 'mean'), horizon);
  const meanType = runs.map((r) => runMean(r, yearly, weekly)).filter((m): m is number[] => m !== null);
  if (meanType.length) return safePoint(combine(meanType, 'mean'), horizon);
  const adjust = meanAdjustment(calibration);
  return flat(point.map((v) => adjust(v)));
}
