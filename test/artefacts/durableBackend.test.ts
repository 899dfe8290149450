/**
 * The Durable Functions backend choice: Azure Storage (host.json, the default) or the Durable Task
 * Scheduler (Bicep durableBackend = 'DurableTaskScheduler'), whose settings override host.json's
 * storage provider through AzureFunctionsJobHost__ app settings. Structural: no Functions host or
 * scheduler runs here; the resource bodies are type-checked in bicepTypes.test.ts.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { objectEntries, propertyBody, readBicep, skipBalanced, stringLiteral } from '../infra/bicepText';

const repoRoot = path.resolve(__dirname, '../..');
const bicepDir = path.join(repoRoot, 'infra/bicep');
const main = readBicep(path.join(bicepDir, 'main.bicep'));
const dts = readBicep(path.join(bicepDir, 'modules/durableTaskScheduler.bicep'));
const roles = readBicep(path.join(bicepDir, 'modules/roleAssignments.bicep'));
const host = JSON.parse(readFileSync(path.join(repoRoot, 'host.json'), 'utf8')) as {
  extensions: { durableTask: { hubName: string; storageProvider: Record<string, unknown> } };
};

/** The ternary's "then" object of `var durableSettings = cond ? { … } : {}`. */
function schedulerSettings(): Map<string, string> {
  expect(main.vars.get('durableSettings')).toBe('useDurableTaskScheduler ? {');
  const start = main.code.indexOf('{', main.code.indexOf('var durableSettings ='));
  const settings = objectEntries(main.code.slice(start, skipBalanced(main.code, start)));
  expect(main.code.slice(skipBalanced(main.code, start)).trimStart().startsWith(': {}')).toBe(true);
  return settings;
}

describe('Durable backend', () => {
  it('defaults to Azure Storage: host.json uses the runtime storage account (identity-based AzureWebJobsStorage)', () => {
    const param = main.params.find((p) => p.name === 'durableBackend')!;
    expect(param.decorators).toContain("@allowed(['AzureStorage', 'DurableTaskScheduler'])");
    expect(main.code).toMatch(/param durableBackend string = 'AzureStorage'/);
    expect(host.extensions.durableTask.storageProvider).toMatchObject({ type: 'AzureStorage', connectionName: 'AzureWebJobsStorage' });
  });

  it("deploys a scheduler and a task hub named like host.json's hub, only when chosen", () => {
    expect(dts.resources.map((r) => `${r.type}@${r.apiVersion}`)).toEqual([
      'Microsoft.DurableTask/schedulers@2025-11-01',
      'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01',
    ]);
    const module = main.modules.find((m) => m.path === 'modules/durableTaskScheduler.bicep')!;
    expect(main.code).toMatch(/module durableTaskScheduler 'modules\/durableTaskScheduler.bicep' = if \(useDurableTaskScheduler\)/);
    expect(objectEntries(propertyBody(module.body, 'params')!).get('taskHubName')).toBe('durableHubName');
    expect(stringLiteral(main.vars.get('durableHubName')!)).toBe(host.extensions.durableTask.hubName);
    // An empty allow list denies every caller: the default must let the app in.
    expect(dts.params.find((p) => p.name === 'ipAllowlist')).toBeDefined();
    expect(dts.code).toMatch(/param ipAllowlist array = \['0\.0\.0\.0\/0'\]/);
  });

  it('switches host.json to the scheduler through app settings, with an identity-based connection', () => {
    const settings = schedulerSettings();
    const hostPath = (name: string) => name.replace(/^AzureFunctionsJobHost__/, '').split('__');
    // Every override addresses a path that exists in host.json.
    for (const name of [...settings.keys()].filter((n) => n.startsWith('AzureFunctionsJobHost__'))) {
      const parent = hostPath(name)
        .slice(0, -1)
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], host);
      expect({ name, parent: typeof parent }).toEqual({ name, parent: 'object' });
    }
    expect(stringLiteral(settings.get('AzureFunctionsJobHost__extensions__durableTask__storageProvider__type')!)).toBe('azureManaged');
    const connection = stringLiteral(
      settings.get('AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName')!,
    )!;
    expect(settings.get(connection)).toBe("'Endpoint=${durableTaskScheduler.outputs.endpoint};Authentication=ManagedIdentity'");
    // No key anywhere: the identity needs the data role on the scheduler.
    expect(objectEntries(roles.vars.get('roles')!).get('durableTaskDataContributor')).toBe("'0ad04412-c4d5-4796-b79c-f76d14c8d402'");
    const grant = roles.resources.find((r) => r.symbol === 'functionDurableTask')!;
    expect(grant.body).toContain('guid(scheduler.id, functionPrincipalId, roles.durableTaskDataContributor)');
    expect(grant.body).toMatch(/scope: scheduler/);
    expect(roles.code).toMatch(/resource functionDurableTask '[^']+' = if \(!empty\(durableTaskSchedulerName\)\)/);
    const fnModule = main.modules.find((m) => m.path === 'modules/functionApp.bicep')!;
    expect(objectEntries(propertyBody(fnModule.body, 'params')!).get('durableSettings')).toBe('durableSettings');
    // The backend's settings come last in the union, so nothing after them overrides the connection.
    expect(readBicep(path.join(bicepDir, 'modules/functionApp.bicep')).vars.get('allSettings')).toBe(
      'union(appSettings, platformSettings, processMemorySettings, durableSettings)',
    );
  });

  it('is documented in docs/deploy.md, with the reason for the default', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/deploy.md'), 'utf8');
    const section = doc.split('## Durable backend')[1]?.split('\n## ')[0] ?? '';
    expect(section).toContain("durableBackend='DurableTaskScheduler'");
    expect(section).toMatch(/Netherite/);
    expect(section).toMatch(/default/i);
  });
});
