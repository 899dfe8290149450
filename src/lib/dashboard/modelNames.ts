/**
 * Model names as planners read them. Ensembles are recorded in the order their members won the
 * backtest (`median(smedian,ets,snaive)`), so the same combination appears under several names;
 * the canonical name sorts the members, and each model belongs to a family a planner recognises.
 */

const ensemblePattern = /^(\w+)\((.*)\)$/;

/** `median(smedian,ets,snaive)` → `median(ets,smedian,snaive)`; single models unchanged. */
export function canonicalModelName(name: string): string {
  const match = ensemblePattern.exec(name.trim());
  if (!match) return name.trim();
  const members = splitMembers(match[2]!).map(canonicalModelName).sort();
  return `${match[1]}(${members.join(',')})`;
}

/** Splits on top-level commas only (members may themselves be combinations). */
function splitMembers(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth += 1;
    if (c === ')') depth -= 1;
    if (c === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

const families: Array<[RegExp, string]> = [
  [/^(median|mean|ensemble)\(/, 'Ensemble'],
  // `pooled`: a sparse SKU's rate shrunk towards the fleet's sparse SKUs (shown raw as "pooled 732" on Online Retail).
  [/^(croston|sba|tsb|adida|imapa|pooled)/, 'Intermittent demand'],
  [/^(ets|theta|ses|holt)/, 'Exponential smoothing'],
  [/arima/, 'ARIMA'],
  [/^(mstl|harmonic|prophet|fourier)/, 'Seasonal decomposition'],
  [/^(snaive|naive|smedian|mean|zero|drift)$/, 'Baseline'],
];

/** The family of a (canonical or raw) model name; unknown names are their own family. */
export function modelFamily(name: string): string {
  const n = name.trim().toLowerCase();
  for (const [pattern, family] of families) if (pattern.test(n)) return family;
  return n || 'unknown';
}
