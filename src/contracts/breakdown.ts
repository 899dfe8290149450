import type { ReasonCounts } from './messages';

/** Breakdowns through history keep this many keys; the rest is summed under "other". */
export const maxBreakdownKeys = 12;

/** The `max` largest counts (ties by key), the rest summed under "other": bounded, whatever the fleet. */
export function capCounts(counts: ReasonCounts, max = maxBreakdownKeys): ReasonCounts {
  const entries = Object.entries(counts);
  if (entries.length <= max) return counts;
  entries.sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const out: ReasonCounts = {};
  let other = 0;
  entries.forEach(([k, v], i) => {
    if (i < max - 1 && k !== 'other') out[k] = v;
    else other += v;
  });
  out['other'] = other;
  return out;
}

/** Adds `from` into `into`. */
export function mergeCounts(into: ReasonCounts, from: ReasonCounts): ReasonCounts {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}
