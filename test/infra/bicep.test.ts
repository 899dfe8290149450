/**
 * Structural checks of infra/bicep (no Bicep compiler is available here): resource types and API
 * versions, parameters used, module wiring, no secrets in outputs, app settings cover every setting
 * the code reads (settingNames) with the code's defaults, parameter files and resource names valid.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { settingNames, settingsSchema } from '../../src/lib/config/settings';
import { glibcMallocEnvironment } from '../../src/host/memoryTuning';
import { objectEntries, propertyBody, readBicep, readBicepParam, stringLiteral, type BicepFile } from './bicepText';

const repoRoot = path.resolve(__dirname, '../..');
const bicepDir = path.join(repoRoot, 'infra/bicep');
const main = readBicep(path.join(bicepDir, 'main.bicep'));
const moduleFiles = fs.readdirSync(path.join(bicepDir, 'modules')).filter((f) => f.endsWith('.bicep'));
const modules = new Map<string, BicepFile>(moduleFiles.map((f) => [f, readBicep(path.join(bicepDir, 'modules', f))]));
const allFiles: BicepFile[] = [main, ...modules.values()];
const allResources = allFiles.flatMap((f) => f.resources.map((r) => ({ ...r, file: path.basename(f.path) })));
const mod = (file: string): BicepFile => {
  const found = modules.get(file);
  if (!found) throw new Error(`module ${file} missing`);
  return found;
};

/** Settings the code reads that are deliberately not Function App settings in Azure. */
const notSetInAzure: Record<string, string> = {
  DEMAND_STORAGE_CONNECTION_STRING: 'Azurite/dev only; Azure uses managed identity',
  DEMAND_SCRATCH_DIR: 'unset in Azure: the OS temp folder (/tmp) is the instance-local disk',
  DEMAND_LOCAL_MAX_ACTIVITIES: "the local host's limit; in Azure host.json's maxConcurrentActivityFunctions bounds an instance",
};

