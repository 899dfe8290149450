import { RetryOptions, type OrchestrationContext } from 'durable-functions';
import { ActivitySlots } from '../../src/host/activitySlots';
import { LocalOrchestrationHost } from '../../src/host/localHost';
import { createLocalHost } from '../../src/host/localRuntime';
import { loadSettings } from '../../src/lib/config/settings';
import type { PipelineServices } from '../../src/lib/pipelineServices';

/** A fan-out of `width` activities that each wait a few ticks; returns the most that ran at once. */
async function peakConcurrency(host: LocalOrchestrationHost, width: number): Promise<{ peak: number; output: unknown }> {
  let running = 0;
  let peak = 0;
  host.registerActivity('batch', async (n) => {
    running++;
    peak = Math.max(peak, running);
    for (let k = 0; k < 3; k++) await new Promise((resolve) => setImmediate(resolve));
    running--;
    return (n as number) * 10;
  });
  host.registerOrchestrator('fanOut', function* (context: OrchestrationContext) {
    const tasks = Array.from({ length: width }, (_, n) => context.df.callActivityWithRetry('batch', new RetryOptions(1, 1), n));
    return (yield context.df.Task.all(tasks)) as number[];
  });
  const status = await host.waitForCompletion(host.startNew('fanOut', { instanceId: 'slots', input: null }));
  return { peak, output: status.output };
}

describe('local host: at most maxConcurrentActivities activities at once (host.json maxConcurrentActivityFunctions)', () => {
  it('runs a fan-out of 12 two at a time, every result in its place', async () => {
    const limited = await peakConcurrency(new LocalOrchestrationHost({ sleep: async () => undefined, maxConcurrentActivities: 2 }), 12);
    expect(limited.peak).toBe(2);
    expect(limited.output).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
  });

  it('without a limit the whole fan-out starts at once (what the local host did before)', async () => {
    expect((await peakConcurrency(new LocalOrchestrationHost({ sleep: async () => undefined }), 12)).peak).toBe(12);
  });

  it('the CLI host takes the limit from DEMAND_LOCAL_MAX_ACTIVITIES', async () => {
    // createLocalHost reads only settings and log when it builds the host; the activities below are the test's.
    const services = (env: Record<string, string>) =>
      ({ settings: loadSettings(env), log: () => undefined }) as unknown as PipelineServices;
    expect(
      (await peakConcurrency(createLocalHost(services({ DEMAND_LOCAL_MAX_ACTIVITIES: '3' }), { sleep: async () => undefined }), 12)).peak,
    ).toBe(3);
    expect((await peakConcurrency(createLocalHost(services({}), { sleep: async () => undefined }), 12)).peak).toBe(4);
    expect(() => loadSettings({ DEMAND_LOCAL_MAX_ACTIVITIES: '0' })).toThrow(/DEMAND_LOCAL_MAX_ACTIVITIES/);
  });

  it('a failed activity gives its slot back', async () => {
    const slots = new ActivitySlots(1);
    const failing = slots.run(() => Promise.reject(new Error('boom')));
    const next = slots.run(async () => 'ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    expect(slots.active).toBe(0);
  });

  it('refuses a limit below 1, naming it', () => {
    expect(() => new ActivitySlots(0)).toThrow('maxConcurrentActivities must be an integer >= 1; got 0');
  });
});
