/**
 * The cleansing rule set: a versioned JSON document (rules/online-retail.v1.json) validated with
 * zod, so the rules live in data that is reviewed and versioned, not in code.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import defaultRuleSetJson from './rules/online-retail.v1.json';
import orderStatusRuleSetJson from './rules/order-status.v1.json';

/** `Status` is the canonical line's status (placed, cancelled, returned); null for Online Retail API records. */
const ruleFields = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'UnitPrice', 'CustomerID', 'Country', 'Status'] as const;
export type RuleField = (typeof ruleFields)[number];

const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'rule id must be snake_case'),
    why: z.string().optional(),
    field: z.enum(ruleFields),
    /** Regular expressions (case-insensitive) tested against the normalised text value. */
    matches: z.array(z.string().min(1)).min(1).optional(),
    /** Matches when the numeric value is <= atMost. */
    atMost: z.number().optional(),
    action: z.enum(['quarantine', 'cancellation']),
  })
  .refine((r) => (r.matches === undefined) !== (r.atMost === undefined), {
    message: 'a rule needs exactly one of "matches" or "atMost"',
  });

export const ruleSetSchema = z.object({
  name: z.string().min(1),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version must be semver, e.g. 1.0.0'),
  description: z.string().optional(),
  rules: z.array(ruleSchema).min(1),
  duplicates: z.object({
    policy: z.enum(['quarantine', 'keep']),
    reason: z.string().min(1).default('duplicate_line'),
    why: z.string().optional(),
  }),
  netting: z.object({
    enabled: z.boolean(),
    /** At most 28 so a cancellation only reaches back into its own or the previous month (incremental context). */
    maxDaysBetween: z.number().int().min(0).max(28),
    why: z.string().optional(),
  }),
  canonicalDescription: z.object({
    policy: z.literal('most_frequent'),
    tieBreak: z.enum(['latest', 'earliest']),
  }),
});

export type RuleSetDocument = z.infer<typeof ruleSetSchema>;

export interface CompiledRule {
  id: string;
  field: RuleField;
  action: 'quarantine' | 'cancellation';
  test: (value: string | number | null) => boolean;
}

export interface RuleSet {
  /** `<name>@<version>`, recorded on every quarantine row. */
  versionTag: string;
  document: RuleSetDocument;
  rules: CompiledRule[];
}

function compileRule(rule: RuleSetDocument['rules'][number]): CompiledRule {
  if (rule.matches) {
    const patterns = rule.matches.map((p) => {
      try {
        return new RegExp(p, 'i');
      } catch (err) {
        throw new ValidationError(`rules.${rule.id}.matches`, `Rule ${rule.id} has an invalid pattern ${JSON.stringify(p)}`, {
          cause: err,
        });
      }
    });
    // One alternation instead of a test per pattern: a rule with fifteen codes runs once per line.
    const any = new RegExp(patterns.map((re) => `(?:${re.source})`).join('|'), 'i');
    return {
      id: rule.id,
      field: rule.field,
      action: rule.action,
      test: (value) => value !== null && any.test(String(value)),
    };
  }
  const atMost = rule.atMost as number;
  return {
    id: rule.id,
    field: rule.field,
    action: rule.action,
    test: (value) => typeof value === 'number' && value <= atMost,
  };
}

/** Validates a rule set document; throws ValidationError naming the first bad field. */
export function ruleSetFromJson(json: unknown): RuleSet {
  const parsed = ruleSetSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.join('.') : 'ruleSet';
    throw new ValidationError(field || 'ruleSet', `Invalid cleansing rule set at "${field}": ${issue?.message ?? 'bad value'}`);
  }
  const ids = new Set<string>();
  for (const rule of parsed.data.rules) {
    if (ids.has(rule.id)) throw new ValidationError('rules.id', `Rule id "${rule.id}" appears twice in the rule set`);
    ids.add(rule.id);
  }
  return {
    versionTag: `${parsed.data.name}@${parsed.data.version}`,
    document: parsed.data,
    rules: parsed.data.rules.map(compileRule),
  };
}

/** The rule set shipped with the project (rules/online-retail.v1.json). */
export function defaultRuleSet(): RuleSet {
  return ruleSetFromJson(defaultRuleSetJson);
}

export const ruleSetNames = ['online-retail', 'order-status'] as const;
export type RuleSetName = (typeof ruleSetNames)[number];

/**
 * The rule set a source uses: `online-retail` (invoice-prefix rules, the UCI data's conventions)
 * for that preset only, `order-status` (the canonical status decides) for every other source.
 */
export function ruleSetByName(name: RuleSetName): RuleSet {
  return name === 'online-retail' ? defaultRuleSet() : ruleSetFromJson(orderStatusRuleSetJson);
}
