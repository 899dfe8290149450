import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { LocalOrchestrationHost } from '../../src/host/localHost';

function hostWith(activities: Record<string, (input: unknown) => Promise<unknown>>) {
  const host = new LocalOrchestrationHost({ sleep: async () => undefined });
  for (const [name, fn] of Object.entries(activities)) host.registerActivity(name, fn);
  return host;
}

describe('LocalOrchestrationHost on the durable-functions replay engine', () => {
  it('runs a sequence and a fan-out to completion', async () => {
    const host = hostWith({
      double: async (x) => (x as number) * 2,
      sum: async (xs) => (xs as number[]).reduce((a, b) => a + b, 0),
    });
    host.registerOrchestrator('main', function* (context: OrchestrationContext) {
      const first = (yield context.df.callActivity('double', 1)) as number;
      const many = (yield context.df.Task.all([2, 3, 4].map((n) => context.df.callActivity('double', n)))) as number[];
      const total = (yield context.df.callActivity('sum', [first, ...many])) as number;
      return { total, at: context.df.currentUtcDateTime.toISOString() };
    });
    const id = host.startNew('main', { instanceId: 'i1', input: null });
    const status = await host.waitForCompletion(id);
    expect(status.runtimeStatus).toBe('Completed');
    expect((status.output as { total: number }).total).toBe(2 + 4 + 6 + 8);
  });

  it('retries a failing activity with callActivityWithRetry and succeeds', async () => {
    let calls = 0;
    const host = hostWith({
      flaky: async () => {
        calls++;
        if (calls < 3) throw new Error(`transient failure ${calls}`);
        return 'ok';
      },
      after: async (x) => `after:${String(x)}`,
    });
    host.registerOrchestrator('main', function* (context: OrchestrationContext) {
      const retry = new df.RetryOptions(10, 5);
      const a = (yield context.df.callActivityWithRetry('flaky', retry, 'x')) as string;
      const b = (yield context.df.callActivity('after', a)) as string;
      return b;
    });
    const status = await host.waitForCompletion(host.startNew('main', { instanceId: 'r1' }));
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe('after:ok');
    expect(calls).toBe(3);
  });

  it('fails the instance when retries are used up, and the orchestrator can catch it first', async () => {
    let calls = 0;
    const host = hostWith({
      broken: async () => {
        calls++;
        throw new Error('always broken');
      },
      report: async (x) => x,
    });
    host.registerOrchestrator('main', function* (context: OrchestrationContext) {
      try {
        yield context.df.callActivityWithRetry('broken', new df.RetryOptions(10, 3), null);
        return 'unexpected';
      } catch (err) {
        const reported = (yield context.df.callActivity('report', `caught: ${(err as Error).message.slice(0, 60)}`)) as string;
        throw new Error(reported);
      }
    });
    const status = await host.waitForCompletion(host.startNew('main', { instanceId: 'f1' }));
    expect(calls).toBe(3);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain('always broken');
  });

  it('runs sub-orchestrations, including retried fan-outs in parallel', async () => {
    const attempts = new Map<number, number>();
    const host = hostWith({
      work: async (n) => {
        const k = n as number;
        attempts.set(k, (attempts.get(k) ?? 0) + 1);
        if (k % 2 === 0 && attempts.get(k) === 1) throw new Error(`first try of ${k} fails`);
        return k * 10;
      },
    });
    host.registerOrchestrator('child', function* (context: OrchestrationContext) {
      const items = context.df.getInput<number[]>();
      const results = (yield context.df.Task.all(
        items.map((n) => context.df.callActivityWithRetry('work', new df.RetryOptions(5, 3), n)),
      )) as number[];
      return results.reduce((a, b) => a + b, 0);
    });
    host.registerOrchestrator('parent', function* (context: OrchestrationContext) {
      const sums = (yield context.df.Task.all([
        context.df.callSubOrchestrator('child', [1, 2, 3], 'p:c0'),
        context.df.callSubOrchestrator('child', [4, 5, 6], 'p:c1'),
      ])) as number[];
      return sums;
    });
    const status = await host.waitForCompletion(host.startNew('parent', { instanceId: 'p' }));
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual([60, 150]);
    expect(attempts.get(2)).toBe(2);
    expect(attempts.get(3)).toBe(1);
  });

  it('surfaces non-determinism as an error naming the instance', async () => {
    let flip = 0;
    const host = hostWith({ a: async () => 1, b: async () => 2, c: async () => 3 });
    host.registerOrchestrator('bad', function* (context: OrchestrationContext) {
      // Deliberately non-deterministic: changes between replays (what Date.now or Math.random do).
      flip++;
      const first = (yield context.df.callActivity(flip % 2 === 1 ? 'a' : 'b', null)) as number;
      const second = (yield context.df.callActivity('c', null)) as number;
      return first + second;
    });
    const status = await host.waitForCompletion(host.startNew('bad', { instanceId: 'nd-1' }));
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(/Non-deterministic orchestration detected in instance 'nd-1'/);
  });

  it('surfaces an activity input that changes between replays (compared with the input as scheduled)', async () => {
    let replays = 0;
    const host = hostWith({ a: async () => 1, c: async () => 3 });
    host.registerOrchestrator('bad-input', function* (context: OrchestrationContext) {
      replays++;
      const first = (yield context.df.callActivity('a', { n: replays > 1 ? 2 : 1 })) as number;
      const second = (yield context.df.callActivity('c', null)) as number;
      return first + second;
    });
    const status = await host.waitForCompletion(host.startNew('bad-input', { instanceId: 'nd-2' }));
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(/Non-deterministic orchestration detected in instance 'nd-2'.*action #0/s);
  });

  it('compares replays with the input as scheduled, not as an activity left it', async () => {
    const host = hostWith({
      mutate: async (input) => {
        (input as { seen?: boolean }).seen = true;
        return 1;
      },
      c: async () => 3,
    });
    host.registerOrchestrator('mutated', function* (context: OrchestrationContext) {
      const first = (yield context.df.callActivity('mutate', { n: 1 })) as number;
      const second = (yield context.df.callActivity('c', null)) as number;
      return first + second;
    });
    const status = await host.waitForCompletion(host.startNew('mutated', { instanceId: 'mut-1' }));
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(4);
  });

  it('gives the orchestrator a replay-stable clock', async () => {
    const seen: string[] = [];
    const host = hostWith({ noop: async () => null });
    host.registerOrchestrator('clock', function* (context: OrchestrationContext) {
      const start = context.df.currentUtcDateTime.toISOString();
      if (!context.df.isReplaying) seen.push(start);
      yield context.df.callActivity('noop', start);
      yield context.df.callActivity('noop', start);
      return start;
    });
    const status = await host.waitForCompletion(host.startNew('clock', { instanceId: 'c1' }));
    expect(status.runtimeStatus).toBe('Completed');
    expect(new Set(seen).size).toBe(1);
  });
});

describe('sub-orchestration retries', () => {
  it('reuse the child instance id, as Azure does, and replace the failed run', async () => {
    let childRuns = 0;
    const host = new LocalOrchestrationHost({ sleep: async () => undefined });
    host.registerActivity('flakyOnce', async () => {
      childRuns++;
      if (childRuns === 1) throw new Error('child fails the first time');
      return 'child ok';
    });
    host.registerOrchestrator('child', function* (context: OrchestrationContext) {
      const r = (yield context.df.callActivity('flakyOnce', null)) as string;
      return r;
    });
    host.registerOrchestrator('parent', function* (context: OrchestrationContext) {
      const r = (yield context.df.callSubOrchestratorWithRetry('child', new df.RetryOptions(5, 3), null, 'parent:child')) as string;
      return r;
    });
    const status = await host.waitForCompletion(host.startNew('parent', { instanceId: 'parent' }));
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe('child ok');
    expect(childRuns).toBe(2);
    expect(host.getStatus('parent:child')?.runtimeStatus).toBe('Completed');
    expect(host.getStatus('parent:child:attempt2')).toBeUndefined();
  });
});
