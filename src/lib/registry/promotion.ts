import { RegistryNotFoundError, ValidationError } from '../errors';
import type { EntityStore } from '../tables/entityStore';
import { entityKey } from '../tables/entityKey';
import { challengerAlias, championAlias, productionAlias, type ModelVersion, type Tracker } from '../tracking/tracker';
import { decidePromotion, type PolicyEvidence, type PromotionDecision } from './decision';
import { runParamNames } from './policyMetrics';

/** Entity table holding one decision record per gate evaluation. */
export const decisionsTableName = 'decisions';

export interface PromoteOptions {
  tracker: Tracker;
  entities: EntityStore;
  modelName: string;
  version: string;
  /** Only "production" is a promotion target; other aliases are set directly. */
  to: string;
  margin: number;
  segmentTolerance: number;
  /** ISO timestamp of the decision (defaults to now). */
  decidedAt?: string;
  /** Evaluate and record the decision but move no alias (the release pipeline's gate before approval). */
  dryRun?: boolean;
  abortSignal?: AbortSignal;
}

export interface PromotionOutcome {
  decision: PromotionDecision;
  /** True when this call moved the production alias. */
  promoted: boolean;
  decidedAt: string;
  /** Row key of the decision record in the `decisions` table (partition = model name). */
  recordKey: string;
}

async function evidenceFor(tracker: Tracker, version: ModelVersion, options: { abortSignal?: AbortSignal }): Promise<PolicyEvidence> {
  const run = version.runId ? await tracker.getRun(version.runId, options) : undefined;
  return { version: version.version, metrics: run?.metrics ?? {}, windowKey: run?.params[runParamNames.backtestWindowKey] };
}

/**
 * Runs the promotion gate for one version: compares it with the current production version,
 * writes the decision record (entity table + tags on the version), and on approval moves the
 * `production` and `champion` aliases to it (unless `dryRun`). A refusal changes no alias.
 */
export async function promotePolicy(options: PromoteOptions): Promise<PromotionOutcome> {
  const { tracker, modelName, version } = options;
  if (options.to !== productionAlias) throw new ValidationError('to', `Promotion target must be "${productionAlias}", got "${options.to}"`);
  const signal = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  const candidate = await tracker.getModelVersion(modelName, version, signal);
  if (!candidate) throw new RegistryNotFoundError(`Version ${version} of ${modelName}`);
  const production = await tracker.getVersionByAlias(modelName, productionAlias, signal);

  const decision = decidePromotion({
    candidate: await evidenceFor(tracker, candidate, signal),
    production: production ? await evidenceFor(tracker, production, signal) : undefined,
    margin: options.margin,
    segmentTolerance: options.segmentTolerance,
  });
  const decidedAt = options.decidedAt ?? new Date().toISOString();
  const recordKey = entityKey(`${decidedAt}-v${candidate.version}${options.dryRun ? '-dryrun' : ''}`);

  const decisions = await options.entities.table(decisionsTableName);
  await decisions.upsert(
    {
      partitionKey: entityKey(modelName),
      rowKey: recordKey,
      modelName,
      candidateVersion: candidate.version,
      productionVersion: decision.productionVersion,
      target: options.to,
      dryRun: options.dryRun ?? false,
      approved: decision.approved,
      reason: decision.reason,
      margin: decision.margin,
      segmentTolerance: decision.segmentTolerance,
      decidedAt,
      figures: JSON.stringify(decision.figures),
      reasons: JSON.stringify(decision.reasons),
    },
    signal,
  );
  const tags: Record<string, string> = {
    'promotion.decision': decision.approved ? 'approved' : 'refused',
    'promotion.reason': decision.reason,
    'promotion.decided_at': decidedAt,
    'promotion.against': decision.productionVersion ?? 'none',
    'promotion.dry_run': String(options.dryRun ?? false),
    'promotion.summary': decision.reasons.join('; ').slice(0, 4000),
  };
  for (const [key, value] of Object.entries(tags)) await tracker.setModelVersionTag(modelName, candidate.version, key, value, signal);

  let promoted = false;
  if (decision.approved && decision.reason !== 'already_production' && !options.dryRun) {
    await tracker.setAlias(modelName, productionAlias, candidate.version, signal);
    await tracker.setAlias(modelName, championAlias, candidate.version, signal);
    const challenger = await tracker.getVersionByAlias(modelName, challengerAlias, signal);
    if (challenger?.version === candidate.version) await tracker.deleteAlias(modelName, challengerAlias, signal);
    promoted = true;
  }
  return { decision, promoted, decidedAt, recordKey };
}

/** Decision records of a model, oldest first. */
export async function listDecisions(entities: EntityStore, modelName: string): Promise<Array<Record<string, unknown>>> {
  const table = await entities.table(decisionsTableName);
  const out: Array<Record<string, unknown>> = [];
  for await (const row of table.list({ partitionKey: entityKey(modelName) })) {
    out.push({ ...row, figures: JSON.parse(String(row['figures'])), reasons: JSON.parse(String(row['reasons'])) });
  }
  return out;
}
