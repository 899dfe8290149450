/**
 * Cancellation netting: a cancellation line with a known customer is matched to the latest earlier
 * demand line with the same customer, SKU and quantity, at most `maxDaysBetween` days before it,
 * one to one. Both leave daily demand (the order never became demand); the original stays in
 * order_lines and the cancellation in cancellations, so nothing is lost.
 */
import type { DemandLines } from './demandLines';

export interface CancellationRef {
  sku: string;
  customerId: string | null;
  /** Units cancelled, as a positive number. */
  quantity: number;
  /** Epoch seconds. */
  ts: number;
}

export interface NettingResult {
  /** Demand line indexes taken out of demand. */
  nettedLines: number[];
  /** Cancellations that found an original line. */
  matched: number;
}

export function netCancellations(lines: DemandLines, cancellations: CancellationRef[], options: { maxDaysBetween: number }): NettingResult {
  const maxSeconds = options.maxDaysBetween * 86_400;
  const byKey = new Map<string, number[]>();
  cancellations.forEach((c, ci) => {
    if (c.customerId === null || c.quantity <= 0) return;
    const customer = lines.customers.find(c.customerId);
    const sku = lines.skus.find(c.sku);
    if (customer === undefined || sku === undefined) return;
    const key = `${customer}|${sku}|${c.quantity}`;
    const list = byKey.get(key);
    if (list) list.push(ci);
    else byKey.set(key, [ci]);
  });
  if (byKey.size === 0) return { nettedLines: [], matched: 0 };

  // Candidate originals per key (one pass over the columns).
  const candidates = new Map<string, number[]>();
  for (let i = 0; i < lines.length; i += 1) {
    const customer = lines.customer[i] as number;
    if (customer < 0 || lines.netted[i] === 1) continue;
    const key = `${customer}|${lines.sku[i]}|${lines.quantity[i]}`;
    if (!byKey.has(key)) continue;
    const list = candidates.get(key);
    if (list) list.push(i);
    else candidates.set(key, [i]);
  }

  const nettedLines: number[] = [];
  let matched = 0;
  for (const [key, cancelIdx] of byKey) {
    const originals = candidates.get(key);
    if (!originals) continue;
    // Earliest cancellation first; ties by position, so the result does not depend on input order.
    const sortedCancels = [...cancelIdx].sort(
      (a, b) => (cancellations[a] as CancellationRef).ts - (cancellations[b] as CancellationRef).ts || a - b,
    );
    const taken = new Set<number>();
    for (const ci of sortedCancels) {
      const cts = (cancellations[ci] as CancellationRef).ts;
      let best = -1;
      for (const li of originals) {
        const lts = lines.ts[li] as number;
        if (taken.has(li) || lts > cts || cts - lts > maxSeconds) continue;
        if (best < 0 || lts > (lines.ts[best] as number) || (lts === lines.ts[best] && li > best)) best = li;
      }
      if (best >= 0) {
        taken.add(best);
        lines.netted[best] = 1;
        nettedLines.push(best);
        matched += 1;
      }
    }
  }
  return { nettedLines, matched };
}
