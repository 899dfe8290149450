/**
 * Warm start of model selection: a SKU whose demand profile did not change since its last full
 * selection re-uses what was chosen then: only that choice's members are fitted and backtested
 * (the backtest still calibrates the quantiles and gives the metrics). A single model is kept; a
 * combination is re-ranked among its own members on today's windows (single, median or mean of
 * them, by the usual rules): on the store and sample hold-outs (bench warm-start) keeping the old
 * combination as is lost 2% WAPE to full selection, re-ranking its members lost nothing.
 * Full selection runs again on a schedule, on drift, or when the profile changes; deciding that is
 * the planner's job (pipeline/warmStartRecords.ts), checking the profile is this module's.
 */
import type { DemandProfile } from './classify';

/** The stored choice handed to a SKU's forecast: the model name as chosen and the profile it was chosen for. */
export interface WarmStart {
  /** A model name ('ets') or a combination as forecastSeries names them ('median(ets,theta,snaive)'). */
  model: string;
  /** profileKeyOf at the time of the full selection. */
  profileKey: string;
}

/** What a forecast reports about its selection: written to the warm-start record of the run. */
export interface SelectionInfo {
  /** full: every candidate backtested; warm: the stored choice re-fitted. */
  mode: 'full' | 'warm';
  profileKey: string;
}

/** Demand class, segment and the candidate pool they lead to: when any changes, the old choice is stale. */
export function profileKeyOf(profile: Pick<DemandProfile, 'demandClass' | 'segment'>, candidates: readonly string[]): string {
  return `${profile.demandClass}/${profile.segment}/${candidates.join(',')}`;
}

export interface WarmPlan {
  model: string;
  how: 'median' | 'mean' | null;
  members: string[];
}

/** Parses a stored choice; null when it is not one forecastSeries could have made. */
export function parseWarmModel(model: string): WarmPlan | null {
  const combo = /^(median|mean)\(([a-z0-9_,]+)\)$/.exec(model);
  if (combo) {
    const members = (combo[2] as string).split(',').filter((m) => m.length > 0);
    return members.length >= 2 ? { model, how: combo[1] as 'median' | 'mean', members } : null;
  }
  return /^[a-z0-9_]+$/.test(model) ? { model, how: null, members: [model] } : null;
}

/**
 * The warm plan for a SKU, or null (full selection) when there is no stored choice, the profile
 * changed, or a member is not a model of this build (`known`).
 */
export function warmPlanFor(warm: WarmStart | undefined, profileKey: string, known: (name: string) => boolean): WarmPlan | null {
  if (!warm || warm.profileKey !== profileKey) return null;
  const plan = parseWarmModel(warm.model);
  return plan && plan.members.every(known) ? plan : null;
}
