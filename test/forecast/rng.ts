/** Deterministic standard normal draws (mulberry32 + Box–Muller). */
export function normalRng(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

/** A Poisson draw by inverse CDF on one uniform of `u`. */
export function poissonDraw(u: () => number, lambda: number): number {
  const target = u();
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  while (cdf < target && k < 1000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}
