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

/** A run's expected units: its own mean (ModelOutput.mean), its point for a mean-type model, null for a median-type one. */
function runMean(run: CandidateRun): number[] | null {
  if (!run.final || run.error) return null;
  if (run.finalMean) return run.finalMean;
  return medianTypeModels.has(run.name) ? null : run.final;
}

/**
 * Expected units per step. A mean-type forecast, or a combination of them, is its own mean; a
 * model that states its mean (the harmonic regression, whose point is a median on the log scale)
 * gives it, and a combination of such and mean-type models averages their means. With a
 * median-type member without a mean (a seasonal median), the mean is the average of every
 * candidate's mean (ETS, Theta, SBA, harmonic regression: least-squares or smoothing estimates of
 * the level); without any, the chosen forecast corrected by its backtest error.
 */
export function expectedUnits(
  chosen: string,
  point: readonly number[],
  runs: readonly CandidateRun[],
  calibration: readonly ForecastPair[],
  horizon: number,
): number[] {
  const members = chosen.replace(/^(median|mean)\((.*)\)$/, '$2').split(',');
  const byName = new Map(runs.map((r) => [r.name, r]));
  const memberRuns = members.map((m) => byName.get(m));
  // A fallback outside the candidates (seasonal naive, the mean) and mean-type choices are their own mean.
  if (memberRuns.some((r) => r === undefined) && !members.some((m) => medianTypeModels.has(m))) return point.slice();
  if (memberRuns.every((r) => r && !r.finalMean && !medianTypeModels.has(r.name))) return point.slice();
  const memberMeans = memberRuns.map((r) => (r ? runMean(r) : null));
  if (memberMeans.every((m) => m !== null)) return safePoint(combine(memberMeans, 'mean'), horizon);
  const meanType = runs.map(runMean).filter((m): m is number[] => m !== null);
  if (meanType.length) return safePoint(combine(meanType, 'mean'), horizon);
  const adjust = meanAdjustment(calibration);
  return point.map((v) => adjust(v));
}
