/**
 * The data-quality verdict of a Silver build: a run whose order records are mostly quarantined has
 * nothing usable and must not end "Completed" (and register a policy); a reason above a smaller
 * share is a warning the summary shows. Messages name the top reasons with one example each.
 */
import type { ReasonCounts } from './reasonCounts';

export interface QuarantineGateInput {
  /** Order records read by Silver. */
  records: number;
  /** Of those, quarantined. */
  quarantined: number;
  reasons: ReasonCounts;
  examples: Record<string, { detail: string; raw: string }>;
}

export interface DataQualityVerdict {
  records: number;
  quarantined: number;
  /** quarantined / records (0 when nothing was read). */
  share: number;
  failed: boolean;
  /** Set when failed: why, with the top reasons and an example each. */
  message?: string;
  /** Reasons above the warning share, as sentences. */
  warnings: string[];
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

export function assessQuarantine(
  input: QuarantineGateInput,
  thresholds: { maxShare: number; warnShare: number },
  orderReasons: (reason: string) => boolean = () => true,
): DataQualityVerdict {
  const { records, quarantined } = input;
  const share = records > 0 ? quarantined / records : 0;
  const top = Object.entries(input.reasons)
    .filter(([reason]) => orderReasons(reason))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const warnings = top
    .filter(([, n]) => records > 0 && n / records > thresholds.warnShare)
    .map(
      ([reason, n]) =>
        `${reason}: ${n.toLocaleString('en-US')} of ${records.toLocaleString('en-US')} order records (${pct(n / records)}) quarantined${input.examples[reason] ? `, e.g. ${input.examples[reason].detail}` : ''}`,
    );
  const failed = records > 0 && share > thresholds.maxShare;
  const verdict: DataQualityVerdict = { records, quarantined, share, failed, warnings };
  if (failed) {
    const named = top.slice(0, 3).map(([reason, n]) => {
      const example = input.examples[reason];
      return `${reason} ×${n.toLocaleString('en-US')}${example ? ` (e.g. ${example.detail}; record ${example.raw})` : ''}`;
    });
    verdict.message =
      `Data quality: ${quarantined.toLocaleString('en-US')} of ${records.toLocaleString('en-US')} order records (${pct(share)}) were quarantined, above DEMAND_QUARANTINE_MAX_SHARE ${pct(thresholds.maxShare)}; ` +
      `nothing was forecast. Top reasons: ${named.join('; ')}. Check the source definition with \`demand sources check <definition>\`.`;
  }
  return verdict;
}
