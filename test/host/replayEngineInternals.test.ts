/**
 * The local host relies on durable-functions internals (testingUtils, history event classes,
 * ActionType, ReplaySchema, the OrchestrationFailureError wire format). This test fails loudly
 * when an upgrade moves them, before the host silently misbehaves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const pinned = '3.5.0';

describe('durable-functions internals used by the local host', () => {
  it('is the pinned version (upgrade deliberately, then re-run this suite)', () => {
    const pkg = JSON.parse(fs.readFileSync(require.resolve('durable-functions/package.json'), 'utf8')) as { version: string };
    const ours = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(ours.dependencies['durable-functions']).toBe(pinned);
    expect(pkg.version).toBe(pinned);
  });

  it.each([
    ['util/testingUtils', ['createOrchestrator', 'DurableOrchestrationInput', 'DummyOrchestrationContext']],
    ['actions/ActionType', ['ActionType']],
    ['orchestrations/ReplaySchema', ['ReplaySchema']],
    ['history/HistoryEventOptions', ['HistoryEventOptions']],
    ['history/OrchestratorStartedEvent', ['OrchestratorStartedEvent']],
    ['history/ExecutionStartedEvent', ['ExecutionStartedEvent']],
    ['history/TaskScheduledEvent', ['TaskScheduledEvent']],
    ['history/TaskCompletedEvent', ['TaskCompletedEvent']],
    ['history/TaskFailedEvent', ['TaskFailedEvent']],
    ['history/TimerCreatedEvent', ['TimerCreatedEvent']],
    ['history/TimerFiredEvent', ['TimerFiredEvent']],
    ['history/SubOrchestrationInstanceCreatedEvent', ['SubOrchestrationInstanceCreatedEvent']],
    ['history/SubOrchestrationInstanceCompletedEvent', ['SubOrchestrationInstanceCompletedEvent']],
    ['history/SubOrchestrationInstanceFailedEvent', ['SubOrchestrationInstanceFailedEvent']],
  ])('lib/src/%s exports %p', (modulePath, names) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`durable-functions/lib/src/${modulePath}`) as Record<string, unknown>;
    for (const name of names) expect(mod[name]).toBeDefined();
  });

  it('keeps the replay schema and action numbering the host depends on', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ActionType } = require('durable-functions/lib/src/actions/ActionType') as { ActionType: Record<string, number> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ReplaySchema } = require('durable-functions/lib/src/orchestrations/ReplaySchema') as { ReplaySchema: Record<string, number> };
    expect(ActionType['CallActivity']).toBe(0);
    expect(ActionType['CallActivityWithRetry']).toBe(1);
    expect(ActionType['CallSubOrchestrator']).toBe(2);
    expect(ActionType['CreateTimer']).toBe(5);
    expect(ReplaySchema['V1']).toBe(0);
  });

  it('still serialises a failed orchestrator state after the $OutOfProcData$ label', () => {
    const source = fs.readFileSync(require.resolve('durable-functions/lib/src/error/OrchestrationFailureError.js'), 'utf8');
    expect(source).toContain('$OutOfProcData$:');
  });

  it('still registers orchestrations through createOrchestrator (the path the local host drives)', () => {
    const source = fs.readFileSync(require.resolve('durable-functions/lib/src/app.js'), 'utf8');
    expect(source).toMatch(/createOrchestrator\)\(options\.handler\)/);
  });
});
