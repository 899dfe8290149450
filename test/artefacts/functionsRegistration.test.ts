/**
 * The Function App's entry point (src/functions/index.ts, package.json "main" once built) loaded
 * the way the Functions host loads it, with a stand-in for `@azure/functions-core` (the module the
 * host's Node.js worker provides) that records every registration the v4 programming model makes.
 * The expected functions come from the code (src/contracts/names.ts and the app.http/app.timer
 * calls in src/functions), so adding a function needs no edit here; every name an orchestrator
 * calls or a client starts must resolve to a registered function of the right kind.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { activityNames, orchestratorNames } from '../../src/contracts/names';

interface Binding {
  type: string;
  direction: string;
  [option: string]: unknown;
}
interface Registration {
  name: string;
  bindings: Record<string, Binding>;
}

const srcDir = path.resolve(__dirname, '../../src');

/** Loads the entry point in a fresh module registry with `env` applied; returns what it registered. */
function loadEntryPoint(env: Record<string, string | undefined> = {}): { registrations: Registration[]; programmingModel: unknown } {
  const registrations: Registration[] = [];
  let programmingModel: unknown;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  try {
    jest.isolateModules(() => {
      jest.doMock(
        '@azure/functions-core',
        () => ({
          setProgrammingModel: (model: unknown) => {
            programmingModel = model;
          },
          registerFunction: (metadata: Registration, callback: unknown) => {
            if (typeof callback !== 'function') throw new Error(`registerFunction(${metadata.name}) without a handler`);
            registrations.push(metadata);
            return { dispose: () => undefined };
          },
          log: () => undefined,
          registerHook: () => ({ dispose: () => undefined }),
        }),
        { virtual: true },
      );
      jest.requireActual('../../src/functions/index');
    });
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
  return { registrations, programmingModel };
}

const triggerOf = (r: Registration) => Object.values(r.bindings).find((b) => /Trigger$/.test(b.type))!;
const byTrigger = (rs: Registration[], type: string) =>
  rs
    .filter((r) => triggerOf(r)?.type === type)
    .map((r) => r.name)
    .sort();

function sources(dir: string): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [{ file: path.join(dir, e.name), text: readFileSync(path.join(dir, e.name), 'utf8') }]
        : [],
  );
}

/** `app.http('name'` / `app.timer('name'` registrations in src/functions, by kind. */
function declaredAppFunctions(kind: 'http' | 'timer'): string[] {
  return sources(path.join(srcDir, 'functions'))
    .flatMap((s) => [...s.text.matchAll(new RegExp(`\\bapp\\.${kind}\\(\\s*'([^']+)'`, 'g'))].map((m) => m[1]!))
    .sort();
}

/**
 * The first argument of every call of `method` in src/, resolved through names.ts (also through the
 * orchestrators' typed helpers, `callActivity<T>(context, name, …)` in src/orchestrators/calls.ts). A forwarder
 * (a helper passing on its own name parameter) is skipped: its callers are scanned instead.
 */
function calledNames(
  methods: string[],
  files = sources(srcDir),
): Array<{ file: string; method: string; argument: string; name: string | undefined }> {
  const names: Record<string, Record<string, string>> = { activityNames, orchestratorNames };
  return files.flatMap((s) =>
    [
      ...s.text.matchAll(
        new RegExp(
          `(?<!function )\\b(${methods.join('|')})(?:<[^<>()]*>)?\\(\\s*(?:\\w+\\([^)]*\\),\\s*|client,\\s*|context,\\s*)?([^,)]+)`,
          'g',
        ),
      ),
    ].flatMap((m) => {
      const argument = m[2]!.trim();
      if (/^\w+$/.test(argument) && new RegExp(`\\b${argument}\\??: (?:OrchestratorName|ActivityName|string)\\b`).test(s.text)) return [];
      // A declaration (`startOnce(client: …`, `startNew(name: string, …`), not a call.
      if (argument.includes(':')) return [];
      const constant = /^(\w+)\.(\w+)$/.exec(argument);
      const literal = /^'([^']+)'$/.exec(argument);
      return [
        {
          file: path.relative(srcDir, s.file),
          method: m[1]!,
          argument,
          name: literal ? literal[1] : constant ? names[constant[1]!]?.[constant[2]!] : undefined,
        },
      ];
    }),
  );
}

