/**
 * Population Stability Index between a reference sample (the training window's demand) and a
 * recent one. Bins are the reference's quantiles, de-duplicated, so zero-heavy demand collapses to
 * few bins instead of many empty ones; empty bins get a small floor so the log stays finite.
 * Rule of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25 a real shift.
 */
export interface PsiOptions {
  /** Number of quantile bins before de-duplication (default 10). */
  bins?: number;
  /** Floor for a bin's share (default 1e-4). */
  epsilon?: number;
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

function shares(values: readonly number[], edges: readonly number[], epsilon: number): number[] {
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
  return counts.map((c) => Math.max(c / values.length, epsilon));
}

/** PSI = Σ (recent − reference) · ln(recent / reference) over bins; null when either sample is empty. */
export function populationStabilityIndex(reference: readonly number[], recent: readonly number[], options: PsiOptions = {}): number | null {
  if (reference.length === 0 || recent.length === 0) return null;
  const epsilon = options.epsilon ?? 1e-4;
  const edges = quantileEdges(reference, options.bins ?? 10);
  const expected = shares(reference, edges, epsilon);
  const actual = shares(recent, edges, epsilon);
  let psi = 0;
  for (let i = 0; i < expected.length; i++) psi += (actual[i]! - expected[i]!) * Math.log(actual[i]! / expected[i]!);
  return psi;
}
