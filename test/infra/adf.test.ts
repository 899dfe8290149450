/**
 * adf/ (Data Factory Git layout) against the resource shapes in Microsoft's Data Factory docs
 * (pipeline, activities, datasets, linked services, schedule trigger), plus reference resolution:
 * dependsOn, activity(), dataset/linked-service references and their parameters, pipeline and
 * global parameters, and the WebHook settings the orchestrator callback relies on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { settingsSchema } from '../../src/lib/config/settings';
import { objectEntries, propertyBody, readBicep } from './bicepText';

const repoRoot = path.resolve(__dirname, '../..');
const adfDir = path.join(repoRoot, 'adf');

const expression = z.object({ value: z.string().startsWith('@'), type: z.literal('Expression') }).strict();
const stringOrExpr = z.union([z.string(), expression]);
const parameterSpec = z
  .object({
    type: z.enum(['String', 'Int', 'Float', 'Bool', 'Array', 'Object', 'SecureString']),
    defaultValue: z.unknown().optional(),
  })
  .strict();
const parameters = z.record(z.string(), parameterSpec);
const reference = (type: string) =>
  z
    .object({
      referenceName: z.string().min(1),
      type: z.literal(type),
      parameters: z.record(z.string(), z.unknown()).optional(),
    })
    .strict();
// ADF activity names: up to 55 characters, none of . + ? / < > * % & : \
const activityName = z
  .string()
  .min(1)
  .max(55)
  .regex(/^[^.+?/<>*%&:\\]+$/);
const timeSpan = z.string().regex(/^(\d+\.)?\d{2}:\d{2}:\d{2}$/);
const policy = z
  .object({
    timeout: timeSpan.optional(),
    retry: z.number().int().min(0).optional(),
    retryIntervalInSeconds: z.number().int().min(30).max(86400).optional(),
    secureInput: z.boolean().optional(),
    secureOutput: z.boolean().optional(),
  })
  .strict();
const activityBase = {
  name: activityName,
  description: z.string().optional(),
  dependsOn: z
    .array(
      z
        .object({
          activity: z.string(),
          dependencyConditions: z.array(z.enum(['Succeeded', 'Failed', 'Skipped', 'Completed'])).min(1),
        })
        .strict(),
    )
    .optional(),
  userProperties: z.array(z.unknown()).optional(),
  policy: policy.optional(),
};
type Activity = {
  name: string;
  type: string;
  dependsOn?: Array<{ activity: string }>;
  typeProperties: Record<string, unknown>;
  inputs?: unknown[];
  outputs?: unknown[];
};
const activity: z.ZodType<Activity> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z
      .object({
        ...activityBase,
        type: z.literal('WebHook'),
        typeProperties: z
          .object({
            method: z.literal('POST'),
            url: stringOrExpr,
            headers: z.record(z.string(), stringOrExpr).refine((h) => 'Content-Type' in h, 'Content-Type header is required'),
            body: z.union([expression, z.record(z.string(), z.unknown())]).optional(),
            timeout: timeSpan.optional(),
            reportStatusOnCallBack: z.boolean().optional(),
            authentication: z.object({ type: z.string() }).passthrough().optional(),
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        ...activityBase,
        type: z.literal('WebActivity'),
        typeProperties: z
          .object({
            method: z.enum(['GET', 'POST', 'PUT', 'DELETE']),
            url: stringOrExpr,
            headers: z.record(z.string(), stringOrExpr).optional(),
            body: z.unknown().optional(),
            authentication: z
              .object({
                type: z.enum(['Basic', 'ClientCertificate', 'MSI', 'ServicePrincipal', 'UserAssignedManagedIdentity']),
                resource: z.string().optional(),
              })
              .passthrough()
              .optional(),
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        ...activityBase,
        type: z.literal('Copy'),
        inputs: z.array(reference('DatasetReference')).length(1),
        outputs: z.array(reference('DatasetReference')).length(1),
        typeProperties: z
          .object({
            source: z
              .object({
                type: z.string().endsWith('Source'),
                storeSettings: z.object({ type: z.string().endsWith('ReadSettings') }).passthrough(),
              })
              .passthrough(),
            sink: z
              .object({
                type: z.string().endsWith('Sink'),
                storeSettings: z.object({ type: z.string().endsWith('WriteSettings') }).passthrough(),
              })
              .passthrough(),
            enableStaging: z.boolean().optional(),
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        ...activityBase,
        type: z.literal('IfCondition'),
        typeProperties: z
          .object({
            expression,
            ifTrueActivities: z.array(activity).optional(),
            ifFalseActivities: z.array(activity).optional(),
          })
          .strict(),
      })
      .strict(),
  ]),
);
const gitResource = <T extends z.ZodTypeAny>(type: string, properties: T) =>
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9_][^.+?/<>*%&:\\]{0,259}$/),
      type: z.literal(type).optional(),
      properties,
    })
    .strict();
const pipelineSchema = gitResource(
  'Microsoft.DataFactory/factories/pipelines',
  z
    .object({
      description: z.string().optional(),
      parameters: parameters.optional(),
      variables: z.record(z.string(), z.object({ type: z.enum(['String', 'Bool', 'Array']) })).optional(),
      activities: z.array(activity).min(1),
      annotations: z.array(z.unknown()).optional(),
      folder: z.object({ name: z.string() }).optional(),
    })
    .strict(),
);
const datasetSchema = gitResource(
  'Microsoft.DataFactory/factories/datasets',
  z
    .object({
      description: z.string().optional(),
      type: z.literal('Binary'),
      linkedServiceName: reference('LinkedServiceReference'),
      parameters: parameters.optional(),
      typeProperties: z
        .object({
          location: z
            .object({
              type: z.enum(['SftpLocation', 'AzureBlobFSLocation', 'AzureBlobStorageLocation']),
              fileSystem: stringOrExpr.optional(),
              container: stringOrExpr.optional(),
              folderPath: stringOrExpr.optional(),
              fileName: stringOrExpr.optional(),
            })
            .strict(),
        })
        .strict(),
      annotations: z.array(z.unknown()).optional(),
    })
    .strict(),
);
const keyVaultSecret = z
  .object({ type: z.literal('AzureKeyVaultSecret'), store: reference('LinkedServiceReference'), secretName: z.string() })
  .strict();
const linkedServiceBase = {
  description: z.string().optional(),
  parameters: parameters.optional(),
  annotations: z.array(z.unknown()).optional(),
};
const linkedServiceSchema = gitResource(
  'Microsoft.DataFactory/factories/linkedservices',
  z.discriminatedUnion('type', [
    z
      .object({ ...linkedServiceBase, type: z.literal('AzureKeyVault'), typeProperties: z.object({ baseUrl: z.string() }).strict() })
      .strict(),
    // System-assigned managed identity: url only, no accountKey / sasUri / servicePrincipal.
    z.object({ ...linkedServiceBase, type: z.literal('AzureBlobFS'), typeProperties: z.object({ url: z.string() }).strict() }).strict(),
    z
      .object({
        ...linkedServiceBase,
        type: z.literal('Sftp'),
        typeProperties: z
          .object({
            host: z.string(),
            port: z.union([z.number(), z.string()]).optional(),
            authenticationType: z.enum(['Basic', 'SshPublicKey', 'MultiFactor']),
            userName: z.string(),
            password: keyVaultSecret,
            skipHostKeyValidation: z.boolean(),
            hostKeyFingerprint: z.string().optional(),
          })
          .strict(),
      })
      .strict(),
  ]),
);
const triggerSchema = gitResource(
  'Microsoft.DataFactory/factories/triggers',
  z
    .object({
      description: z.string().optional(),
      runtimeState: z.enum(['Started', 'Stopped']).optional(),
      type: z.literal('ScheduleTrigger'),
      pipelines: z
        .array(
          z
            .object({ pipelineReference: reference('PipelineReference'), parameters: z.record(z.string(), z.unknown()).optional() })
            .strict(),
        )
        .min(1),
      typeProperties: z
        .object({
          recurrence: z
            .object({
              frequency: z.enum(['Minute', 'Hour', 'Day', 'Week', 'Month']),
              interval: z.number().int().min(1),
              startTime: z.string().datetime(),
              endTime: z.string().datetime().optional(),
              timeZone: z.string(),
              schedule: z
                .object({
                  minutes: z.array(z.number().int().min(0).max(59)).optional(),
                  hours: z.array(z.number().int().min(0).max(23)).optional(),
                  weekDays: z.array(z.string()).optional(),
                  monthDays: z.array(z.number().int()).optional(),
                })
                .strict()
                .optional(),
            })
            .strict(),
        })
        .strict(),
      annotations: z.array(z.unknown()).optional(),
    })
    .strict(),
);

function load<T>(folder: string, schema: z.ZodType<T>): Map<string, { file: string; raw: unknown; parsed: T }> {
  const dir = path.join(adfDir, folder);
  const out = new Map<string, { file: string; raw: unknown; parsed: T }>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const raw: unknown = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const result = schema.safeParse(raw);
    if (!result.success) throw new Error(`${folder}/${file}: ${z.prettifyError(result.error)}`);
    const name = (result.data as { name: string }).name;
    // Git integration names the file after the resource.
    if (file !== `${name}.json`) throw new Error(`${folder}/${file} holds resource ${name}`);
    out.set(name, { file, raw, parsed: result.data });
  }
  return out;
}

/** Every string inside a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}
const namesUsed = (value: unknown, pattern: RegExp) => new Set(strings(value).flatMap((s) => [...s.matchAll(pattern)].map((m) => m[1]!)));

function allActivities(list: Activity[]): Activity[] {
  return list.flatMap((a) => {
    const tp = a.typeProperties as { ifTrueActivities?: Activity[]; ifFalseActivities?: Activity[] };
    return [a, ...allActivities(tp.ifTrueActivities ?? []), ...allActivities(tp.ifFalseActivities ?? [])];
  });
}

/** Checks that `passed` supplies exactly declared parameters and every one without a default. */
function checkParameters(
  what: string,
  declared: Record<string, { defaultValue?: unknown }> | undefined,
  passed: Record<string, unknown> | undefined,
): string[] {
  const problems: string[] = [];
  const decl = declared ?? {};
  for (const name of Object.keys(passed ?? {})) if (!(name in decl)) problems.push(`${what}: passes undeclared parameter ${name}`);
  for (const [name, spec] of Object.entries(decl)) {
    if (spec.defaultValue === undefined && !(passed && name in passed)) problems.push(`${what}: required parameter ${name} not passed`);
  }
  return problems;
}

