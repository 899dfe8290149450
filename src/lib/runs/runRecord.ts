/**
 * What an operator asks of a past run: what started it, how it ended, when, how long it took,
 * what each stage counted and what went wrong. Built from an orchestration's status (the Durable
 * instance store in Azure, the local host's journal on a machine), never from lake rows.
 */

/** The parts of the orchestrators' RunSummary a record reads (typed here: lib does not import upwards). */
interface RunSummary {
  runId: string;
  trigger?: string;
  startedAt?: string;
  stages: Record<string, unknown>;
  quarantineReasons?: Record<string, number>;
  error?: string;
}

export interface RunRecord {
  runId: string;
  /** Orchestrator that ran (demandPipeline, reforecastSkus, driftMonitor, …). */
  orchestrator: string;
  trigger: string | null;
  status: string;
  startedAt: string;
  /** When it finished (null while it runs). */
  finishedAt: string | null;
  durationInMs: number | null;
  /** Per stage its headline counts, e.g. { ingestOrders: { lines: 20720, pages: 42 }, … }. */
  stages: Record<string, Record<string, number>>;
  quarantineReasons: Record<string, number>;
  errors: string[];
}

/** The shape of an orchestration status both hosts report. */
export interface OrchestrationStatusLike {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  input?: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

const terminal = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

function isSummary(value: unknown): value is RunSummary {
  return typeof value === 'object' && value !== null && 'stages' in value && 'runId' in value;
}

/** Numbers only, one level deep: what a table of runs can show and a metric can carry. */
function countsOf(stage: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof stage !== 'object' || stage === null) return out;
  for (const [key, value] of Object.entries(stage as Record<string, unknown>)) {
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else if (typeof value === 'boolean') out[key] = value ? 1 : 0;
  }
  return out;
}

export function runRecordFromStatus(status: OrchestrationStatusLike): RunRecord {
  const summary = isSummary(status.output)
    ? status.output
    : isSummary((status.customStatus as { summary?: unknown } | null)?.summary)
      ? (status.customStatus as { summary: RunSummary }).summary
      : undefined;
  const inputTrigger = (status.input as { trigger?: unknown } | null | undefined)?.trigger;
  const finished = terminal.has(status.runtimeStatus);
  const errors: string[] = [];
  if (summary?.error) errors.push(summary.error);
  if (status.runtimeStatus === 'Failed' && !summary?.error && status.output !== undefined && status.output !== null) {
    errors.push(typeof status.output === 'string' ? status.output : JSON.stringify(status.output).slice(0, 2000));
  }
  const stages: RunRecord['stages'] = {};
  for (const [name, stage] of Object.entries(summary?.stages ?? {})) stages[name] = countsOf(stage);
  const startedAt = summary?.startedAt ?? status.createdTime;
  return {
    runId: status.instanceId,
    orchestrator: status.name,
    trigger: summary?.trigger ?? (typeof inputTrigger === 'string' ? inputTrigger : null),
    status: status.runtimeStatus,
    startedAt,
    finishedAt: finished ? status.lastUpdatedTime : null,
    durationInMs: finished ? Math.max(0, Date.parse(status.lastUpdatedTime) - Date.parse(startedAt)) : null,
    stages,
    quarantineReasons: { ...(summary?.quarantineReasons ?? {}) },
    errors,
  };
}
