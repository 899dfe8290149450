/**
 * Deployment defects found in review, each pinned by a check that failed before the fix:
 * the first release into an empty resource group, resource names from any prefix, and release
 * task inputs Flex Consumption ignores. Structural (no Azure here): what ARM and the pipeline
 * agent would do with these files is inferred from their documented behaviour.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { objectEntries, readBicep, readBicepParam, skipBalanced } from '../infra/bicepText';

const repoRoot = path.resolve(__dirname, '../..');
const bicepDir = path.join(repoRoot, 'infra/bicep');
const main = readBicep(path.join(bicepDir, 'main.bicep'));

/** Evaluates the few Bicep functions resource names use: take, toLower, replace, '${…}' strings. */
function evaluate(expr: string, env: Record<string, string>): string {
  const text = expr.trim();
  const call = /^(\w+)\(([\s\S]*)\)$/.exec(text);
  if (call && skipBalanced(text, call[1]!.length) === text.length) {
    const args: string[] = [];
    let depth = 0;
    let start = 0;
    const inner = call[2]!;
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i];
      if (c === "'") {
        i = inner.indexOf("'", i + 1);
        continue;
      }
      if (c === '(') depth++;
      if (c === ')') depth--;
      if (c === ',' && depth === 0) {
        args.push(inner.slice(start, i));
        start = i + 1;
      }
    }
    args.push(inner.slice(start));
    const [a, b, c] = args.map((x) => x.trim());
    switch (call[1]) {
      case 'take':
        return evaluate(a!, env).slice(0, Number(b));
      case 'toLower':
        return evaluate(a!, env).toLowerCase();
      case 'replace':
        return evaluate(a!, env).split(evaluate(b!, env)).join(evaluate(c!, env));
      default:
        throw new Error(`cannot evaluate ${call[1]}()`);
    }
  }
  const literal = /^'((?:[^'\\]|\\.)*)'$/.exec(text);
  if (literal)
    return literal[1]!.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
      if (!(name in env)) throw new Error(`unknown ${name}`);
      return env[name]!;
    });
  if (/^\w+$/.test(text) && text in env) return env[text]!;
  throw new Error(`cannot evaluate ${text}`);
}

/** Azure's naming rules for the resources whose names carry the prefix. */
const namingRules: Record<string, RegExp[]> = {
  lakeAccount: [/^[a-z0-9]{3,24}$/],
  runtimeAccount: [/^[a-z0-9]{3,24}$/],
  keyVault: [/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, /^(?!.*--)/],
  adxCluster: [/^[a-z][a-z0-9]{3,21}$/],
  functionApp: [/^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/],
  plan: [/^[a-zA-Z0-9-]{1,60}$/],
  dataFactory: [/^[A-Za-z0-9][A-Za-z0-9-]{1,61}[A-Za-z0-9]$/],
  databricks: [/^[A-Za-z0-9_-]{3,64}$/],
  logAnalytics: [/^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/],
  durableTaskScheduler: [/^[a-zA-Z0-9-]{3,64}$/],
};