describe('adf/ Data Factory resources', () => {
  const pipelines = load('pipeline', pipelineSchema);
  const datasets = load('dataset', datasetSchema);
  const linkedServices = load('linkedService', linkedServiceSchema);
  const triggers = load('trigger', triggerSchema);
  const factoryBicep = readBicep(path.join(repoRoot, 'infra/bicep/modules/dataFactory.bicep'));
  const factory = factoryBicep.resources.find((r) => r.type === 'Microsoft.DataFactory/factories')!;
  const globalParameters = new Set(objectEntries(propertyBody(factory.body, 'globalParameters')!).keys());
  const pipeline = pipelines.get('PL_DemandPipeline')!.parsed;
  const activities = allActivities(pipeline.properties.activities);
  const byName = new Map(activities.map((a) => [a.name, a]));

  it('has the pipeline, datasets, linked services and trigger in the Git layout, each valid', () => {
    expect([...pipelines.keys()]).toEqual(['PL_DemandPipeline']);
    expect([...datasets.keys()].sort()).toEqual(['DS_LakeLanding', 'DS_PartnerInventoryFiles']);
    expect([...linkedServices.keys()].sort()).toEqual(['LS_KeyVault', 'LS_Lake', 'LS_PartnerSftp']);
    expect([...triggers.keys()]).toEqual(['TR_DailyDemandPipeline']);
  });

  it('resolves every dependsOn to a sibling activity, without cycles, and activity() only to upstream activities', () => {
    const problems: string[] = [];
    const visit = (list: Activity[]) => {
      const siblings = new Map(list.map((a) => [a.name, a]));
      expect(siblings.size).toBe(list.length); // unique names
      for (const a of list)
        for (const d of a.dependsOn ?? []) if (!siblings.has(d.activity)) problems.push(`${a.name} depends on unknown ${d.activity}`);
      for (const a of list) {
        const tp = a.typeProperties as { ifTrueActivities?: Activity[]; ifFalseActivities?: Activity[] };
        visit(tp.ifTrueActivities ?? []);
        visit(tp.ifFalseActivities ?? []);
      }
    };
    visit(pipeline.properties.activities);
    const upstream = (name: string, seen = new Set<string>()): Set<string> => {
      for (const d of byName.get(name)?.dependsOn ?? []) {
        if (seen.has(d.activity)) continue;
        seen.add(d.activity);
        upstream(d.activity, seen);
      }
      return seen;
    };
    for (const a of activities) {
      if (upstream(a.name).has(a.name)) problems.push(`${a.name} depends on itself`);
      for (const used of namesUsed(a, /activity\('([^']+)'\)/g))
        if (!upstream(a.name).has(used)) problems.push(`${a.name} reads activity('${used}') that is not upstream`);
    }
    expect(problems).toEqual([]);
  });

  it('declares every pipeline parameter it reads and knows every global parameter it reads (set by Bicep)', () => {
    const declared = Object.keys(pipeline.properties.parameters ?? {});
    expect([...namesUsed(pipeline, /pipeline\(\)\.parameters\.(\w+)/g)].filter((p) => !declared.includes(p))).toEqual([]);
    const globals = [...namesUsed(pipeline, /pipeline\(\)\.globalParameters\.(\w+)/g)];
    expect(globals.length).toBeGreaterThan(0);
    expect(globals.filter((g) => !globalParameters.has(g))).toEqual([]);
  });

  it('resolves dataset and linked-service references with exactly the parameters they declare', () => {
    const problems: string[] = [];
    for (const a of activities) {
      for (const ref of [...(a.inputs ?? []), ...(a.outputs ?? [])] as Array<{
        referenceName: string;
        parameters?: Record<string, unknown>;
      }>) {
        const ds = datasets.get(ref.referenceName);
        if (!ds) {
          problems.push(`${a.name}: unknown dataset ${ref.referenceName}`);
          continue;
        }
        problems.push(...checkParameters(`${a.name} -> ${ref.referenceName}`, ds.parsed.properties.parameters, ref.parameters));
      }
    }
    for (const [name, { parsed }] of datasets) {
      const ds = parsed;
      const declared = Object.keys(ds.properties.parameters ?? {});
      for (const used of namesUsed(ds, /dataset\(\)\.(\w+)/g))
        if (!declared.includes(used)) problems.push(`${name} reads undeclared dataset().${used}`);
      const ls = linkedServices.get(ds.properties.linkedServiceName.referenceName);
      if (!ls) {
        problems.push(`${name}: unknown linked service ${ds.properties.linkedServiceName.referenceName}`);
        continue;
      }
      problems.push(
        ...checkParameters(`${name} -> ${ls.parsed.name}`, ls.parsed.properties.parameters, ds.properties.linkedServiceName.parameters),
      );
      const locationType = ds.properties.typeProperties.location.type;
      expect(`${ls.parsed.properties.type}:${locationType}`).toMatch(/^(Sftp:SftpLocation|AzureBlobFS:AzureBlobFSLocation)$/);
    }
    for (const [name, { parsed }] of linkedServices) {
      const ls = parsed;
      const declared = Object.keys(ls.properties.parameters ?? {});
      for (const used of namesUsed(ls, /linkedService\(\)\.(\w+)/g))
        if (!declared.includes(used)) problems.push(`${name} reads undeclared linkedService().${used}`);
      for (const secret of strings(ls).length ? [ls.properties.typeProperties as Record<string, unknown>] : []) {
        const password = secret['password'] as { store: { referenceName: string; parameters?: Record<string, unknown> } } | undefined;
        if (password) {
          const store = linkedServices.get(password.store.referenceName);
          if (store?.parsed.properties.type !== 'AzureKeyVault')
            problems.push(`${name}: password store is not an AzureKeyVault linked service`);
          else
            problems.push(
              ...checkParameters(`${name} -> ${store.parsed.name}`, store.parsed.properties.parameters, password.store.parameters),
            );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('uses every dataset and linked service (no orphans)', () => {
    const usedDatasets = new Set(
      activities
        .flatMap((a) => [...(a.inputs ?? []), ...(a.outputs ?? [])] as Array<{ referenceName: string }>)
        .map((r) => r.referenceName),
    );
    expect([...datasets.keys()].filter((d) => !usedDatasets.has(d))).toEqual([]);
    const usedLinked = new Set([...datasets.values()].map((d) => d.parsed.properties.linkedServiceName.referenceName));
    for (const ls of linkedServices.values()) for (const s of namesUsed(ls.raw, /^(LS_\w+)$/g)) usedLinked.add(s);
    expect([...linkedServices.keys()].filter((l) => !usedLinked.has(l))).toEqual([]);
  });

  it('reaches the lake with the factory managed identity only (no key, SAS or connection string anywhere)', () => {
    const all = [...pipelines.values(), ...datasets.values(), ...linkedServices.values(), ...triggers.values()].map((r) =>
      JSON.stringify(r.raw),
    );
    for (const text of all) expect(text).not.toMatch(/accountKey|sasUri|sasToken|connectionString|servicePrincipalKey|"password":\s*"/i);
  });

  it('copies partner files into the landing folder the app reads, only when asked', () => {
    const ifCopy = pipeline.properties.activities.find((a) => a.type === 'IfCondition')!;
    expect((ifCopy.typeProperties['expression'] as { value: string }).value).toBe('@pipeline().parameters.copyPartnerInventory');
    expect(pipeline.properties.parameters?.['copyPartnerInventory']).toEqual({ type: 'Bool', defaultValue: false });
    const copy = activities.find((a) => a.type === 'Copy')!;
    expect((ifCopy.typeProperties['ifTrueActivities'] as Activity[]).map((a) => a.name)).toEqual([copy.name]);
    const sink = (copy.outputs as Array<{ referenceName: string; parameters: Record<string, { value: string }> }>)[0]!;
    expect(sink.referenceName).toBe('DS_LakeLanding');
    expect(sink.parameters['folderPath']!.value).toBe('@pipeline().parameters.landingFolder');
    const defaults = settingsSchema.parse({});
    expect(pipeline.properties.parameters?.['landingFolder']?.defaultValue).toBe(defaults.DEMAND_INVENTORY_LANDING_PREFIX);
  });

  it('starts the orchestrator with a WebHook that waits for the callback and fails with the run', () => {
    const hook = activities.find((a) => a.type === 'WebHook')!;
    const tp = hook.typeProperties as {
      url: { value: string };
      headers: Record<string, unknown>;
      body: { value: string };
      timeout: string;
      reportStatusOnCallBack: boolean;
    };
    expect(tp.url.value).toMatch(/'\/api\/pipeline\/start'\)$/);
    expect(tp.reportStatusOnCallBack).toBe(true);
    // Well above the 10-minute default: a full run (ingest, forecast fan-out, publish) takes longer.
    const m = /^(?:(\d+)\.)?(\d{2}):(\d{2}):(\d{2})$/.exec(tp.timeout)!;
    const seconds = Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
    expect(seconds).toBeGreaterThanOrEqual(3600);
    expect(seconds).toBeLessThanOrEqual(7 * 86400);
    expect(tp.body.value).toContain('pipeline().RunId');
    expect(tp.body.value).toContain('pipelineRunId');
    // The body must be JSON: evaluate the concat() with sample values.
    const sample = tp.body.value
      .replace(/^@json\(concat\(/, '[')
      .replace(/\)\)$/, ']')
      .replace(/pipeline\(\)\.RunId|pipeline\(\)\.Pipeline|string\(pipeline\(\)\.TriggerTime\)/g, "'x'");
    const parts = JSON.parse(sample.replace(/'((?:[^'])*)'/g, (_m, s: string) => JSON.stringify(s))) as string[];
    expect(JSON.parse(parts.join(''))).toMatchObject({ pipelineRunId: 'x', trigger: 'adf' });
    // The function key comes from the Key Vault read, which hides its output; the hook hides its input.
    expect(tp.headers['x-functions-key']).toEqual({ value: "@activity('GetFunctionKey').output.value", type: 'Expression' });
    const policy = (hook as unknown as { policy?: { secureInput?: boolean } }).policy;
    expect(policy?.secureInput).toBe(true);
    const keyRead = byName.get('GetFunctionKey')! as unknown as {
      policy: { secureOutput: boolean };
      typeProperties: { method: string; url: { value: string }; authentication: { type: string; resource: string } };
    };
    expect(keyRead.policy.secureOutput).toBe(true);
    expect(keyRead.typeProperties.method).toBe('GET');
    expect(keyRead.typeProperties.url.value).toContain("'secrets/'");
    expect(keyRead.typeProperties.authentication).toEqual({ type: 'MSI', resource: 'https://vault.azure.net' });
    expect(hook.dependsOn).toEqual([{ activity: 'GetFunctionKey', dependencyConditions: ['Succeeded'] }]);
  });

  it('schedules the pipeline daily with a trigger that passes only declared parameters', () => {
    const trigger = triggers.get('TR_DailyDemandPipeline')!.parsed;
    const problems: string[] = [];
    for (const p of trigger.properties.pipelines) {
      const target = pipelines.get(p.pipelineReference.referenceName);
      if (!target) {
        problems.push(`unknown pipeline ${p.pipelineReference.referenceName}`);
        continue;
      }
      problems.push(...checkParameters(`trigger -> ${target.parsed.name}`, target.parsed.properties.parameters, p.parameters));
    }
    expect(problems).toEqual([]);
    expect(trigger.properties.typeProperties.recurrence.frequency).toBe('Day');
    // Data Factory creates triggers stopped; runtimeState is read-only (the service ignores it), so
    // the file does not set it. Started explicitly once the function key is in Key Vault (docs/deploy.md).
    expect(trigger.properties.runtimeState).toBeUndefined();
  });
});
