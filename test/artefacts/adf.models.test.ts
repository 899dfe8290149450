/**
 * Every adf/**\/*.json (Data Factory Git layout) validated against the models `@azure/arm-datafactory`
 * generates from the service's 2018-06-01 REST specification, through its own mappers and
 * serializer, with every reference resolved: linked services, datasets, pipelines, triggers,
 * activity() and parameter expressions, and global parameters (factory/ file, which must match
 * what Bicep sets). Not checked against the service itself: there is no Data Factory here.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Mapper } from '@azure/core-client';
import { dataFactoryMappers, modelProblems, serializerRoundTrip, type ModelProblem } from './adfModels';

const adfDir = path.resolve(__dirname, '../../adf');
const bicepFactory = path.resolve(__dirname, '../../infra/bicep/modules/dataFactory.bicep');

type Json = Record<string, unknown>;
interface AdfFile {
  kind: string;
  file: string;
  json: Json;
}

/** Folder → the model of a file in it and the resource type the Git layout records. */
const kinds: Record<string, { model: string; type?: string }> = {
  linkedService: { model: 'LinkedServiceResource', type: 'Microsoft.DataFactory/factories/linkedservices' },
  dataset: { model: 'DatasetResource', type: 'Microsoft.DataFactory/factories/datasets' },
  pipeline: { model: 'PipelineResource', type: 'Microsoft.DataFactory/factories/pipelines' },
  trigger: { model: 'TriggerResource', type: 'Microsoft.DataFactory/factories/triggers' },
  factory: { model: 'Factory' },
};
const referenceKinds: Record<string, string> = {
  LinkedServiceReference: 'linkedService',
  DatasetReference: 'dataset',
  PipelineReference: 'pipeline',
  TriggerReference: 'trigger',
};

function loadAdf(): AdfFile[] {
  const files: AdfFile[] = [];
  for (const kind of readdirSync(adfDir)) {
    if (!statSync(path.join(adfDir, kind)).isDirectory()) continue;
    for (const file of readdirSync(path.join(adfDir, kind)).filter((f) => f.endsWith('.json'))) {
      files.push({ kind, file: `${kind}/${file}`, json: JSON.parse(readFileSync(path.join(adfDir, kind, file), 'utf8')) as Json });
    }
  }
  return files;
}

/** Model problems of one file, plus the SDK serializer's verdict on the same JSON. */
function fileProblems(f: AdfFile): ModelProblem[] {
  const kind = kinds[f.kind];
  if (!kind) return [{ path: f.file, problem: `unknown folder ${f.kind} (Git layout: ${Object.keys(kinds).join(', ')})` }];
  const mapper = dataFactoryMappers()[kind.model] as Mapper;
  const problems = modelProblems(mapper, f.json, f.file, { allowReadOnly: new Set(['name', 'type']) });
  if (f.json.name !== path.basename(f.file, '.json'))
    problems.push({ path: `${f.file}.name`, problem: `must be the file name, got ${JSON.stringify(f.json.name)}` });
  if (kind.type && f.json.type !== kind.type) problems.push({ path: `${f.file}.type`, problem: `must be ${kind.type}` });
  const serializer = serializerRoundTrip(mapper, f.json, f.file);
  if (serializer) problems.push({ path: f.file, problem: `serializer: ${serializer}` });
  return problems;
}

const parametersOf = (f: AdfFile | undefined) =>
  ((f?.json.properties as Json | undefined)?.parameters ?? {}) as Record<string, { defaultValue?: unknown }>;