describe('infra/bicep resource types and API versions', () => {
  const expected: Array<[string, string]> = [
    ['Microsoft.Storage/storageAccounts', '2023-05-01'],
    ['Microsoft.Storage/storageAccounts/blobServices/containers', '2023-05-01'],
    ['Microsoft.Storage/storageAccounts/tableServices', '2023-05-01'],
    ['Microsoft.Web/serverfarms', '2024-04-01'],
    ['Microsoft.Web/sites', '2024-04-01'],
    ['Microsoft.OperationalInsights/workspaces', '2023-09-01'],
    ['Microsoft.Insights/components', '2020-02-02'],
    ['Microsoft.KeyVault/vaults', '2023-07-01'],
    ['Microsoft.KeyVault/vaults/secrets', '2023-07-01'],
    ['Microsoft.Kusto/clusters', '2023-08-15'],
    ['Microsoft.Kusto/clusters/databases', '2023-08-15'],
    ['Microsoft.Kusto/clusters/databases/scripts', '2023-08-15'],
    ['Microsoft.Kusto/clusters/databases/principalAssignments', '2023-08-15'],
    ['Microsoft.DataFactory/factories', '2018-06-01'],
    ['Microsoft.Databricks/workspaces', '2024-05-01'],
    ['Microsoft.Databricks/accessConnectors', '2024-05-01'],
    ['Microsoft.Authorization/roleAssignments', '2022-04-01'],
  ];
  it.each(expected)('declares %s@%s (not only as existing)', (type, apiVersion) => {
    const declared = allResources.filter((r) => r.type === type && !r.existing);
    expect(declared.length).toBeGreaterThan(0);
    expect([...new Set(declared.map((r) => r.apiVersion))]).toEqual([apiVersion]);
  });

  it('uses one well-formed, non-preview API version per resource type across all files', () => {
    const versions = new Map<string, Set<string>>();
    for (const r of allResources) {
      expect(r.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      versions.set(r.type, (versions.get(r.type) ?? new Set()).add(r.apiVersion));
    }
    const mixed = [...versions].filter(([, v]) => v.size > 1).map(([t, v]) => `${t}: ${[...v].join(', ')}`);
    expect(mixed).toEqual([]);
  });

  it('makes the lake an HNS StorageV2 account with the `lake` filesystem, keys disabled', () => {
    const lake = mod('lakeStorage.bicep');
    const account = lake.resources.find((r) => r.type === 'Microsoft.Storage/storageAccounts')!;
    expect(account.body).toMatch(/kind:\s*'StorageV2'/);
    expect(account.body).toMatch(/isHnsEnabled:\s*true/);
    expect(account.body).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(lake.params.find((p) => p.name === 'filesystemName')?.decorators).toBeDefined();
    expect(lake.code).toMatch(/param filesystemName string = 'lake'/);
  });

  it('hosts the app on Flex Consumption (FC1), Node 22, identity-based deployment storage', () => {
    const fn = mod('functionApp.bicep');
    const plan = fn.resources.find((r) => r.type === 'Microsoft.Web/serverfarms')!;
    expect(plan.body).toMatch(/name:\s*'FC1'/);
    expect(plan.body).toMatch(/tier:\s*'FlexConsumption'/);
    const site = fn.resources.find((r) => r.type === 'Microsoft.Web/sites' && !r.existing)!;
    expect(site.body).toMatch(/type:\s*'SystemAssigned'/);
    const config = propertyBody(site.body, 'functionAppConfig')!;
    expect(propertyBody(config, 'runtime')).toMatch(/name:\s*'node'[\s\S]*version:\s*'22'/);
    const storage = propertyBody(config, 'storage')!;
    expect(storage).toMatch(/type:\s*'blobContainer'/);
    expect(propertyBody(storage, 'authentication')).toMatch(/type:\s*'SystemAssignedIdentity'/);
    const scale = propertyBody(config, 'scaleAndConcurrency')!;
    expect(scale).toMatch(/instanceMemoryMB:/);
    expect(scale).toMatch(/maximumInstanceCount:/);
  });

  it('keeps Key Vault in RBAC mode and stores the function key only through a secret resource', () => {
    const kv = mod('keyVault.bicep').resources.find((r) => r.type === 'Microsoft.KeyVault/vaults')!;
    expect(kv.body).toMatch(/enableRbacAuthorization:\s*true/);
    const withListKeys = allResources.filter((r) => /\blist\w*\(/.test(r.body));
    expect(withListKeys.map((r) => `${r.file}:${r.type}`)).toEqual(['functionKeySecret.bicep:Microsoft.KeyVault/vaults/secrets']);
    expect(propertyBody(withListKeys[0]!.body, 'value')).toMatch(/listKeys\('\$\{functionApp\.id\}\/host\/default'/);
  });

  it('gives the Function identity ADX database Ingestor and Viewer', () => {
    const roles = allResources
      .filter((r) => r.type === 'Microsoft.Kusto/clusters/databases/principalAssignments')
      .map((r) => ({
        role: /role:\s*'(\w+)'/.exec(r.body)?.[1],
        principal: /principalId:\s*(\w+)/.exec(r.body)?.[1],
        type: /principalType:\s*'(\w+)'/.exec(r.body)?.[1],
      }));
    expect(roles).toEqual(
      expect.arrayContaining([
        { role: 'Ingestor', principal: 'functionPrincipalId', type: 'App' },
        { role: 'Viewer', principal: 'functionPrincipalId', type: 'App' },
      ]),
    );
  });

  it('assigns every data-plane role the design needs, by well-known role id', () => {
    const rolesFile = mod('roleAssignments.bicep');
    const roleIds = objectEntries(rolesFile.vars.get('roles')!);
    const byId = new Map([...roleIds].map(([name, id]) => [stringLiteral(id), name]));
    // The built-in role ids (these never change across tenants).
    expect(Object.fromEntries(roleIds)).toMatchObject({
      storageBlobDataContributor: "'ba92f5b4-2d11-453d-a403-e96b0029c9fe'",
      storageBlobDataOwner: "'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'",
      storageQueueDataContributor: "'974c5e8b-45b9-4653-ba55-5f855dd0fb88'",
      storageTableDataContributor: "'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'",
      keyVaultSecretsUser: "'4633458b-17de-408a-b874-0445c86b69e6'",
    });
    expect(byId.size).toBe(roleIds.size);
    const grants = rolesFile.resources
      .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments')
      .map((r) => {
        const scope = /scope:\s*(\w+)/.exec(r.body)?.[1];
        const principal = /principalId:\s*(\w+)/.exec(r.body)?.[1];
        const role = /roles\.(\w+)\)/.exec(r.body)?.[1];
        // The assignment name must be derived from the same scope, principal and role (idempotent redeploys).
        expect(r.body).toContain(`guid(${scope}.id, ${principal}, roles.${role})`);
        return `${principal} ${role} ${scope}`;
      });
    expect(grants).toEqual(
      expect.arrayContaining([
        'functionPrincipalId storageBlobDataContributor lake',
        'functionPrincipalId storageTableDataContributor lake',
        'functionPrincipalId storageBlobDataOwner runtime',
        'functionPrincipalId storageQueueDataContributor runtime',
        'functionPrincipalId storageTableDataContributor runtime',
        'functionPrincipalId keyVaultSecretsUser vault',
        'dataFactoryPrincipalId storageBlobDataContributor lakeFilesystem',
        'dataFactoryPrincipalId keyVaultSecretsUser vault',
      ]),
    );
  });
});

describe('infra/bicep wiring', () => {
  it.each(allFiles.map((f) => [path.relative(bicepDir, f.path), f] as const))('%s uses every parameter it declares', (_name, file) => {
    const unused = file.params.filter((p) => {
      const uses = file.code.match(new RegExp(`\\b${p.name}\\b`, 'g')) ?? [];
      return uses.length < 2; // the declaration itself is one
    });
    expect(unused.map((p) => p.name)).toEqual([]);
  });

  it('references only module files that exist, and every module file is used', () => {
    const referenced = main.modules.map((m) => m.path);
    for (const p of referenced) expect(fs.existsSync(path.join(bicepDir, p))).toBe(true);
    expect(referenced.map((p) => path.basename(p)).sort()).toEqual([...moduleFiles].sort());
  });

  it.each(main.modules.map((m) => [m.symbol, m] as const))(
    'module %s gets exactly the parameters it declares (all required ones)',
    (_s, m) => {
      const target = mod(path.basename(m.path));
      const passed = [...objectEntries(propertyBody(m.body, 'params') ?? '{}').keys()];
      const declared = target.params.map((p) => p.name);
      expect(passed.filter((p) => !declared.includes(p))).toEqual([]);
      const required = target.params.filter((p) => !p.hasDefault).map((p) => p.name);
      expect(required.filter((p) => !passed.includes(p))).toEqual([]);
    },
  );

  it('applies every adx/*.kql script, and every referenced script exists', () => {
    const referenced = [...main.code.matchAll(/loadTextContent\('\.\.\/\.\.\/adx\/([^']+)'\)/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThan(0);
    for (const f of referenced) expect(fs.existsSync(path.join(repoRoot, 'adx', f))).toBe(true);
    const present = fs
      .readdirSync(path.join(repoRoot, 'adx'))
      .filter((f) => f.endsWith('.kql'))
      .sort();
    // A new adx/*.kql file must be added to adxScripts in main.bicep, or it never reaches Azure.
    expect([...referenced].sort()).toEqual(present);
    // Applied in file-name order, one at a time.
    expect(referenced).toEqual([...referenced].sort());
    const adx = mod('adx.bicep');
    expect(adx.code).toMatch(/@batchSize\(1\)\s*\nresource schemaScripts/);
  });
});

describe('infra/bicep outputs carry no secrets', () => {
  const secureParams = new Set(allFiles.flatMap((f) => f.params.filter((p) => p.secure).map((p) => p.name)));
  const outputs = allFiles.flatMap((f) => f.outputs.map((o) => ({ ...o, file: path.basename(f.path) })));

  it('has secure parameters for the secrets (so the check below means something)', () => {
    expect(secureParams).toEqual(new Set(['ordersAuthHeader', 'mlflowTrackingToken']));
    expect(outputs.length).toBeGreaterThan(10);
  });

  it.each(outputs.map((o) => [`${o.file}:${o.name}`, o] as const))('%s', (_n, o) => {
    expect(o.expression).not.toMatch(/\blist\w*\(/);
    expect(o.expression).not.toMatch(/connectionstring|primaryKey|secondaryKey|instrumentationKey|accessKey|sasToken/i);
    // Names, URIs and ids point at a secret; anything else named like a secret would be one.
    if (!/(Name|Uri|Url|Id)$/.test(o.name)) expect(o.name).not.toMatch(/key|secret|password|token|connectionString/i);
    for (const p of secureParams) expect(o.expression).not.toMatch(new RegExp(`\\b${p}\\b`));
  });
});

describe('infra/bicep Function App settings', () => {
  const tuning = objectEntries(main.vars.get('pipelineTuningDefaults')!);
  const resourceSettings = objectEntries(main.vars.get('pipelineResourceSettings')!);
  const instanceWorkers = objectEntries(main.vars.get('instanceWorkerSettings')!);
  const platform = objectEntries(mod('functionApp.bicep').vars.get('platformSettings')!);
  const appSettingNames = new Set([...tuning.keys(), ...instanceWorkers.keys(), ...resourceSettings.keys(), ...platform.keys()]);

  it('passes the tuning defaults, per-environment overrides and resource settings to the app', () => {
    const fnModule = main.modules.find((m) => m.path === 'modules/functionApp.bicep')!;
    expect(objectEntries(propertyBody(fnModule.body, 'params')!).get('appSettings')).toBe(
      'union(pipelineTuningDefaults, instanceWorkerSettings, pipelineSettingOverrides, pipelineResourceSettings)',
    );
    expect(mod('functionApp.bicep').code).toMatch(/appSettings: \[for setting in items\(allSettings\)/);
  });

  it('sets every setting the code reads (settingNames), except the documented Azure exclusions', () => {
    const missing = settingNames.filter((n) => !appSettingNames.has(n) && !(n in notSetInAzure));
    expect(missing).toEqual([]);
    for (const n of Object.keys(notSetInAzure)) {
      expect(settingNames).toContain(n);
      expect(appSettingNames.has(n)).toBe(false);
    }
  });

  it('sets no pipeline setting the code does not read', () => {
    const known = new Set<string>(settingNames);
    const unknown = [...tuning.keys(), ...instanceWorkers.keys(), ...resourceSettings.keys()].filter((n) => !known.has(n));
    expect(unknown).toEqual([]);
  });

  it('uses the code defaults, as strings, for the tuning settings', () => {
    const defaults = settingsSchema.parse({}) as Record<string, unknown>;
    for (const [name, raw] of tuning) {
      const literal = stringLiteral(raw);
      // An optional setting with no default is set as '' (loadSettings reads '' as unset).
      const expected = defaults[name] === undefined ? '' : `${defaults[name] as string | number | boolean}`;
      expect({ name, literal }).toEqual({ name, literal: expected });
    }
  });

  it('sizes the forecast worker threads by the instance cores (1 per 2,048 MB, at least 1), overridable per environment; Silver stays auto, capped at the same cores', () => {
    const cores = 'string(max(1, functionInstanceMemoryMB / 2048))';
    expect(Object.fromEntries(instanceWorkers)).toEqual({ DEMAND_FORECAST_WORKERS: cores, DEMAND_SILVER_MAX_WORKERS: cores });
    expect(tuning.has('DEMAND_FORECAST_WORKERS')).toBe(false);
    expect(tuning.has('DEMAND_SILVER_MAX_WORKERS')).toBe(false);
    // Silver's auto runs small builds in-process; a number would start a worker for every build.
    expect(stringLiteral(tuning.get('DEMAND_SILVER_WORKERS')!)).toBe('auto');
    // The settings accept what the expression gives for each Flex instance size (512, 2,048, 4,096 MB).
    for (const mb of [512, 2048, 4096]) {
      const workers = String(Math.max(1, Math.floor(mb / 2048)));
      const parsed = settingsSchema.parse({ DEMAND_FORECAST_WORKERS: workers, DEMAND_SILVER_MAX_WORKERS: workers });
      expect(parsed.DEMAND_FORECAST_WORKERS).toBe(Number(workers));
      expect(parsed.DEMAND_SILVER_MAX_WORKERS).toBe(Number(workers));
    }
  });

  it('sets the Functions runtime settings for identity-based connections and telemetry (not FUNCTIONS_WORKER_RUNTIME on Flex)', () => {
    expect(stringLiteral(platform.get('AzureWebJobsStorage__credential')!)).toBe('managedidentity');
    expect(platform.get('AzureWebJobsStorage__accountName')).toBe('runtimeStorageAccountName');
    expect(platform.get('APPLICATIONINSIGHTS_CONNECTION_STRING')).toBe('appInsights.properties.ConnectionString');
    expect(appSettingNames.has('AzureWebJobsStorage')).toBe(false);
    expect(appSettingNames.has('FUNCTIONS_WORKER_RUNTIME')).toBe(false);
    expect(appSettingNames.has('WEBSITE_RUN_FROM_PACKAGE')).toBe(false);
  });

  it('sets the process memory settings the local CLI runs with (src/host/memoryTuning.ts), as literals, in every app', () => {
    const fn = mod('functionApp.bicep');
    const memory = objectEntries(fn.vars.get('processMemorySettings')!);
    expect(Object.fromEntries([...memory].map(([name, raw]) => [name, stringLiteral(raw)]))).toEqual(glibcMallocEnvironment);
    expect(fn.vars.get('allSettings')).toMatch(/^union\(.*\bprocessMemorySettings\b.*\)$/);
    // Not overridable by pipeline settings by accident: no pipeline setting has these names.
    for (const name of memory.keys()) expect(appSettingNames.has(name)).toBe(false);
  });

  it('points the lake and tables at the lake account, and secrets at Key Vault references', () => {
    expect(resourceSettings.get('DEMAND_LAKE_URL')).toBe("'${lake.outputs.dfsEndpoint}${lake.outputs.filesystemName}'");
    expect(main.vars.get('tableEndpoint')).toBe('lake.outputs.tableEndpoint');
    expect(main.vars.get('ordersAuthHeaderSetting')).toContain(
      '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.vaultUri}secrets/orders-auth-header/)',
    );
    expect(main.vars.get('mlflowTrackingTokenSetting')).toContain(
      '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.vaultUri}secrets/mlflow-tracking-token/)',
    );
    expect(resourceSettings.get('DEMAND_PIPELINE_TIMER_ENABLED')).toBe("pipelineTimerEnabled ? 'true' : 'false'");
  });
});

describe.each(['dev', 'prod'])('infra/bicep/%s.bicepparam', (env) => {
  const file = readBicepParam(path.join(bicepDir, `${env}.bicepparam`));
  const declared = new Map(main.params.map((p) => [p.name, p]));

  it('uses main.bicep and sets only declared parameters, including every required one', () => {
    expect(file.using).toBe('./main.bicep');
    expect([...file.values.keys()].filter((k) => !declared.has(k))).toEqual([]);
    const required = main.params.filter((p) => !p.hasDefault).map((p) => p.name);
    expect(required.filter((r) => !file.values.has(r))).toEqual([]);
    expect(stringLiteral(file.values.get('environmentName')!)).toBe(env);
  });

  it('never holds a secret literal: secure parameters come from the environment', () => {
    for (const p of main.params.filter((q) => q.secure)) {
      const value = file.values.get(p.name);
      if (value !== undefined) expect(value).toMatch(/^readEnvironmentVariable\('[A-Z_]+', ''\)$/);
    }
  });

  it('overrides only pipeline settings the code reads, with values it accepts', () => {
    const overrides = objectEntries(file.values.get('pipelineSettingOverrides') ?? '{}');
    const raw: Record<string, string> = {};
    for (const [name, value] of overrides) {
      expect(settingNames).toContain(name);
      const literal = stringLiteral(value);
      expect(literal).toBeDefined();
      raw[name] = literal!;
    }
    expect(() => settingsSchema.parse(raw)).not.toThrow();
  });

  it('yields resource names that follow Azure naming rules', () => {
    const prefix = stringLiteral(file.values.get('namePrefix') ?? "'demand'")!;
    expect(prefix).toMatch(/^[a-z0-9]{2,8}$/);
    const token = 'abcdefghijklm'; // uniqueString() yields 13 lowercase alphanumerics
    const names = objectEntries(main.vars.get('names')!);
    const evaluate = (expr: string): string => {
      const take = /^take\((.+),\s*(\d+)\)$/.exec(expr);
      if (take) return evaluate(take[1]!).slice(0, Number(take[2]));
      // `prefix` is main.bicep's normalised namePrefix (the same for a lowercase alphanumeric one).
      const text = stringLiteral(
        expr.replace(
          /\$\{(namePrefix|prefix|token|environmentName)\}/g,
          (_m, v: string) => ({ namePrefix: prefix, prefix, token, environmentName: env })[v] ?? '',
        ),
      );
      if (text === undefined) throw new Error(`cannot evaluate ${expr}`);
      return text;
    };
    const value = (key: string) => evaluate(names.get(key)!);
    for (const key of ['lakeAccount', 'runtimeAccount']) expect(value(key)).toMatch(/^[a-z0-9]{3,24}$/);
    expect(value('keyVault')).toMatch(/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
    expect(value('keyVault')).not.toContain('--');
    expect(value('adxCluster')).toMatch(/^[a-z][a-z0-9]{3,21}$/);
    expect(value('functionApp')).toMatch(/^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/);
    expect(value('plan')).toMatch(/^[a-zA-Z0-9-]{1,60}$/);
    expect(value('dataFactory')).toMatch(/^[A-Za-z0-9][A-Za-z0-9-]{1,61}[A-Za-z0-9]$/);
    expect(value('databricks')).toMatch(/^[A-Za-z0-9_-]{3,64}$/);
    expect(value('deploymentContainer')).toMatch(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/);
    expect(value('lakeAccount')).not.toBe(value('runtimeAccount'));
  });
});