describe('Functions entry point registrations (stand-in for @azure/functions-core)', () => {
  const loaded = loadEntryPoint({
    DEMAND_PIPELINE_TIMER_ENABLED: undefined,
    DEMAND_DRIFT_SCHEDULE: undefined,
    DEMAND_PIPELINE_SCHEDULE: undefined,
  });
  const all = loaded.registrations;

  it('registers every orchestrator and activity of names.ts, and every HTTP and timer function, once each', () => {
    expect(loaded.programmingModel).toMatchObject({ name: '@azure/functions' });
    expect(byTrigger(all, 'orchestrationTrigger')).toEqual(Object.values(orchestratorNames).sort());
    expect(byTrigger(all, 'activityTrigger')).toEqual(Object.values(activityNames).sort());
    expect(byTrigger(all, 'httpTrigger')).toEqual(declaredAppFunctions('http'));
    expect(byTrigger(all, 'timerTrigger')).toEqual(declaredAppFunctions('timer'));
    expect(new Set(all.map((r) => r.name)).size).toBe(all.length);
    // Nothing registered with a trigger this test does not know about.
    expect(
      all.filter((r) => !['orchestrationTrigger', 'activityTrigger', 'httpTrigger', 'timerTrigger'].includes(triggerOf(r)?.type ?? '')),
    ).toEqual([]);
    // Today's figures, as a readable record (the assertions above are the check).
    const counts = Object.fromEntries(
      ['orchestrationTrigger', 'activityTrigger', 'httpTrigger', 'timerTrigger'].map((t) => [t, byTrigger(all, t).length]),
    );
    expect(counts.orchestrationTrigger).toBeGreaterThanOrEqual(5);
    expect(counts.activityTrigger).toBeGreaterThanOrEqual(10);
  });

  const callMethods = [
    'callActivity',
    'callActivityWithRetry',
    'callSubOrchestrator',
    'callSubOrchestratorWithRetry',
    'startNew',
    'startOnce',
  ];
  const unresolvedOf = (calls: ReturnType<typeof calledNames>) => {
    const registered = {
      activity: new Set(byTrigger(all, 'activityTrigger')),
      orchestration: new Set(byTrigger(all, 'orchestrationTrigger')),
    };
    return calls.filter((c) => !(/^callActivity/.test(c.method) ? registered.activity : registered.orchestration).has(c.name ?? ''));
  };

  it('every name an orchestrator calls or a client starts resolves to a registered function of that kind', () => {
    const calls = calledNames(callMethods);
    const orchestratorCalls = calls.filter(
      (c) => c.file.startsWith(`orchestrators${path.sep}`) || c.file.startsWith(`functions${path.sep}`),
    );
    // 19 callActivity*/callSubOrchestrator* calls when this was written; at least one per activity.
    expect(orchestratorCalls.filter((c) => /^call/.test(c.method)).length).toBeGreaterThanOrEqual(Object.keys(activityNames).length);
    expect(unresolvedOf(orchestratorCalls)).toEqual([]);
    // Every activity is called by some orchestrator (an unused registration is a naming slip).
    expect(Object.values(activityNames).filter((a) => !orchestratorCalls.some((c) => c.name === a))).toEqual([]);
  });

  it('a misspelt or unregistered name, or one that is not a names.ts constant, is caught', () => {
    const text = [
      "yield context.df.callActivityWithRetry('publsh', retry, input);",
      'yield context.df.callSubOrchestratorWithRetry(activityNames.publish, retry, input);',
      'yield context.df.callActivity(someName, input);',
      'yield context.df.callActivityWithRetry(activityNames.publish, retry, input);',
    ].join('\n');
    expect(
      unresolvedOf(calledNames(callMethods, [{ file: path.join(srcDir, 'orchestrators/broken.ts'), text }])).map((c) => c.argument),
    ).toEqual(["'publsh'", 'activityNames.publish', 'someName']);
  });

  it('HTTP functions need a function key and have distinct routes; timers carry a durable client and a schedule', () => {
    const http = all.filter((r) => triggerOf(r).type === 'httpTrigger');
    for (const r of http) expect({ name: r.name, authLevel: triggerOf(r).authLevel }).toEqual({ name: r.name, authLevel: 'function' });
    const routes = http.map((r) => `${String(triggerOf(r).methods)} ${String(triggerOf(r).route)}`);
    expect(new Set(routes).size).toBe(routes.length);
    for (const r of all.filter((x) => triggerOf(x).type === 'timerTrigger')) {
      expect(Object.values(r.bindings).map((b) => b.type)).toContain('durableClient');
      expect(String(triggerOf(r).schedule)).toMatch(/^(\S+ ){5}\S+$|^%\w+%$/);
    }
  });

  it('scheduledPipeline falls back to the default schedule when DEMAND_PIPELINE_SCHEDULE is unset', () => {
    // Defect: '%DEMAND_PIPELINE_SCHEDULE%' with the setting unset made the host fail to index the app.
    const timer = (rs: Registration[]) => triggerOf(rs.find((r) => r.name === 'scheduledPipeline')!);
    expect(timer(all).schedule).toBe('0 0 2 * * *');
    const set = loadEntryPoint({ DEMAND_PIPELINE_SCHEDULE: '0 15 3 * * *', DEMAND_PIPELINE_TIMER_ENABLED: undefined });
    expect(timer(set.registrations).schedule).toBe('%DEMAND_PIPELINE_SCHEDULE%');
  });

  it('the timer switches remove exactly their timers', () => {
    const off = loadEntryPoint({ DEMAND_PIPELINE_TIMER_ENABLED: 'false', DEMAND_DRIFT_SCHEDULE: 'off' }).registrations;
    expect(byTrigger(off, 'timerTrigger')).toEqual([]);
    expect(off.length).toBe(all.length - declaredAppFunctions('timer').length);
  });
});