function visit(value: unknown, at: string, onObject: (o: Json, at: string) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${at}[${i}]`, onObject));
  else if (value && typeof value === 'object') {
    onObject(value as Json, at);
    for (const [k, v] of Object.entries(value)) visit(v, `${at}.${k}`, onObject);
  }
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** Names of the activities of a pipeline, nested containers (If/ForEach/Until/Switch) included. */
function activityNames(pipeline: Json): Set<string> {
  const names = new Set<string>();
  visit(pipeline.properties, '', (o) => {
    if (typeof o.name === 'string' && typeof o.type === 'string' && Array.isArray(o.dependsOn)) names.add(o.name);
  });
  return names;
}

/** Every reference and parameter expression resolved. */
function referenceProblems(files: AdfFile[], bicepGlobals: string[]): string[] {
  const problems: string[] = [];
  const byName = new Map(files.map((f) => [`${f.kind}/${String(f.json.name)}`, f]));
  const factories = files.filter((f) => f.kind === 'factory');
  if (factories.length !== 1) problems.push(`expected one factory/ file, found ${factories.length}`);
  const globals = ((factories[0]?.json.properties as Json | undefined)?.globalParameters ?? {}) as Json;
  if (JSON.stringify(Object.keys(globals).sort()) !== JSON.stringify([...bicepGlobals].sort())) {
    problems.push(
      `factory/ global parameters ${Object.keys(globals).sort().join(',')} differ from Bicep's ${[...bicepGlobals].sort().join(',')}`,
    );
  }
  const checkArguments = (where: string, target: AdfFile, passed: Json | undefined) => {
    const declared = parametersOf(target);
    for (const name of Object.keys(passed ?? {}))
      if (!(name in declared)) problems.push(`${where}: passes ${name}, which ${target.file} does not declare`);
    for (const [name, spec] of Object.entries(declared)) {
      if (spec.defaultValue === undefined && !(name in (passed ?? {})))
        problems.push(`${where}: does not pass ${name}, which ${target.file} requires`);
    }
  };
  for (const f of files) {
    visit(f.json, f.file, (o, at) => {
      const kind = typeof o.type === 'string' ? referenceKinds[o.type] : undefined;
      if (!kind || typeof o.referenceName !== 'string') return;
      const target = byName.get(`${kind}/${o.referenceName}`);
      if (!target) problems.push(`${at}: ${o.type as string} to ${o.referenceName}, which adf/${kind}/ does not have`);
      else checkArguments(at, target, o.parameters as Json | undefined);
    });
    if (f.kind === 'trigger') {
      for (const [i, p] of (
        ((f.json.properties as Json).pipelines ?? []) as Array<{ pipelineReference: { referenceName: string }; parameters?: Json }>
      ).entries()) {
        const target = byName.get(`pipeline/${p.pipelineReference.referenceName}`);
        if (target) checkArguments(`${f.file}.pipelines[${i}]`, target, p.parameters ?? {});
      }
    }
    const text = strings(f.json).join('\n');
    const declared = parametersOf(f);
    const own = {
      linkedService: /linkedService\(\)\.(\w+)/g,
      dataset: /dataset\(\)\.(\w+)/g,
      pipeline: /pipeline\(\)\.parameters\.(\w+)/g,
    }[f.kind];
    for (const m of own ? text.matchAll(own) : [])
      if (!(m[1]! in declared)) problems.push(`${f.file}: reads parameter ${m[1]}, which it does not declare`);
    for (const m of text.matchAll(/pipeline\(\)\.globalParameters\.(\w+)/g))
      if (!(m[1]! in globals)) problems.push(`${f.file}: reads global parameter ${m[1]}, which factory/ does not declare`);
    if (f.kind === 'pipeline') {
      const activities = activityNames(f.json);
      for (const m of text.matchAll(/activity\('([^']+)'\)/g))
        if (!activities.has(m[1]!)) problems.push(`${f.file}: reads activity('${m[1]}'), which it does not have`);
    }
  }
  return problems;
}

