import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { expect } from '@jest/globals';

/** Structural checks of the Azure DevOps pipelines (they cannot run here; no Azure DevOps agent). */
const root = path.resolve(__dirname, '../..');
type Step = {
  task?: string;
  script?: string;
  inputs?: Record<string, unknown>;
  name?: string;
  condition?: string;
  env?: Record<string, string>;
  displayName?: string;
};
/** The parts of the Azure DevOps YAML schema these checks read (https://learn.microsoft.com/azure/devops/pipelines/yaml-schema). */
interface Job {
  steps?: Step[];
  template?: string;
  parameters?: Record<string, unknown>;
  deployment?: string;
  environment?: string;
  strategy?: { runOnce: { deploy: { steps: Step[] } } };
}
interface Stage {
  stage: string;
  dependsOn?: string;
  variables?: unknown;
  jobs: Job[];
}
interface PipelineDoc {
  stages: Stage[];
  jobs: Job[];
  variables: Record<string, unknown>;
  resources: { pipelines: Record<string, unknown>[] };
  parameters: { name: string; values?: unknown[] }[];
}
const load = (file: string): PipelineDoc => parse(readFileSync(path.join(root, file), 'utf8')) as PipelineDoc;
const ci = load('azure-pipelines.yml');
const release = load('pipelines/release.yml');
const template = load('pipelines/templates/deploy-environment.yml');

const ciSteps: Step[] = ci.stages[0]!.jobs[0]!.steps ?? [];
const deployJob = template.jobs[0]!;
const deploySteps: Step[] = deployJob.strategy?.runOnce.deploy.steps ?? [];
const scriptOf = (s: Step): string => s.script ?? (s.inputs?.['inlineScript'] as string | undefined) ?? '';

