/**
 * host.json, local.settings.sample.json and docs/settings.md against the settings the code reads
 * (settingNames / settingsSchema), so adding a setting without documenting it fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSettings, settingNames, settingsSchema } from '../../src/lib/config/settings';
import { glibcMallocEnvironment } from '../../src/host/memoryTuning';
import { expect } from '@jest/globals';

const repoRoot = path.resolve(__dirname, '../..');
const readJson = (rel: string): unknown => JSON.parse(fs.readFileSync(path.join(repoRoot, rel), 'utf8'));

describe('local.settings.sample.json', () => {
  const sample = readJson('local.settings.sample.json') as { IsEncrypted: boolean; Values: Record<string, unknown> };

  it('is unencrypted and lists every setting the code reads plus the Functions runtime ones', () => {
    expect(sample.IsEncrypted).toBe(false);
    const keys = Object.keys(sample.Values);
    expect(settingNames.filter((n) => !keys.includes(n))).toEqual([]);
    expect(sample.Values['AzureWebJobsStorage']).toBe('UseDevelopmentStorage=true');
    expect(sample.Values['FUNCTIONS_WORKER_RUNTIME']).toBe('node');
    const runtime = new Set([
      'AzureWebJobsStorage',
      'FUNCTIONS_WORKER_RUNTIME',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      ...Object.keys(glibcMallocEnvironment),
    ]);
    expect(keys.filter((k) => !runtime.has(k) && !(settingNames as string[]).includes(k))).toEqual([]);
  });

  it('runs `func start` with the malloc settings of Azure and the local CLI (src/host/memoryTuning.ts)', () => {
    for (const [name, value] of Object.entries(glibcMallocEnvironment))
      expect({ name, value: sample.Values[name] }).toEqual({ name, value });
  });

  it('holds only string values the settings loader accepts', () => {
    for (const v of Object.values(sample.Values)) expect(typeof v).toBe('string');
    expect(() => loadSettings(sample.Values as Record<string, string>)).not.toThrow();
  });
});

describe('host.json', () => {
  const host = readJson('host.json') as {
    version: string;
    functionTimeout: string;
    extensionBundle: { id: string; version: string };
    extensions: { durableTask: Record<string, unknown> & { storageProvider: Record<string, unknown> } };
    logging: { logLevel: Record<string, string>; applicationInsights: { samplingSettings: { isEnabled: boolean; excludedTypes: string } } };
  };

  it('uses the v4 extension bundle (Durable Functions for Node.js v4 programming model)', () => {
    expect(host.version).toBe('2.0');
    expect(host.extensionBundle).toEqual({ id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
  });

  it('tunes Durable Functions for CPU-bound activities on 2048 MB Flex instances', () => {
    const dt = host.extensions.durableTask;
    expect(dt['hubName']).toBe('DemandPipeline');
    expect(dt['hubName']).toMatch(/^[A-Za-z][A-Za-z0-9]{2,44}$/); // task hub naming rule
    expect(dt['maxConcurrentActivityFunctions']).toBeGreaterThanOrEqual(1);
    expect(dt['maxConcurrentActivityFunctions']).toBeLessThanOrEqual(4);
    expect(dt['maxConcurrentOrchestratorFunctions']).toBeGreaterThanOrEqual(dt['maxConcurrentActivityFunctions'] as number);
    // Extended sessions are supported for .NET only; on Node they can silently stop functions running.
    expect(dt['extendedSessionsEnabled']).toBeUndefined();
    expect(dt.storageProvider['connectionName']).toBe('AzureWebJobsStorage');
  });

  it('sets a function timeout of at least 10 and at most 60 minutes, quiet storage logs and keeps requests out of sampling', () => {
    const [h, m, s] = host.functionTimeout.split(':').map(Number) as [number, number, number];
    const minutes = h * 60 + m + s / 60;
    expect(minutes).toBeGreaterThanOrEqual(10);
    expect(minutes).toBeLessThanOrEqual(60);
    expect(host.logging.logLevel['DurableTask.AzureStorage']).toBe('Warning');
    expect(host.logging.logLevel['Host.Results']).toBeDefined();
    expect(host.logging.logLevel['Function']).toBeDefined();
    expect(host.logging.applicationInsights.samplingSettings.excludedTypes.split(';')).toContain('Request');
  });
});

describe('docs/settings.md', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs/settings.md'), 'utf8');
  const section = doc.split('## Pipeline settings')[1]?.split('\n## ')[0] ?? '';
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split('|').map((c) => c.trim()));

  it('has one row per setting the code reads, no more, no fewer, no duplicates', () => {
    const names = rows.map((r) => r[1]!.replace(/`/g, ''));
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...settingNames].sort());
  });

  it('states each default exactly as the code has it (or that there is none)', () => {
    const defaults = settingsSchema.parse({}) as Record<string, unknown>;
    for (const r of rows) {
      const name = r[1]!.replace(/`/g, '');
      const meaning = r[2]!;
      const stated = r[3]!;
      expect(meaning.length).toBeGreaterThan(10);
      const value = defaults[name];
      if (value === undefined) expect({ name, stated }).toEqual({ name, stated: expect.stringMatching(/^\(unset/) });
      else expect({ name, stated }).toEqual({ name, stated: `\`${value as string | number | boolean}\`` });
    }
  });
});
