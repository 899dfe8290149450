/**
 * Population Stability Index between a reference sample (the training window's demand) and a
 * recent one. Bins are the reference's quantiles, de-duplicated, so zero-heavy demand collapses to
 * few bins instead of many empty ones; empty bins get a small floor so the log stays finite.
 * Rule of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25 a real shift.
 */
import { normalQuantile } from '../inventory/normalQuantile';

export interface PsiOptions {
  /** Number of quantile bins before de-duplication (default 10). */
  bins?: number;
  /** Floor for a bin's share (default 1e-4). Ignored when `smoothing` is set. */
  epsilon?: number;
  /**
   * Pseudo-count added to every bin of both samples (additive smoothing) instead of the share
   * floor. With short windows (28 recent days) one empty bin under a 1e-4 floor adds ~1.5 to the
   * PSI on its own; 0.5 per bin keeps an empty bin's weight proportionate to the sample size.
   */
  smoothing?: number;
}

/** Interior cut points: reference quantiles k/bins, k = 1…bins-1, de-duplicated, ascending. */
export function quantileEdges(reference: readonly number[], bins: number): number[] {
  const sorted = [...reference].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const value = sorted[Math.floor((sorted.length - 1) * (k / bins))];
    if (value !== undefined && (edges.length === 0 || value > edges[edges.length - 1]!)) edges.push(value);
  }
  return edges;
}

function shares(values: readonly number[], edges: readonly number[], epsilon: number, smoothing: number | undefined): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let bin = edges.length;
    for (let i = 0; i < edges.length; i++) {
      if (v <= edges[i]!) {
        bin = i;
        break;
      }
    }
    counts[bin]! += 1;
  }
  if (smoothing !== undefined) return counts.map((c) => (c + smoothing) / (values.length + smoothing * counts.length));
  return counts.map((c) => Math.max(c / values.length, epsilon));
}

/** PSI = Σ (recent − reference) · ln(recent / reference) over bins; null when either sample is empty. */
export function populationStabilityIndex(reference: readonly number[], recent: readonly number[], options: PsiOptions = {}): number | null {
  if (reference.length === 0 || recent.length === 0) return null;
  const epsilon = options.epsilon ?? 1e-4;
  const edges = quantileEdges(reference, options.bins ?? 10);
  const expected = shares(reference, edges, epsilon, options.smoothing);
  const actual = shares(recent, edges, epsilon, options.smoothing);
  let psi = 0;
  for (let i = 0; i < expected.length; i++) psi += (actual[i]! - expected[i]!) * Math.log(actual[i]! / expected[i]!);
  return psi;
}

/** Bins a PSI over `reference` will use: its de-duplicated quantile edges + 1. */
export function psiBinCount(reference: readonly number[], bins: number): number {
  return quantileEdges(reference, bins).length + 1;
}

/**
 * The PSI a sample pair of these sizes exceeds with probability `alpha` when nothing changed.
 * PSI is the symmetrised Kullback–Leibler divergence (Jeffreys); for two samples of one
 * distribution over B bins it is asymptotically (1/n + 1/m) · χ²(B − 1). The χ² quantile uses the
 * Wilson–Hilferty approximation (within 1% of tables for these degrees of freedom). So a 28-day
 * window against 84 days needs a PSI above ~0.3–0.6 (by bins) to be "drift" at alpha = 0.01,
 * where a fixed 0.25 flags about a third of a stable fleet.
 */
export function psiCriticalValue(referenceSize: number, recentSize: number, bins: number, alpha: number): number | null {
  if (referenceSize <= 0 || recentSize <= 0 || bins < 2) return null;
  const k = bins - 1;
  const z = normalQuantile(1 - alpha);
  const h = 2 / (9 * k);
  const chi2 = k * Math.pow(1 - h + z * Math.sqrt(h), 3);
  return (1 / referenceSize + 1 / recentSize) * chi2;
}

/**
 * A sample kept as counts per distinct value: the fleet's pooled daily units come to a few hundred
 * distinct values, so the pooled PSI needs no array of every SKU-day.
 */
export class ValueCounts {
  private readonly counts = new Map<number, number>();
  private total = 0;

  add(value: number, count = 1): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + count);
    this.total += count;
  }

  get size(): number {
    return this.total;
  }

  /** Distinct values ascending, each with its count. */
  sorted(): Array<[number, number]> {
    return [...this.counts].sort((a, b) => a[0] - b[0]);
  }
}

/** quantileEdges over counted values: the same edges as over the expanded, sorted sample. */
function quantileEdgesOfCounts(sorted: ReadonlyArray<[number, number]>, size: number, bins: number): number[] {
  const edges: number[] = [];
  let index = 0;
  let upTo = 0; // values[0..upTo) are covered by sorted[0..index)
  for (let k = 1; k < bins; k++) {
    const at = Math.floor((size - 1) * (k / bins));
    while (index < sorted.length && upTo + sorted[index]![1] <= at) upTo += sorted[index++]![1];
    const value = sorted[index]?.[0];
    if (value !== undefined && (edges.length === 0 || value > edges[edges.length - 1]!)) edges.push(value);
  }
  return edges;
}

function sharesOfCounts(sorted: ReadonlyArray<[number, number]>, size: number, edges: readonly number[], epsilon: number): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const [v, c] of sorted) {
    let bin = edges.length;
    for (let i = 0; i < edges.length; i++) {
      if (v <= edges[i]!) {
        bin = i;
        break;
      }
    }
    counts[bin]! += c;
  }
  return counts.map((c) => Math.max(c / size, epsilon));
}

/** populationStabilityIndex (share floor, no smoothing) of two counted samples: equal to it on the expanded samples. */
export function populationStabilityIndexOfCounts(
  reference: ValueCounts,
  recent: ValueCounts,
  options: Omit<PsiOptions, 'smoothing'> = {},
): number | null {
  if (reference.size === 0 || recent.size === 0) return null;
  const epsilon = options.epsilon ?? 1e-4;
  const ref = reference.sorted();
  const rec = recent.sorted();
  const edges = quantileEdgesOfCounts(ref, reference.size, options.bins ?? 10);
  const expected = sharesOfCounts(ref, reference.size, edges, epsilon);
  const actual = sharesOfCounts(rec, recent.size, edges, epsilon);
  let psi = 0;
  for (let i = 0; i < expected.length; i++) psi += (actual[i]! - expected[i]!) * Math.log(actual[i]! / expected[i]!);
  return psi;
}
