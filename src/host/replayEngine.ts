/**
 * The only file that touches durable-functions internals. The local host drives the SAME
 * orchestrator code that Azure runs: durable-functions' `createOrchestrator` (which its own
 * `df.app.orchestration` registration uses) replays a history of events and returns the actions
 * the orchestrator wants next. These paths are not public API, so durable-functions is pinned
 * (package.json) and test/host/replayEngineInternals.test.ts fails loudly if they move.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type { OrchestrationHandler } from 'durable-functions';

// Internal modules, typed just enough for the host.
interface HistoryEventOptionsCtor {
  new (eventId: number, timestamp: Date, isPlayed?: boolean): object;
}
type EventCtor = new (options: Record<string, unknown>) => object;

const testingUtils = require('durable-functions/lib/src/util/testingUtils') as {
  createOrchestrator(fn: OrchestrationHandler): (trigger: unknown, context: unknown) => Promise<unknown>;
  DurableOrchestrationInput: new (
    instanceId: string,
    history: object[],
    input: unknown,
    longRunningTimerIntervalDuration?: string,
    maximumShortTimerDuration?: string,
    defaultHttpAsyncRequestSleepTimeMillseconds?: number,
    schemaVersion?: number,
    isReplaying?: boolean,
    parentInstanceId?: string,
  ) => object;
  DummyOrchestrationContext: new (
    functionName?: string,
    invocationId?: string,
    logHandler?: (level: string, ...args: unknown[]) => void,
  ) => object;
};

function historyModule<T>(name: string): T {
  return (require(`durable-functions/lib/src/history/${name}`) as Record<string, T>)[name] as T;
}

const HistoryEventOptions = historyModule<HistoryEventOptionsCtor>('HistoryEventOptions');
const OrchestratorStartedEvent = historyModule<new (o: object) => object>('OrchestratorStartedEvent');
const OrchestratorCompletedEvent = historyModule<new (o: object) => object>('OrchestratorCompletedEvent');
const ExecutionStartedEvent = historyModule<EventCtor>('ExecutionStartedEvent');
const TaskScheduledEvent = historyModule<EventCtor>('TaskScheduledEvent');
const TaskCompletedEvent = historyModule<EventCtor>('TaskCompletedEvent');
const TaskFailedEvent = historyModule<EventCtor>('TaskFailedEvent');
const TimerCreatedEvent = historyModule<EventCtor>('TimerCreatedEvent');
const TimerFiredEvent = historyModule<EventCtor>('TimerFiredEvent');
const SubOrchestrationInstanceCreatedEvent = historyModule<EventCtor>('SubOrchestrationInstanceCreatedEvent');
const SubOrchestrationInstanceCompletedEvent = historyModule<EventCtor>('SubOrchestrationInstanceCompletedEvent');
const SubOrchestrationInstanceFailedEvent = historyModule<EventCtor>('SubOrchestrationInstanceFailedEvent');
const ActionType = (require('durable-functions/lib/src/actions/ActionType') as { ActionType: Record<string, number> }).ActionType;
const ReplaySchemaV1 = (require('durable-functions/lib/src/orchestrations/ReplaySchema') as { ReplaySchema: Record<string, number> })
  .ReplaySchema['V1'];

export type HistoryEvent = object;

/** An action the orchestrator asked for, as the Durable extension receives it. */
export interface OrchestratorAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date;
  retryOptions?: {
    firstRetryIntervalInMilliseconds: number;
    maxNumberOfAttempts: number;
    backoffCoefficient?: number;
    maxRetryIntervalInMilliseconds?: number;
  };
}

export interface ReplayResult {
  isDone: boolean;
  output: unknown;
  /** Set when the orchestrator threw. */
  error: string | undefined;
  customStatus: unknown;
  /** Every action the orchestrator has taken so far, in order (replay schema V1, flattened). */
  actions: OrchestratorAction[];
}

export const actionTypes = {
  callActivity: requireActionType('CallActivity'),
  callActivityWithRetry: requireActionType('CallActivityWithRetry'),
  callSubOrchestrator: requireActionType('CallSubOrchestrator'),
  callSubOrchestratorWithRetry: requireActionType('CallSubOrchestratorWithRetry'),
  createTimer: requireActionType('CreateTimer'),
};

function requireActionType(name: string): number {
  const value = ActionType[name];
  if (typeof value !== 'number') throw new Error(`durable-functions internals moved: ActionType.${name} is missing`);
  return value;
}

