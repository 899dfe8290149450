import type { OrchestrationHandler } from 'durable-functions';
import { errorText } from '../lib/errors';
import { ActivitySlots } from './activitySlots';
import { NonDeterministicOrchestrationError, InstanceNotFoundError, UnknownFunctionError } from './errors';
import { actionTypes, historyEvents, replay, type HistoryEvent, type OrchestratorAction } from './replayEngine';

export type ActivityFunction = (input: unknown) => Promise<unknown>;

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed';

export interface InstanceStatus {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  /** Number of history events (how Azure bills and how replay cost grows). */
  historyLength: number;
}

export interface LocalHostOptions {
  /** The host's clock; tests inject a fake one. Orchestrators only see it through history timestamps. */
  now?: () => Date;
  /** Waits between retries and for durable timers; tests shorten it. */
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
  /** Called after each event the host appends (progress reporting, tests). */
  onEvent?: (instanceId: string, description: string) => void;
  /** Activities run at once across all instances, as one Function instance's host.json limit; default: no limit. */
  maxConcurrentActivities?: number;
}

interface Slot {
  action: OrchestratorAction;
  /** The id the executor gave the current attempt (or timer). */
  currentId: number;
  attempt: number;
  /** The action's input as JSON when it was scheduled: every later replay compares its action with it (checkDeterminism). */
  inputJson: string;
}

interface Instance {
  id: string;
  name: string;
  parentId: string | undefined;
  input: unknown;
  history: HistoryEvent[];
  slots: Slot[];
  nextId: number;
  status: RuntimeStatus;
  output: unknown;
  customStatus: unknown;
  createdTime: Date;
  lastUpdatedTime: Date;
  done: Promise<void>;
}

type Completion = { description: string; events: (now: Date) => HistoryEvent[]; allocate?: (instance: Instance) => void };

/**
 * Runs orchestrations locally the way the Durable Functions extension does: it keeps each
 * instance's history, replays it through durable-functions' own executor, carries out the actions
 * the orchestrator asks for (activities in-process, sub-orchestrations as child instances, retry
 * timers), appends their completions to the history one at a time and replays again until the
 * orchestration completes. A replay whose actions differ from those already recorded fails the
 * instance with NonDeterministicOrchestrationError, as Azure would.
 */
export class LocalOrchestrationHost {
  private readonly orchestrators = new Map<string, OrchestrationHandler>();
  private readonly activities = new Map<string, ActivityFunction>();
  private readonly instances = new Map<string, Instance>();
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: (message: string) => void;
  private readonly onEvent: LocalHostOptions['onEvent'];
  private readonly activitySlots: ActivitySlots | undefined;
  private readonly startListeners: Array<(instanceId: string, parentInstanceId: string | undefined) => void> = [];

  constructor(options: LocalHostOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.log = options.log ?? (() => undefined);
    this.onEvent = options.onEvent;
    this.activitySlots = options.maxConcurrentActivities === undefined ? undefined : new ActivitySlots(options.maxConcurrentActivities);
  }

  registerOrchestrator(name: string, handler: OrchestrationHandler): this {
    this.orchestrators.set(name, handler);
    return this;
  }

  registerActivity(name: string, fn: ActivityFunction): this {
    this.activities.set(name, fn);
    return this;
  }

  /** Starts an instance; an id already in use (running or finished) is not started again. */
  startNew(name: string, options: { instanceId: string; input?: unknown; parentInstanceId?: string }): string {
    if (this.instances.has(options.instanceId)) return options.instanceId;
    if (!this.orchestrators.has(name)) throw new UnknownFunctionError('orchestrator', name, options.instanceId);
    const created = this.now();
    const instance: Instance = {
      id: options.instanceId,
      name,
      parentId: options.parentInstanceId,
      input: options.input,
      history: [historyEvents.orchestratorStarted(created), historyEvents.executionStarted(created, name, options.input)],
      slots: [],
      nextId: 0,
      status: 'Pending',
      output: undefined,
      customStatus: undefined,
      createdTime: created,
      lastUpdatedTime: created,
      done: Promise.resolve(),
    };
    this.instances.set(instance.id, instance);
    instance.done = this.drive(instance);
    for (const listener of this.startListeners) listener(instance.id, instance.parentId);
    return instance.id;
  }

  /** Calls `listener` each time an instance starts (run journaling; see localRunJournal). */
  onInstanceStarted(listener: (instanceId: string, parentInstanceId: string | undefined) => void): void {
    this.startListeners.push(listener);
  }