describe('azure-pipelines.yml (CI)', () => {
  it('installs with Node 22, tests, builds and packages the Function App as an artifact, in that order', () => {
    expect(ciSteps.find((s) => s.task === 'UseNode@1')?.inputs?.['version']).toBe('$(nodeVersion)');
    expect(ci.variables['nodeVersion']).toBe('22.x');
    const order = ['npm ci', 'npm test', 'npm run build', 'functionapp.zip'].map((needle) =>
      ciSteps.findIndex((s) => scriptOf(s).includes(needle)),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const published = ciSteps.filter((s) => s.task === 'PublishPipelineArtifact@1').map((s) => s.inputs?.['artifact']);
    expect(published).toEqual(['functionapp', 'infra']);
  });
});

describe('pipelines/release.yml (multi-stage)', () => {
  it('runs dev then prod, each through the deployment template with its own variable group', () => {
    expect(release.stages.map((s) => s.stage)).toEqual(['dev', 'prod']);
    const [dev, prod] = release.stages;
    expect(prod?.dependsOn).toBe('dev');
    expect(dev?.variables).toEqual([{ group: 'demand-forecast-dev' }]);
    expect(prod?.variables).toEqual([{ group: 'demand-forecast-prod' }]);
    for (const stage of release.stages) {
      expect(stage.jobs[0]?.template).toBe('templates/deploy-environment.yml');
      expect(stage.jobs[0]?.parameters?.['environmentName']).toBe(stage.stage);
    }
    expect(release.resources.pipelines[0]).toMatchObject({ pipeline: 'ci', source: 'demand-forecast-ci' });
  });

  it('deploys into an Azure DevOps environment (approvals and checks) per stage', () => {
    expect(deployJob.deployment).toBe('deploy_${{ parameters.environmentName }}');
    expect(deployJob.environment).toBe('demand-forecast-${{ parameters.environmentName }}');
    expect(template.parameters.find((p) => p.name === 'environmentName')?.values).toEqual(['dev', 'prod']);
  });

  it('deploys Bicep, then the Flex Consumption Function App, then runs the gate, then promotes', () => {
    const infra = deploySteps.findIndex((s) => s.task === 'AzureCLI@2' && scriptOf(s).includes('az deployment group create'));
    const app = deploySteps.findIndex((s) => s.task === 'AzureFunctionApp@2');
    const gate = deploySteps.findIndex((s) => s.name === 'gate');
    const promote = deploySteps.findIndex((s) => s.name === 'promote');
    expect([infra, app, gate, promote].every((i) => i >= 0)).toBe(true);
    expect(infra).toBeLessThan(app);
    expect(app).toBeLessThan(gate);
    expect(gate).toBeLessThan(promote);

    const infraScript = scriptOf(deploySteps[infra]!);
    expect(infraScript).toContain('infra/bicep/main.bicep');
    expect(infraScript).toContain('infra/bicep/${{ parameters.environmentName }}.bicepparam');
    expect(deploySteps[app]?.inputs).toMatchObject({
      isFlexConsumption: true,
      appType: 'functionAppLinux',
      package: expect.stringContaining('functionapp.zip'),
    });

    // The gate runs the CLI's promotion command; set -e + pipefail make a refusal (exit 2) fail the step and stop the stage.
    const gateScript = scriptOf(deploySteps[gate]!);
    expect(gateScript).toMatch(/set -euo pipefail/);
    expect(gateScript).toMatch(/bin\/demand\.js" models promote --version \$\(candidateVersion\) --to production --dry-run --json/);
    expect(deploySteps[gate]?.condition).not.toMatch(/always\(\)|succeededOrFailed/);
    expect(deploySteps[gate]?.['continueOnError' as keyof Step]).toBeUndefined();
    expect(scriptOf(deploySteps[promote]!)).toMatch(/models promote --version \$\(candidateVersion\) --to production --json/);
    expect(deploySteps[promote]?.condition).toMatch(/^and\(succeeded\(\)/);
  });
});

/** Every scalar in a parsed YAML document, with its key path. */
function* scalars(node: unknown, at: string): Generator<[string, string]> {
  if (Array.isArray(node)) for (const [i, v] of node.entries()) yield* scalars(v, `${at}[${i}]`);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) yield* scalars(v, `${at}.${k}`);
  else if (node !== null && node !== undefined) yield [at, `${node as string | number | boolean}`];
}

describe('no secret inline', () => {
  const secretValue = [
    /AccountKey=/i,
    /SharedAccessSignature=|[?&]sig=/i,
    /DefaultEndpointsProtocol=/i,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /\bdapi[0-9a-f]{32}\b/, // Databricks personal access token
    /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, // a JWT
    /Bearer\s+[A-Za-z0-9._-]{12,}/,
    /[A-Za-z0-9+/]{60,}={0,2}/, // a base64 key
  ];
  const secretKey =
    /(password|passwd|secret|token|apikey|api_key|accountkey|connectionstring|connection_string|auth_header|client_secret)/i;
  const reference = /^\$\((\w|\.)+\)$|^\$\[.*\]$|^\$\{\{.*\}\}$/;

  for (const [file, doc] of [
    ['azure-pipelines.yml', ci],
    ['pipelines/release.yml', release],
    ['pipelines/templates/deploy-environment.yml', template],
  ] as const) {
    it(`${file} holds no keys, tokens, connection strings or passwords`, () => {
      for (const [at, value] of scalars(doc, file)) {
        for (const pattern of secretValue) expect({ at, match: pattern.test(value) }).toEqual({ at, match: false });
        // A key that names a secret may only hold a pipeline reference, e.g. $(MLFLOW_TRACKING_TOKEN).
        const key = at.split('.').pop() ?? '';
        if (secretKey.test(key)) expect({ at, value, isReference: reference.test(value) }).toMatchObject({ isReference: true });
      }
    });
  }

  it('the checks would catch an inline secret', () => {
    const leaked = { env: { MLFLOW_TRACKING_TOKEN: 'dapi0123456789abcdef0123456789abcdef' } };
    const found = [...scalars(leaked, 'x')].filter(
      ([at, v]) => secretValue.some((p) => p.test(v)) || (secretKey.test(at.split('.').pop() ?? '') && !reference.test(v)),
    );
    expect(found).toHaveLength(1);
  });
});
