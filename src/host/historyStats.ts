import type { HistoryEvent } from './replayEngine';

/** What one history event carries as payload: inputs and results are JSON text, failures text. */
const payloadFields = ['Input', 'Result', 'Reason', 'Details'] as const;

export interface HistoryMessage {
  instanceId: string;
  /** Event class (TaskScheduledEvent, SubOrchestrationInstanceCompletedEvent, ...). */
  event: string;
  /** Activity or orchestrator name when the event names one. */
  name: string | undefined;
  field: (typeof payloadFields)[number];
  bytes: number;
}

export interface HistoryStats {
  instances: number;
  events: number;
  /** Most events in one instance (replay cost grows with it). */
  maxEventsPerInstance: number;
  largest: HistoryMessage | undefined;
}

/** Every payload in a history with its UTF-8 size: what Durable stores (and spills to blobs above 45 KB). */
export function historyMessages(instanceId: string, history: readonly HistoryEvent[]): HistoryMessage[] {
  const out: HistoryMessage[] = [];
  // Completions name their task only by the id of the event that scheduled it.
  const scheduled = new Map<number, string>();
  for (const event of history) {
    const fields = event as Record<string, unknown>;
    if (typeof fields['Name'] === 'string' && typeof fields['EventId'] === 'number') scheduled.set(fields['EventId'], fields['Name']);
    const name = typeof fields['Name'] === 'string' ? fields['Name'] : scheduled.get(fields['TaskScheduledId'] as number);
    for (const field of payloadFields) {
      const value = fields[field];
      if (typeof value !== 'string') continue;
      out.push({
        instanceId,
        event: event.constructor.name,
        name,
        field,
        bytes: Buffer.byteLength(value, 'utf8'),
      });
    }
  }
  return out;
}

/** Totals over instances' histories: event counts and the largest single message. */
export function historyStats(histories: Iterable<[instanceId: string, history: readonly HistoryEvent[]]>): HistoryStats {
  const stats: HistoryStats = { instances: 0, events: 0, maxEventsPerInstance: 0, largest: undefined };
  for (const [id, history] of histories) {
    stats.instances++;
    stats.events += history.length;
    stats.maxEventsPerInstance = Math.max(stats.maxEventsPerInstance, history.length);
    for (const m of historyMessages(id, history)) if (!stats.largest || m.bytes > stats.largest.bytes) stats.largest = m;
  }
  return stats;
}