  getStatus(instanceId: string): InstanceStatus | undefined {
    const i = this.instances.get(instanceId);
    if (!i) return undefined;
    return {
      instanceId: i.id,
      name: i.name,
      runtimeStatus: i.status,
      input: i.input,
      output: i.output,
      customStatus: i.customStatus,
      createdTime: i.createdTime.toISOString(),
      lastUpdatedTime: i.lastUpdatedTime.toISOString(),
      historyLength: i.history.length,
    };
  }

  /** The recorded history (for tests and diagnostics). */
  getHistory(instanceId: string): readonly HistoryEvent[] {
    const i = this.instances.get(instanceId);
    if (!i) throw new InstanceNotFoundError(instanceId);
    return i.history;
  }

  /** Resolves when the instance has completed or failed, or after `timeoutInMs` (then still running). */
  async waitForCompletion(instanceId: string, options: { timeoutInMs?: number } = {}): Promise<InstanceStatus> {
    const i = this.instances.get(instanceId);
    if (!i) throw new InstanceNotFoundError(instanceId);
    if (options.timeoutInMs === undefined) {
      await i.done;
    } else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([i.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutInMs)))]);
      if (timer) clearTimeout(timer);
    }
    return this.getStatus(instanceId) as InstanceStatus;
  }

  private async drive(instance: Instance): Promise<void> {
    const handler = this.orchestrators.get(instance.name) as OrchestrationHandler;
    const queue: Completion[] = [];
    let wake: (() => void) | undefined;
    let inFlight = 0;
    const enqueue = (c: Completion): void => {
      queue.push(c);
      wake?.();
    };
    const track = (work: Promise<Completion>): void => {
      inFlight++;
      work
        .then(enqueue, (err: unknown) =>
          enqueue({
            description: 'host error',
            events: () => {
              throw err;
            },
          }),
        )
        .finally(() => inFlight--);
    };

    instance.status = 'Running';
    try {
      for (;;) {
        const result = await replay(handler, {
          functionName: instance.name,
          instanceId: instance.id,
          ...(instance.parentId ? { parentInstanceId: instance.parentId } : {}),
          history: instance.history,
          input: instance.input,
          log: this.log,
        });
        instance.customStatus = result.customStatus;
        instance.lastUpdatedTime = this.now();
        this.checkDeterminism(instance, result.actions);
        if (result.error !== undefined) {
          instance.status = 'Failed';
          instance.output = result.error;
          return;
        }
        if (result.isDone) {
          instance.status = 'Completed';
          instance.output = result.output;
          instance.history.push(historyEvents.orchestratorCompleted(this.now()));
          return;
        }
        // New actions get the next sequence ids, in order: exactly how the executor numbered them.
        for (const action of result.actions.slice(instance.slots.length)) {
          const slot: Slot = { action, currentId: instance.nextId++, attempt: 1, inputJson: JSON.stringify(action.input) };
          instance.slots.push(slot);
          track(this.start(instance, slot));
        }
        if (queue.length === 0 && inFlight === 0) {
          throw new Error(
            `Instance '${instance.id}' is waiting for nothing: the orchestrator yielded a task the local host cannot complete`,
          );
        }
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        // One completion per replay keeps the ids the executor allocates for retries predictable.
        const completion = queue.shift() as Completion;
        const now = this.now();
        instance.history.push(historyEvents.orchestratorStarted(now), ...completion.events(now));
        completion.allocate?.(instance);
        this.onEvent?.(instance.id, completion.description);
        // Retry bookkeeping may schedule follow-up work (timers, re-attempts).
        for (const slot of instance.slots) this.resume(instance, slot, track);
      }
    } catch (err) {
      instance.status = 'Failed';
      instance.output = errorText(err);
      this.log(`instance ${instance.id} failed: ${errorText(err)}`);
    } finally {
      instance.lastUpdatedTime = this.now();
    }
  }

  private checkDeterminism(instance: Instance, actions: OrchestratorAction[]): void {
    const count = Math.min(actions.length, instance.slots.length);
    for (let k = 0; k < count; k++) {
      const slot = instance.slots[k] as Slot;
      const before = slot.action;
      const now = actions[k] as OrchestratorAction;
      // The recorded input's JSON once per slot, not once per replay: a fan-out child of 500 activities
      // replays once per completion, and stringifying both sides each time was quadratic churn.
      const same =
        before.actionType === now.actionType && before.functionName === now.functionName && slot.inputJson === JSON.stringify(now.input);
      if (!same) {
        throw new NonDeterministicOrchestrationError(
          instance.id,
          `action #${k} was ${describe(before)} in the history but ${describe(now)} on replay; ` +
            'orchestrators must not use Date.now, Math.random, I/O or anything else that changes between replays',
        );
      }
    }
  }

  /** Pending follow-ups keyed by slot: set when a retryable attempt fails or its retry timer fires. */
  private readonly followUps = new WeakMap<Slot, 'timer' | 'reattempt'>();

  private start(instance: Instance, slot: Slot): Promise<Completion> {
    const { action } = slot;
    const id = slot.currentId;
    const t = actionTypes;
    if (action.actionType === t.createTimer) {
      const fireAt = new Date(action.fireAt as unknown as string);
      instance.history.push(historyEvents.timerCreated(id, this.now(), fireAt));
      return this.sleep(Math.max(0, fireAt.getTime() - this.now().getTime())).then(() => ({
        description: `timer ${id} fired`,
        events: (now) => [historyEvents.timerFired(id, now, fireAt)],
      }));
    }
    const retryable = action.actionType === t.callActivityWithRetry || action.actionType === t.callSubOrchestratorWithRetry;
    const isActivity = action.actionType === t.callActivity || action.actionType === t.callActivityWithRetry;
    const name = action.functionName as string;
    const onFailure = (reason: string): Completion => ({
      description: `${name} failed (attempt ${slot.attempt})`,
      events: (now) =>
        isActivity ? [historyEvents.taskFailed(id, now, reason, reason)] : [historyEvents.subOrchestrationFailed(id, now, reason, reason)],
      // On a retryable task the executor answers a failure by numbering a retry timer next.
      ...(retryable ? { allocate: (inst: Instance) => this.allocateRetry(inst, slot, 'timer') } : {}),
    });
    if (isActivity) {
      const fn = this.activities.get(name);
      instance.history.push(historyEvents.taskScheduled(id, this.now(), name, action.input));
      if (!fn) return Promise.resolve(onFailure(new UnknownFunctionError('activity', name, instance.id).message));
      const call = () => fn(action.input);
      return (this.activitySlots ? this.activitySlots.run(call) : Promise.resolve().then(call)).then(
        (result): Completion => ({ description: `${name} completed`, events: (now) => [historyEvents.taskCompleted(id, now, result)] }),
        (err: unknown) => onFailure(errorText(err)),
      );
    }
    // Sub-orchestration: a child instance. As in Azure, a retry reuses the child's instance id:
    // the failed instance is replaced by a fresh run.
    const childId = action.instanceId ?? `${instance.id}:${id}`;
    instance.history.push(historyEvents.subOrchestrationCreated(id, this.now(), name, childId, action.input));
    if (this.instances.get(childId)?.status === 'Failed') this.instances.delete(childId);
    try {
      this.startNew(name, { instanceId: childId, input: action.input, parentInstanceId: instance.id });
    } catch (err) {
      return Promise.resolve(onFailure(errorText(err)));
    }
    return this.waitForCompletion(childId).then((status): Completion =>
      status.runtimeStatus === 'Completed'
        ? { description: `${name} completed`, events: (now) => [historyEvents.subOrchestrationCompleted(id, now, status.output)] }
        : onFailure(String(status.output)),
    );
  }

  private allocateRetry(instance: Instance, slot: Slot, next: 'timer' | 'reattempt'): void {
    slot.currentId = instance.nextId++;
    this.followUps.set(slot, next);
  }

  private resume(instance: Instance, slot: Slot, track: (work: Promise<Completion>) => void): void {
    const next = this.followUps.get(slot);
    if (!next) return;
    this.followUps.delete(slot);
    const options = slot.action.retryOptions;
    if (!options) return;
    if (next === 'timer') {
      const id = slot.currentId;
      const delay = Math.min(
        options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, slot.attempt - 1),
        options.maxRetryIntervalInMilliseconds && options.maxRetryIntervalInMilliseconds > 0
          ? options.maxRetryIntervalInMilliseconds
          : Number.MAX_SAFE_INTEGER,
      );
      const fireAt = new Date(this.now().getTime() + delay);
      instance.history.push(historyEvents.timerCreated(id, this.now(), fireAt));
      const exhausted = slot.attempt >= options.maxNumberOfAttempts;
      track(
        this.sleep(exhausted ? 0 : delay).then(() => ({
          description: `retry timer for ${slot.action.functionName} fired`,
          events: (now: Date) => [historyEvents.timerFired(id, now, fireAt)],
          // After the timer, the executor numbers the next attempt, unless attempts are used up.
          ...(exhausted ? {} : { allocate: (inst: Instance) => this.allocateRetry(inst, slot, 'reattempt') }),
        })),
      );
      return;
    }
    slot.attempt++;
    track(this.start(instance, slot));
  }
}

function describe(action: OrchestratorAction): string {
  const kind = Object.entries(actionTypes).find(([, v]) => v === action.actionType)?.[0] ?? `action${action.actionType}`;
  return `${kind}('${action.functionName ?? ''}', ${JSON.stringify(action.input)?.slice(0, 200) ?? 'undefined'})`;
}
