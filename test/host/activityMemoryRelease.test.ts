/**
 * The local host gives native memory back after every activity (src/host/localRuntime.ts,
 * docs/sizing.md "Issue 16, stop 29 (s29trim)"): with an injected release, checked to run once per
 * activity, after the activity has ended (its completion already reported), on success and failure alike.
 */
import type { OrchestrationContext } from 'durable-functions';
import { createLocalHost } from '../../src/host/localRuntime';
import { loadSettings } from '../../src/lib/config/settings';
import type { PipelineServices } from '../../src/lib/pipelineServices';

// notifyCallback refuses a non-http(s) callBackUri before any network call: a real activity that ends at once.
const services = { settings: loadSettings({}), log: () => undefined } as unknown as PipelineServices;

function hostWithRecorder() {
  const events: string[] = [];
  const host = createLocalHost(services, {
    sleep: async () => undefined,
    onActivity: (name, phase) => events.push(`${name} ${phase}`),
    releaseMemory: () => events.push('release'),
  });
  host.registerOrchestrator('twoCallbacks', function* (context: OrchestrationContext) {
    const first: unknown = yield context.df.callActivity('notifyCallback', { callBackUri: 'ftp://example.invalid/a', body: {} });
    const second: unknown = yield context.df.callActivity('notifyCallback', { callBackUri: 'not a url', body: {} });
    return [first, second];
  });
  return { host, events };
}

describe('local host: native memory released at each activity boundary', () => {
  it('calls the release once after each activity, after its completion', async () => {
    const { host, events } = hostWithRecorder();
    const status = await host.waitForCompletion(host.startNew('twoCallbacks', { instanceId: 'release-1', input: null }));
    expect(status.runtimeStatus).toBe('Completed');
    expect(JSON.stringify(status.output)).toMatch(/callBackUri/);
    expect(events).toEqual([
      'notifyCallback started',
      'notifyCallback completed',
      'release',
      'notifyCallback started',
      'notifyCallback completed',
      'release',
    ]);
  });

  it('an activity that throws is released too', async () => {
    const events: string[] = [];
    const host = createLocalHost(services, {
      sleep: async () => undefined,
      onActivity: (name, phase) => events.push(`${name} ${phase}`),
      releaseMemory: () => events.push('release'),
    });
    host.registerOrchestrator('badInput', function* (context: OrchestrationContext) {
      // No input at all: notifyCallback reads input.callBackUri and throws a TypeError (retryable, so thrown, not classified).
      try {
        yield context.df.callActivity('notifyCallback', null);
      } catch {
        return 'failed';
      }
      return 'ran';
    });
    const status = await host.waitForCompletion(host.startNew('badInput', { instanceId: 'release-2', input: null }));
    expect(status.output).toBe('failed');
    expect(events).toEqual(['notifyCallback started', 'notifyCallback failed', 'release']);
  });
});
