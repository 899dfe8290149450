import { primaryMetric, segmentMetricKey, segmentsIn } from './policyMetrics';

export interface PolicyEvidence {
  version: string;
  metrics: Record<string, number>;
  /** backtest.window_key of the version's run; undefined when it was not recorded. */
  windowKey: string | undefined;
}

export type PromotionReason =
  'no_production' | 'already_production' | 'better' | 'worse' | 'segment_regression' | 'not_comparable' | 'missing_metrics';

export interface PromotionFigure {
  metric: string;
  candidate: number | null;
  production: number | null;
  /** The value the candidate had to stay at or under. */
  limit: number | null;
  rule: string;
  passed: boolean;
}

export interface PromotionDecision {
  approved: boolean;
  reason: PromotionReason;
  candidateVersion: string;
  productionVersion: string | null;
  margin: number;
  segmentTolerance: number;
  figures: PromotionFigure[];
  /** One line per failed check (or the approval basis), figure by figure. */
  reasons: string[];
}

const fmt = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(4));

/**
 * The promotion gate, pure. The candidate must beat production's WAPE by `margin` (relative:
 * candidate ≤ production × (1 − margin)) on the same backtest windows, and no segment's WAPE may
 * exceed production's by more than `segmentTolerance` (relative). With no production yet, any
 * candidate with metrics is approved.
 */
export function decidePromotion(input: {
  candidate: PolicyEvidence;
  production: PolicyEvidence | undefined;
  margin: number;
  segmentTolerance: number;
}): PromotionDecision {
  const { candidate, production, margin, segmentTolerance } = input;
  const base = { candidateVersion: candidate.version, productionVersion: production?.version ?? null, margin, segmentTolerance };
  const candidatePrimary = candidate.metrics[primaryMetric];
  if (candidatePrimary === undefined) {
    return {
      ...base,
      approved: false,
      reason: 'missing_metrics',
      figures: [],
      reasons: [`candidate version ${candidate.version} has no ${primaryMetric} metric on its run`],
    };
  }
  if (!production) {
    return {
      ...base,
      approved: true,
      reason: 'no_production',
      figures: [
        {
          metric: primaryMetric,
          candidate: candidatePrimary,
          production: null,
          limit: null,
          rule: 'no production version yet',
          passed: true,
        },
      ],
      reasons: [`no production version yet: version ${candidate.version} (${primaryMetric} ${fmt(candidatePrimary)}) becomes production`],
    };
  }
  if (production.version === candidate.version) {
    return {
      ...base,
      approved: true,
      reason: 'already_production',
      figures: [],
      reasons: [`version ${candidate.version} is already production`],
    };
  }
  if (candidate.windowKey !== production.windowKey) {
    return {
      ...base,
      approved: false,
      reason: 'not_comparable',
      figures: [],
      reasons: [
        `backtest windows differ: candidate ${candidate.windowKey ?? '(unrecorded)'} vs production ${production.windowKey ?? '(unrecorded)'}; ` +
          'backtest both policies on the same windows (a challenger run) before promoting',
      ],
    };
  }
  const productionPrimary = production.metrics[primaryMetric];
  if (productionPrimary === undefined) {
    return {
      ...base,
      approved: false,
      reason: 'missing_metrics',
      figures: [],
      reasons: [`production version ${production.version} has no ${primaryMetric} metric on its run`],
    };
  }

  const figures: PromotionFigure[] = [];
  const primaryLimit = productionPrimary * (1 - margin);
  figures.push({
    metric: primaryMetric,
    candidate: candidatePrimary,
    production: productionPrimary,
    limit: primaryLimit,
    rule: `candidate ≤ production × (1 − ${margin})`,
    passed: candidatePrimary <= primaryLimit,
  });
  for (const segment of segmentsIn(production.metrics)) {
    const key = segmentMetricKey(segment, primaryMetric);
    const prod = production.metrics[key] ?? null;
    const cand = candidate.metrics[key] ?? null;
    const limit = prod === null ? null : prod * (1 + segmentTolerance);
    figures.push({
      metric: key,
      candidate: cand,
      production: prod,
      limit,
      rule: `candidate ≤ production × (1 + ${segmentTolerance})`,
      passed: cand !== null && limit !== null && cand <= limit,
    });
  }

  const failed = figures.filter((f) => !f.passed);
  const reasons = failed.length
    ? failed.map((f) =>
        f.candidate === null
          ? `${f.metric}: candidate has no figure (production ${fmt(f.production)})`
          : `${f.metric}: candidate ${fmt(f.candidate)} > limit ${fmt(f.limit)} (production ${fmt(f.production)}; rule ${f.rule})`,
      )
    : figures.map((f) => `${f.metric}: candidate ${fmt(f.candidate)} ≤ limit ${fmt(f.limit)} (production ${fmt(f.production)})`);
  const primaryFailed = failed.some((f) => f.metric === primaryMetric);
  return {
    ...base,
    approved: failed.length === 0,
    reason: failed.length === 0 ? 'better' : primaryFailed ? 'worse' : 'segment_regression',
    figures,
    reasons,
  };
}
