/** Small numeric helpers shared by the models (no dependency carries these for plain arrays). */

export function sum(x: readonly number[]): number {
  let s = 0;
  for (const v of x) s += v;
  return s;
}

export function mean(x: readonly number[]): number {
  return x.length === 0 ? 0 : sum(x) / x.length;
}

export function variance(x: readonly number[]): number {
  if (x.length < 2) return 0;
  const m = mean(x);
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  return s / (x.length - 1);
}

/** Linear-interpolated quantile (R type 7). */
export function quantile(x: readonly number[], p: number): number {
  return quantileSorted(
    [...x].sort((a, b) => a - b),
    p,
  );
}

/** quantile() of an already ascending array (no copy, no sort). */
export function quantileSorted(s: readonly number[], p: number): number {
  if (s.length === 0) return 0;
  const h = (s.length - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return (s[lo] as number) + (h - lo) * ((s[hi] as number) - (s[lo] as number));
}

export function median(x: readonly number[]): number {
  return quantile(x, 0.5);
}

export interface NelderMeadResult {
  x: number[];
  value: number;
  evaluations: number;
}

/**
 * Nelder–Mead simplex minimiser (standard coefficients). Models transform their bounded
 * parameters to an unbounded space or return Infinity outside the admissible region.
 */
export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  options: { step?: number[]; maxEvaluations?: number; tolerance?: number } = {},
): NelderMeadResult {
  const n = x0.length;
  const maxEvaluations = options.maxEvaluations ?? 200 * n;
  const tolerance = options.tolerance ?? 1e-8;
  let evaluations = 0;
  const evaluate = (x: number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Number.MAX_VALUE;
  };
  const simplex: number[][] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const p = x0.slice();
    const step = options.step?.[i] ?? (Math.abs(p[i] as number) > 1e-8 ? 0.1 * Math.abs(p[i] as number) : 0.05);
    p[i] = (p[i] as number) + step;
    simplex.push(p);
  }
  let values = simplex.map(evaluate);
  while (evaluations < maxEvaluations) {
    const order = values.map((v, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
    const s = order.map((i) => simplex[i] as number[]);
    const v = order.map((i) => values[i] as number);
    simplex.splice(0, simplex.length, ...s);
    values = v;
    const best = values[0] as number;
    const worst = values[n] as number;
    if (Math.abs(worst - best) <= tolerance * (Math.abs(best) + tolerance)) break;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] = (centroid[j] as number) + (simplex[i]![j] as number) / n;
    const along = (t: number): number[] => centroid.map((c, j) => c + t * ((simplex[n]![j] as number) - c));
    const reflected = along(-1);
    const fr = evaluate(reflected);
    if (fr < best) {
      const expanded = along(-2);
      const fe = evaluate(expanded);
      if (fe < fr) {
        simplex[n] = expanded;
        values[n] = fe;
      } else {
        simplex[n] = reflected;
        values[n] = fr;
      }
    } else if (fr < (values[n - 1] as number)) {
      simplex[n] = reflected;
      values[n] = fr;
    } else {
      const contracted = fr < worst ? along(-0.5) : along(0.5);
      const fc = evaluate(contracted);
      if (fc < Math.min(fr, worst)) {
        simplex[n] = contracted;
        values[n] = fc;
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i]!.map((x, j) => (simplex[0]![j] as number) + 0.5 * (x - (simplex[0]![j] as number)));
          values[i] = evaluate(simplex[i] as number[]);
        }
      }
    }
  }
  let bi = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) < (values[bi] as number)) bi = i;
  return { x: simplex[bi] as number[], value: values[bi] as number, evaluations };
}

/**
 * Solves (A + ridge·I) x = b by Cholesky, where only the lower triangle of the p×p row-major A is
 * read. A is not modified.
 */
export function solveNormalEquations(a: Float64Array, b: Float64Array, p: number, ridge: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let s = (a[j * p + j] as number) + ridge;
    for (let k = 0; k < j; k++) s -= (l[j * p + k] as number) ** 2;
    const d = Math.sqrt(Math.max(s, 1e-300));
    l[j * p + j] = d;
    for (let i = j + 1; i < p; i++) {
      let t = a[i * p + j] as number;
      for (let k = 0; k < j; k++) t -= (l[i * p + k] as number) * (l[j * p + k] as number);
      l[i * p + j] = t / d;
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * p + k] as number) * (z[k] as number);
    z[i] = s / (l[i * p + i] as number);
  }
  const beta = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < p; k++) s -= (l[k * p + i] as number) * (beta[k] as number);
    beta[i] = s / (l[i * p + i] as number);
  }
  return beta;
}

/** Day of week (0 = Sunday) of a YYYY-MM-DD date, or null when it does not parse. */
export function dayOfWeek(isoDate: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) return null;
  const t = Date.parse(`${isoDate}T00:00:00Z`);
  return Number.isFinite(t) ? new Date(t).getUTCDay() : null;
}