describe('deployment defects', () => {
  it('resource names follow Azure naming rules for any prefix the parameter accepts (uppercase, hyphen, underscore)', () => {
    // Defect: namePrefix went unchanged into storage, Key Vault and ADX names, so 'Demand' or
    // 'my-shop' failed the deployment late, after other resources were created.
    const decorators = main.params.find((p) => p.name === 'namePrefix')!.decorators;
    const maxLength = Number(/@maxLength\((\d+)\)/.exec(decorators)?.[1]);
    const minLength = Number(/@minLength\((\d+)\)/.exec(decorators)?.[1]);
    expect([minLength, maxLength]).toEqual([2, 8]);
    const names = objectEntries(main.vars.get('names')!);
    const problems: string[] = [];
    for (const namePrefix of ['demand', 'Demand', 'my-shop', 'SHOP_EU', 'ab', 'x1-y2-z3']) {
      for (const environmentName of ['dev', 'prod']) {
        const env: Record<string, string> = {
          namePrefix,
          environmentName,
          token: 'abcdefghijklm' /* uniqueString(): 13 lowercase alphanumerics */,
        };
        for (const [name, expr] of main.vars)
          if (!(name in env) && name !== 'names' && /^(take|toLower|replace)\(|^'/.test(expr)) {
            try {
              env[name] = evaluate(expr, env);
            } catch {
              /* not a name part */
            }
          }
        for (const [key, rules] of Object.entries(namingRules)) {
          const value = evaluate(names.get(key)!, env);
          for (const rule of rules)
            if (!rule.test(value)) problems.push(`${namePrefix}/${environmentName}: ${key} = ${value} breaks ${rule}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('a deployment into an empty resource group does not call listKeys: storeFunctionKey is false unless asked', () => {
    // Defect: both parameter files defaulted STORE_FUNCTION_KEY to true and the release never set it.
    expect(main.params.find((p) => p.name === 'storeFunctionKey')).toBeDefined();
    expect(main.code).toMatch(/param storeFunctionKey bool = false/);
    for (const env of ['dev', 'prod']) {
      expect(readBicepParam(path.join(bicepDir, `${env}.bicepparam`)).values.get('storeFunctionKey')).toBe(
        "bool(readEnvironmentVariable('STORE_FUNCTION_KEY', 'false'))",
      );
    }
  });

  it('the function key is read only after the roles that let the host start exist', () => {
    // Defect: functionKey had no dependency on roles (runtime storage access the host needs for its keys).
    const functionKey = main.modules.find((m) => m.symbol === 'functionKey')!;
    expect(objectEntries(functionKey.body).get('dependsOn')).toMatch(/\broles\b/);
  });

  describe('release template', () => {
    type Step = { task?: string; name?: string; displayName?: string; inputs?: Record<string, unknown>; env?: Record<string, string> };
    const template = parse(readFileSync(path.join(repoRoot, 'pipelines/templates/deploy-environment.yml'), 'utf8')) as {
      jobs: Array<{ strategy: { runOnce: { deploy: { steps: Step[] } } } }>;
    };
    const steps = template.jobs[0]!.strategy.runOnce.deploy.steps;
    const script = (s: Step) => (s.inputs?.inlineScript as string | undefined) ?? '';
    const infra = steps.findIndex((s) => s.name === 'infra');
    const app = steps.findIndex((s) => s.task === 'AzureFunctionApp@2');
    const key = steps.findIndex((s) => script(s).includes('functionKeySecret.bicep'));

    it('deploys the infrastructure without the key, publishes the code, then stores the key', () => {
      expect(steps[infra]!.env?.STORE_FUNCTION_KEY).toBe('false');
      expect(infra).toBeLessThan(app);
      expect(app).toBeLessThan(key);
      // The key step gets the names from the infrastructure outputs and retries a bounded number of times.
      for (const variable of ['functionAppName', 'keyVaultName', 'functionKeySecretName']) {
        expect(script(steps[infra]!)).toContain(`variable=${variable}]`);
        expect(script(steps[key]!)).toContain(`$(${variable})`);
      }
      expect(script(steps[key]!)).toMatch(/for attempt in 1 2 3 4 5; do/);
      const moduleParams = readBicep(path.join(bicepDir, 'modules/functionKeySecret.bicep'))
        .params.map((p) => p.name)
        .sort();
      expect([...script(steps[key]!).matchAll(/(\w+)="\$\(/g)].map((m) => m[1]).sort()).toEqual(moduleParams);
    });

    it('passes no input Flex Consumption ignores (deploymentMethod)', () => {
      expect(steps[app]!.inputs).toMatchObject({ isFlexConsumption: true });
      expect(steps[app]!.inputs).not.toHaveProperty('deploymentMethod');
    });
  });
});