/** Factories for history events, so the host never sees the internal classes. */
export const historyEvents = {
  orchestratorStarted: (timestamp: Date): HistoryEvent => new OrchestratorStartedEvent(new HistoryEventOptions(-1, timestamp)),
  orchestratorCompleted: (timestamp: Date): HistoryEvent => new OrchestratorCompletedEvent(new HistoryEventOptions(-1, timestamp)),
  executionStarted: (timestamp: Date, name: string, input: unknown): HistoryEvent =>
    new ExecutionStartedEvent({ eventId: -1, timestamp, isPlayed: false, name, input: JSON.stringify(input) }),
  taskScheduled: (eventId: number, timestamp: Date, name: string, input: unknown): HistoryEvent =>
    new TaskScheduledEvent({ eventId, timestamp, isPlayed: false, name, input: JSON.stringify(input) }),
  taskCompleted: (taskScheduledId: number, timestamp: Date, result: unknown): HistoryEvent =>
    new TaskCompletedEvent({ eventId: -1, timestamp, isPlayed: false, taskScheduledId, result: JSON.stringify(result ?? null) }),
  taskFailed: (taskScheduledId: number, timestamp: Date, reason: string, details: string): HistoryEvent =>
    new TaskFailedEvent({ eventId: -1, timestamp, isPlayed: false, taskScheduledId, reason, details }),
  timerCreated: (eventId: number, timestamp: Date, fireAt: Date): HistoryEvent =>
    new TimerCreatedEvent({ eventId, timestamp, isPlayed: false, fireAt }),
  timerFired: (timerId: number, timestamp: Date, fireAt: Date): HistoryEvent =>
    new TimerFiredEvent({ eventId: -1, timestamp, isPlayed: false, timerId, fireAt }),
  subOrchestrationCreated: (eventId: number, timestamp: Date, name: string, instanceId: string, input: unknown): HistoryEvent =>
    new SubOrchestrationInstanceCreatedEvent({ eventId, timestamp, isPlayed: false, name, instanceId, input: JSON.stringify(input) }),
  subOrchestrationCompleted: (taskScheduledId: number, timestamp: Date, result: unknown): HistoryEvent =>
    new SubOrchestrationInstanceCompletedEvent({
      eventId: -1,
      timestamp,
      isPlayed: false,
      taskScheduledId,
      result: JSON.stringify(result ?? null),
    }),
  subOrchestrationFailed: (taskScheduledId: number, timestamp: Date, reason: string, details: string): HistoryEvent =>
    new SubOrchestrationInstanceFailedEvent({ eventId: -1, timestamp, isPlayed: false, taskScheduledId, reason, details }),
};

function parseInput(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Replays `history` through the real durable-functions executor and reports the orchestrator's
 * state. `input` is the orchestration input (the executor takes it from the binding, as in Azure).
 */
export async function replay(
  handler: OrchestrationHandler,
  options: {
    functionName: string;
    instanceId: string;
    parentInstanceId?: string;
    history: HistoryEvent[];
    input: unknown;
    log?: (message: string) => void;
  },
): Promise<ReplayResult> {
  const orchestrator = testingUtils.createOrchestrator(handler);
  const trigger = new testingUtils.DurableOrchestrationInput(
    options.instanceId,
    options.history,
    options.input,
    undefined,
    undefined,
    undefined,
    ReplaySchemaV1,
    false,
    options.parentInstanceId ?? '',
  );
  const log = options.log;
  const context = new testingUtils.DummyOrchestrationContext(options.functionName, options.instanceId, (_level, ...args) =>
    log?.(args.map(String).join(' ')),
  );
  let state: Record<string, unknown>;
  try {
    state = (await orchestrator(trigger, context)) as Record<string, unknown>;
  } catch (err) {
    // OrchestrationFailureError carries the state in its message as JSON after a marker.
    const failure = err as { message?: string };
    state = extractFailureState(failure.message ?? String(err));
  }
  const groups = (state['actions'] as unknown[][] | undefined) ?? [];
  // A copy only where the input is JSON text (durable-functions keeps a string input stringified):
  // every replay of a fan-out child returns all its actions, up to 500.
  const actions = groups.flat().map((a) => {
    const action = a as OrchestratorAction;
    return typeof action.input === 'string' ? { ...action, input: parseInput(action.input) } : action;
  });
  return {
    isDone: state['isDone'] === true,
    output: state['output'],
    error: typeof state['error'] === 'string' ? state['error'] : undefined,
    customStatus: state['customStatus'],
    actions,
  };
}

const failureMarker = 'Orchestrator function failed: ';

function extractFailureState(message: string): Record<string, unknown> {
  // durable-functions' OrchestrationFailureError serialises the orchestrator state after a fixed
  // label ("...\n\n$OutOfProcData$:{json}"); we look for the JSON object and fall back to the text.
  const markerIndex = message.indexOf('$OutOfProcData$:');
  if (markerIndex >= 0) {
    try {
      return JSON.parse(message.slice(markerIndex + '$OutOfProcData$:'.length)) as Record<string, unknown>;
    } catch {
      /* fall through */
    }
  }
  const text = message.startsWith(failureMarker) ? message.slice(failureMarker.length) : message;
  return { isDone: false, actions: [], error: text };
}