const bicepGlobals = (() => {
  const text = readFileSync(bicepFactory, 'utf8');
  const block = /globalParameters: \{([\s\S]*?)\n {4}\}/.exec(text)?.[1] ?? '';
  return [...block.matchAll(/^\s*(\w+): \{/gm)].map((m) => m[1]!);
})();

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('adf/ against the @azure/arm-datafactory models', () => {
  const files = loadAdf();
  const find = (file: string) => clone(files.find((f) => f.file === file)!);

  it('has every kind of resource, each with no model or serializer problem', () => {
    expect(new Set(files.map((f) => f.kind))).toEqual(new Set(['linkedService', 'dataset', 'pipeline', 'trigger', 'factory']));
    expect(files.flatMap(fileProblems)).toEqual([]);
  });

  it('resolves every reference, parameter, global parameter and activity() it uses', () => {
    expect(bicepGlobals.length).toBeGreaterThan(0);
    expect(referenceProblems(files, bicepGlobals)).toEqual([]);
  });

  it('LS_PartnerSftp passes the port as an integer expression, not a "@{…}" string', () => {
    // Defect: "@{linkedService().port}" interpolates to a string where the model says integer.
    const sftp = find('linkedService/LS_PartnerSftp.json');
    expect(((sftp.json.properties as Json).typeProperties as Json).port).toBe('@linkedService().port');
    ((sftp.json.properties as Json).typeProperties as Json).port = '@{linkedService().port}';
    expect(fileProblems(sftp)).toEqual([
      {
        path: 'linkedService/LS_PartnerSftp.json.properties.typeProperties.port',
        problem: '"@{linkedService().port}" cannot yield the integer SftpServerLinkedService.port must be',
      },
    ]);
  });

  it('sets no read-only property (a trigger runtimeState is ignored by the service)', () => {
    const trigger = find('trigger/TR_DailyDemandPipeline.json');
    expect((trigger.json.properties as Json).runtimeState).toBeUndefined();
    (trigger.json.properties as Json).runtimeState = 'Stopped';
    expect(fileProblems(trigger).map((p) => p.problem)).toEqual(['read-only in ScheduleTrigger: the service ignores it']);
  });

  describe('broken copies fail', () => {
    it('a misspelt property (reportStatusOnCallback)', () => {
      const pipeline = find('pipeline/PL_DemandPipeline.json');
      const hook = ((pipeline.json.properties as Json).activities as Json[]).find((a) => a.type === 'WebHook')!;
      const tp = hook.typeProperties as Json;
      tp.reportStatusOnCallback = tp.reportStatusOnCallBack;
      delete tp.reportStatusOnCallBack;
      expect(fileProblems(pipeline).map((p) => p.problem)).toEqual(['not a property of WebHookActivity']);
    });

    it('a misspelt property deep inside a nested activity (If → Copy → source → storeSettings)', () => {
      const pipeline = find('pipeline/PL_DemandPipeline.json');
      const copy = ((((pipeline.json.properties as Json).activities as Json[])[0]!.typeProperties as Json).ifTrueActivities as Json[])[0]!;
      (((copy.typeProperties as Json).source as Json).storeSettings as Json).recursiv = true;
      expect(fileProblems(pipeline)).toEqual([
        {
          path: 'pipeline/PL_DemandPipeline.json.properties.activities[0].typeProperties.ifTrueActivities[0].typeProperties.source.storeSettings.recursiv',
          problem: 'not a property of SftpReadSettings',
        },
      ]);
    });

    it('a missing required property (the WebHook url), also refused by the SDK serializer', () => {
      const pipeline = find('pipeline/PL_DemandPipeline.json');
      const hook = ((pipeline.json.properties as Json).activities as Json[]).find((a) => a.type === 'WebHook')!;
      delete (hook.typeProperties as Json).url;
      const problems = fileProblems(pipeline);
      expect(problems.some((p) => p.problem === 'required by WebHookActivity but missing')).toBe(true);
      expect(problems.some((p) => p.problem.startsWith('serializer:'))).toBe(true);
    });

    it('an unknown activity type and a wrong enum value', () => {
      const pipeline = find('pipeline/PL_DemandPipeline.json');
      const activities = (pipeline.json.properties as Json).activities as Json[];
      activities[1]!.type = 'WebActivty';
      (activities[2]!.typeProperties as Json).method = 'PUT';
      expect(fileProblems(pipeline).map((p) => p.problem)).toEqual(['"WebActivty" is not a kind of Activity', '"PUT" is not one of POST']);
    });

    it('a dataset naming a linked service that does not exist, and a pipeline reading an undeclared global parameter', () => {
      const broken = files.map(clone);
      const dataset = broken.find((f) => f.file === 'dataset/DS_LakeLanding.json')!;
      ((dataset.json.properties as Json).linkedServiceName as Json).referenceName = 'LS_Lakes';
      const factory = broken.find((f) => f.kind === 'factory')!;
      delete ((factory.json.properties as Json).globalParameters as Json).lakeFilesystem;
      expect(referenceProblems(broken, bicepGlobals)).toEqual([
        expect.stringMatching(/^factory\/ global parameters .* differ from Bicep's/),
        'dataset/DS_LakeLanding.json.properties.linkedServiceName: LinkedServiceReference to LS_Lakes, which adf/linkedService/ does not have',
        'pipeline/PL_DemandPipeline.json: reads global parameter lakeFilesystem, which factory/ does not declare',
      ]);
    });
  });
});
