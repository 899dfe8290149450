/** Plain-text views of past runs for `demand runs list|show`. */
import type { RunRecord } from '../lib/runs';

const n = (v: number | undefined): string => (v === undefined ? '–' : v.toLocaleString('en-GB'));

export function formatDuration(ms: number | null): string {
  if (ms === null) return 'running';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const when = (iso: string): string => iso.replace('T', ' ').slice(0, 19);

function pad(cells: string[][]): string[] {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) =>
    row
      .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * An error as the run list shows it: the failing stage and the innermost message. The recorded
 * text wraps it in each layer's class and kind ("Error: ActivityError: [upstream] activity
 * ingestOrders: OrdersFetchError: [upstream] …"), which filled the column before the cause.
 */
export function shortError(text: string, width = 100): string {
  const first = text.split('\n')[0] ?? '';
  const stage = /activity (\w+):/.exec(first)?.[1];
  const wrapper = /^(?:(?:\w*Error|Error): |\[\w+\] |activity \w+: )/;
  let rest = first.trim();
  while (wrapper.test(rest)) rest = rest.replace(wrapper, '');
  const out = stage ? `${stage}: ${rest}` : rest;
  return out.length > width ? `${out.slice(0, width - 1)}…` : out;
}

/** The error's lines with repeats dropped (a message recorded as text and again as its stack's head). */
function distinctLines(text: string): string[] {
  const seen = new Set<string>();
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !seen.has(l.replace(/^Error: /, '')) && seen.add(l.replace(/^Error: /, '')));
}

export function formatRunList(runs: RunRecord[]): string {
  if (runs.length === 0) return 'No runs recorded yet: `demand run` (or `npm start`) records each run here.';
  const rows = runs.map((r) => [
    r.runId,
    r.orchestrator === 'demandPipeline' ? (r.trigger ?? '–') : `${r.trigger ?? '–'} (${r.orchestrator})`,
    r.status,
    when(r.startedAt),
    formatDuration(r.durationInMs),
    n(r.stages['ingestOrders']?.['records']),
    n(r.stages['silver']?.['quarantined']),
    n(r.stages['forecast']?.['skus']),
    r.errors.length ? shortError(r.errors[0]!) : '',
  ]);
  return pad([['RUN', 'TRIGGER', 'STATUS', 'STARTED (UTC)', 'DURATION', 'ORDER LINES', 'QUARANTINED', 'SKUS', 'ERROR'], ...rows]).join(
    '\n',
  );
}

export function formatRunDetail(run: RunRecord): string {
  const lines = [
    `Run ${run.runId}`,
    `  orchestrator  ${run.orchestrator}`,
    `  trigger       ${run.trigger ?? '–'}`,
    `  status        ${run.status}`,
    `  started       ${when(run.startedAt)} UTC`,
    `  finished      ${run.finishedAt ? `${when(run.finishedAt)} UTC` : '–'}`,
    `  duration      ${formatDuration(run.durationInMs)}`,
  ];
  const stages = Object.entries(run.stages);
  if (stages.length) {
    lines.push('Stages');
    for (const [stage, counts] of stages) {
      const text = Object.entries(counts)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ');
      lines.push(`  ${stage.padEnd(16)}${text || '(no counts)'}`);
    }
  }
  const reasons = Object.entries(run.quarantineReasons).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    lines.push('Quarantined by reason');
    for (const [reason, count] of reasons) lines.push(`  ${reason.padEnd(32)}${n(count).padStart(10)}`);
  }
  if (run.errors.length) {
    lines.push('Errors');
    for (const e of run.errors) for (const line of distinctLines(e)) lines.push(`  ${line}`);
  }
  return lines.join('\n');
}
