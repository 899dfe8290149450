import type { DemandProfile } from './classify';
import { forecastModels, modelByName } from './models/registry';

/** The default candidate set for a SKU, from its demand class and history. */
export function defaultCandidates(profile: DemandProfile, n: number, season: number, isDaily: boolean): string[] {
  const seasonalOk = season > 1 && n >= 2 * season + 2;
  if (profile.demandClass === 'intermittent' || profile.demandClass === 'lumpy') {
    // With a weekly pattern (e.g. no trade on some weekday), flat Croston-type rates waste it:
    // seasonal and median-type candidates with SBA as the intermittent representative do better.
    if (!seasonalOk) return ['croston', 'sba', 'tsb', 'adida', 'ets', 'naive'];
    return profile.demandClass === 'intermittent'
      ? ['smedian', 'theta', 'ets', 'harmonic_smooth', 'sba', 'croston', 'tsb']
      : ['smedian', 'theta', 'ets', 'harmonic_smooth', 'sba'];
  }
  // Long daily histories: the log-linear weekly×yearly regressions dominate there (ETS and MSTL
  // were far behind on the store benchmark at several times the cost), so they are left out.
  if (isDaily && season > 1 && n >= 2 * 365) return ['harmonic', 'harmonic_smooth', 'theta', 'snaive'];
  const out = ['ets', 'theta'];
  if (seasonalOk) out.push('snaive');
  else out.push('naive');
  if (seasonalOk) out.push('smedian');
  if (seasonalOk && isDaily) out.push('harmonic', 'harmonic_smooth');
  return out;
}

/**
 * The candidates that will run: the requested ones (or the defaults), without unknown names and
 * those the history is too short for; seasonal naive (or naive) when none is left. Each dropped
 * name is a reason.
 */
export function usableCandidates(
  requested: readonly string[] | undefined,
  defaults: () => string[],
  n: number,
  season: number,
  horizon: number,
  reasons: string[],
): string[] {
  let names = requested?.length ? [...requested] : defaults();
  const unknown = names.filter((name) => !forecastModels.has(name));
  if (unknown.length) reasons.push(`unknown model(s) ignored: ${unknown.join(', ')}`);
  names = names.filter((name) => forecastModels.has(name));
  if (n < 2 * season) reasons.push(`short history (${n} < 2 seasons)`);
  const usable = names.filter((name) => modelByName(name).minLength(season, horizon) <= n);
  if (usable.length < names.length) reasons.push(`too short for: ${names.filter((x) => !usable.includes(x)).join(', ')}`);
  if (usable.length === 0) usable.push(n >= season && season > 1 ? 'snaive' : 'naive');
  return usable;
}
